"""Authorization: one policy function over role assignments, and assignment management.

A principal may do an action at a scope when some role assigned to it at that scope or
above allows the action (the role's actions minus its not_actions, as in Azure).
Nothing is allowed by default.
"""

from __future__ import annotations

from mlyard.core import actions as A
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.entities.rbac import RoleAssignment, RoleDefinition
from mlyard.core.errors import (
    AuthorizationError,
    NotFound,
    ResourceGroupNotFound,
    RoleAssignmentAlreadyExists,
    RoleDefinitionNotFound,
    RoleNotAssignable,
    SubscriptionNotFound,
    WorkspaceNotFound,
)
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.core.scopes import Scope
from mlyard.services.auth_cache import cache_of
from mlyard.services.principals import principal_ids_of
from mlyard.services.roles import BUILTIN_ROLES
from mlyard.store.database import Database
from mlyard.store.rbac import RbacRepository, RoleAssignmentRow, RoleDefinitionRow

_READ_AT_LEVEL = {
    "root": A.SUBSCRIPTIONS_READ,
    "subscription": A.SUBSCRIPTIONS_READ,
    "resourceGroup": A.RESOURCE_GROUPS_READ,
    "workspace": A.WORKSPACES_READ,
}


class Authorizer:
    """One principal's permissions, with the roles at each scope cached for one request."""

    def __init__(self, db: Database, principal: Principal) -> None:
        self.db = db
        self.principal = principal
        self._assignments: list[tuple[str, RoleDefinition]] | None = None

    def _principal_ids(self) -> list[str]:
        # Called once per Authorizer (one per request): a principal holds its groups' roles too.
        return principal_ids_of(self.db, self.principal.id)

    def held(self) -> list[tuple[str, RoleDefinition]]:
        """(scope key, role) of every assignment the principal holds, its groups' included."""
        if self._assignments is None:
            # A principal holds few assignments, so they are filtered in memory; read at most
            # once a request, and shared by requests for a few seconds (services/auth_cache.py).
            self._assignments = cache_of(self.db).get_or_load("held", self.principal.id, self._load_held)
        return self._assignments

    def held_in_memory(self) -> bool:
        """Whether ``held()`` answers without database I/O (read this request, or cached)."""
        if self._assignments is None:
            self._assignments = cache_of(self.db).peek("held", self.principal.id)
        return self._assignments is not None

    def _load_held(self) -> list[tuple[str, RoleDefinition]]:
        with self.db.read() as session:
            return RbacRepository(session).assignments_of(self._principal_ids())

    def roles_at(self, scope: Scope) -> list[RoleDefinition]:
        keys = {s.key for s in scope.ancestors()}
        return [role for scope_key, role in self.held() if scope_key in keys]

    def can(self, action: str, scope: Scope) -> bool:
        limit = self.principal.limited_to
        if limit is not None and not _inside_limit(limit, action, scope):
            return False
        if action == A.SELF:
            return True
        return any(role.allows(action) for role in self.roles_at(scope))

    def require(self, action: str, scope: Scope) -> None:
        """Allow, or raise: 403 naming the action and scope when the caller can see the scope,
        otherwise the scope's own 404 so that nobody learns what exists beyond their reach."""
        if self.can(action, scope):
            return
        limit = self.principal.limited_to
        if limit is not None and (limit.contains(scope) or action == A.SELF):
            raise AuthorizationError(
                f"This token is a job's token, limited to workspace actions inside '{limit.path}': "
                f"it may not do '{action}' at scope '{scope.path}'.",
                target=action,
            )
        visible = next(
            (s for s in scope.ancestors() if s.level == "root" or self.can(_READ_AT_LEVEL[s.level], s)), None
        )
        if visible is not None and visible.key == scope.key:
            raise AuthorizationError(
                f"'{self.principal.name}' may not do '{action}' at scope '{scope.path}': "
                "ask an Owner of that scope for a role that includes it.",
                target=action,
            )
        raise not_found_for(scope)


# What a job's token may never do, even inside its workspace: change or delete the workspace.
_NOT_FOR_JOB_TOKENS = (A.WORKSPACES_WRITE, A.WORKSPACES_DELETE)


def _inside_limit(limit: Scope, action: str, scope: Scope) -> bool:
    """A job's token acts only inside its workspace, and only with workspace actions there: no
    tokens, passwords or role assignments (which could outlive the job or widen its reach)."""
    name = A.normalize_action(action).lower()
    return (
        limit.contains(scope)
        and name.startswith("workspaces/")
        and not any(A.action_matches(denied, name) for denied in _NOT_FOR_JOB_TOKENS)
    )


def not_found_for(scope: Scope) -> NotFound:
    if scope.workspace is not None:
        return WorkspaceNotFound(
            f"Workspace '{scope.workspace}' was not found in resource group '{scope.resource_group}' "
            f"of subscription '{scope.subscription}', or you have no access to it.",
            target="workspaceName",
        )
    if scope.resource_group is not None:
        return ResourceGroupNotFound(
            f"Resource group '{scope.resource_group}' was not found in subscription "
            f"'{scope.subscription}', or you have no access to it.",
            target="resourceGroupName",
        )
    if scope.subscription is not None:
        return SubscriptionNotFound(
            f"Subscription '{scope.subscription}' was not found, or you have no access to it.",
            target="subscriptionId",
        )
    return NotFound("Nothing is visible to you at the root scope.")


def ensure_builtin_roles(db: Database) -> None:
    """Create or refresh the built-in role definitions (idempotent, run at every start)."""
    with db.write() as session:
        repo = RbacRepository(session)
        for role in BUILTIN_ROLES:
            row = repo.get_role_row(role.name)
            if row is None:
                repo.add(
                    RoleDefinitionRow(
                        id=new_id(),
                        name=role.name,
                        name_key=name_key(role.name),
                        description=role.description,
                        actions=list(role.actions),
                        not_actions=list(role.not_actions),
                        assignable_scopes=["/"],
                        is_custom=False,
                        created_at=utcnow(),
                    )
                )
            elif row.actions != list(role.actions) or row.not_actions != list(role.not_actions):
                row.actions = list(role.actions)
                row.not_actions = list(role.not_actions)
                row.description = role.description


def require_assignable(role_name: str, assignable_scopes: list[str], target: Scope) -> None:
    """A role is assigned only at or below one of its ``assignableScopes`` (the API's and templates' rule)."""
    assignable = [Scope.parse(s) for s in assignable_scopes]
    if not any(s.contains(target) for s in assignable):
        raise RoleNotAssignable(
            f"Role '{role_name}' is assignable only at {', '.join(s.path for s in assignable)} and below, "
            f"not at '{target.path}': pick a scope inside those, or add this one to the role's assignableScopes.",
            target="scope",
        )


def assign_role(
    db: Database,
    principal_id: str,
    principal_type: PrincipalType,
    role_name: str,
    scope: Scope,
    *,
    created_by: str | None,
    exist_ok: bool = True,
) -> RoleAssignment:
    with db.write() as session:
        repo = RbacRepository(session)
        role = repo.get_role_row(role_name)
        if role is None:
            raise RoleDefinitionNotFound(f"No role named '{role_name}'.", target="role")
        require_assignable(role.name, role.assignable_scopes, scope)
        existing = repo.find_assignment(principal_id, role.id, scope.key)
        if existing is not None:
            if exist_ok:
                return existing.to_entity()
            raise RoleAssignmentAlreadyExists(
                f"The principal already has role '{role.name}' at scope '{scope.path}'.", target="role"
            )
        row = RoleAssignmentRow(
            id=new_id(),
            principal_id=principal_id,
            principal_type=principal_type.value,
            role_definition_id=role.id,
            scope=scope.path,
            scope_key=scope.key,
            created_at=utcnow(),
            created_by=created_by,
        )
        row.role = role
        repo.add(row)
        return row.to_entity()


def grant_creator_ownership(db: Database, principal: Principal, scope: Scope) -> None:
    """Whoever creates a scope owns it, unless they already own it from above.

    (In Azure a workspace's creator does not become its Owner: a common surprise.)
    """
    if Authorizer(db, principal).can(A.ROLE_ASSIGNMENTS_WRITE, scope):
        return
    assign_role(db, principal.id, principal.type, "Owner", scope, created_by=principal.id)


def remove_assignments_under(db: Database, scope: Scope) -> int:
    with db.write() as session:
        return RbacRepository(session).delete_assignments_under(scope.key)
