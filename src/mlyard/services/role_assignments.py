"""Role assignments through the API: (principal, role, scope), created, listed and deleted.

Creating one is authorized at its target scope by the route (``roleAssignments/write``); the
rules here are the role's: it must exist and be assignable at that scope. Each listed or
deleted assignment is checked at its own scope. Nobody may leave a subscription, or the whole
installation, without an Owner: the last Owner there cannot be removed, not even by themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mlyard.core import actions as A
from mlyard.core.entities.identity import Principal
from mlyard.core.entities.rbac import RoleAssignment
from mlyard.core.errors import (
    LastOwner,
    RoleAssignmentAlreadyExists,
    RoleAssignmentNotFound,
    RoleDefinitionNotFound,
)
from mlyard.core.ids import new_id, utcnow
from mlyard.core.scopes import Scope
from mlyard.services.platform import Platform
from mlyard.services.principals import resolve_principal
from mlyard.services.rbac import Authorizer, require_assignable
from mlyard.services.role_definitions import existing_scope
from mlyard.store.identity import UserRow
from mlyard.store.principals import GroupRepository, ServicePrincipalRow, names_of
from mlyard.store.rbac import RbacRepository, RoleAssignmentRow

OWNER = "Owner"


@dataclass(frozen=True)
class NamedAssignment:
    """An assignment with its principal's current name, as lists show it."""

    assignment: RoleAssignment
    principal_name: str


def _named(session: Session, assignments: list[RoleAssignment]) -> list[NamedAssignment]:
    refs = names_of(session, {(a.principal_id, a.principal_type) for a in assignments})
    names = {r.id: r.name for r in refs}
    # A principal deleted by hand (not through the API) leaves its id as the only name we know.
    return [NamedAssignment(a, names.get(a.principal_id, a.principal_id)) for a in assignments]


def create_role_assignment(p: Platform, actor: Principal, assignee: str, role: str, scope: Scope) -> NamedAssignment:
    principal = resolve_principal(p.db, assignee)
    target = existing_scope(p, scope)
    with p.db.write() as session:
        repo = RbacRepository(session)
        role_row = repo.get_role_row(role)
        if role_row is None:
            raise RoleDefinitionNotFound(
                f"No role named '{role}': 'mlyard role definition list' shows the roles you can assign.",
                target="role",
            )
        require_assignable(role_row.name, role_row.assignable_scopes, target)
        existing = repo.find_assignment(principal.id, role_row.id, target.key)
        if existing is not None:
            raise RoleAssignmentAlreadyExists(
                f"{principal.type.value} '{principal.name}' already holds role '{role_row.name}' at "
                f"'{target.path}' (assignment {existing.id}).",
                target="assignee",
            )
        row = RoleAssignmentRow(
            id=new_id(),
            principal_id=principal.id,
            principal_type=principal.type.value,
            role_definition_id=role_row.id,
            scope=target.path,
            scope_key=target.key,
            created_at=utcnow(),
            created_by=actor.id,
        )
        row.role = role_row
        repo.add(row)
        return NamedAssignment(row.to_entity(), principal.name)


def list_role_assignments(
    p: Platform,
    authz: Authorizer,
    scope: Scope,
    *,
    assignee: str | None = None,
    include_inherited: bool = False,
) -> list[NamedAssignment]:
    """Assignments at the scope and below (and above it, with ``include_inherited``) that the caller may read."""
    principal_id = resolve_principal(p.db, assignee).id if assignee else None
    above = [s for s in scope.ancestors() if s.key != scope.key] if include_inherited else []
    with p.db.read() as session:
        found = RbacRepository(session).list_assignments(
            scope.key, principal_id=principal_id, scope_keys=[s.key for s in above]
        )
        readable_here = authz.can(A.ROLE_ASSIGNMENTS_READ, scope)
        inherited = {s.key for s in above}
        visible = [
            a
            for a in found
            if authz.can(A.ROLE_ASSIGNMENTS_READ, Scope.parse(a.scope))
            or (readable_here and a.scope.lower() in inherited)
        ]
        return _named(session, visible)


def _owners(session: Session, scope_keys: Iterable[str]) -> set[str]:
    """Active users and service principals holding Owner at any of the scopes, through groups too."""
    repo = RbacRepository(session)
    role = repo.get_role_row(OWNER)
    if role is None:
        return set()
    groups = GroupRepository(session)
    reached: set[str] = set()
    frontier = repo.holders(role.id, scope_keys)
    while frontier:
        reached |= frontier
        frontier = {m.member_id for m in groups.children_of(frontier)} - reached
    users = set(session.scalars(select(UserRow.id).where(UserRow.id.in_(reached), UserRow.is_active.is_(True))))
    sps = set(session.scalars(select(ServicePrincipalRow.id).where(ServicePrincipalRow.id.in_(reached))))
    return users | sps


def _sees(authz: Authorizer, scope: Scope) -> bool:
    """Whether the caller may read assignments at the scope, or below it (where they are inherited)."""
    if authz.can(A.ROLE_ASSIGNMENTS_READ, scope) or authz.can(A.ROLE_ASSIGNMENTS_DELETE, scope):
        return True
    return any(role.allows(A.ROLE_ASSIGNMENTS_READ) and scope.contains(Scope.parse(key)) for key, role in authz.held())


def delete_role_assignment(p: Platform, authz: Authorizer, assignment_id: str) -> RoleAssignment:
    with p.db.read() as session:
        row = RbacRepository(session).get_assignment_row(assignment_id)
        found = row.to_entity() if row is not None else None
    scope = Scope.parse(found.scope) if found is not None else None
    if found is None or scope is None or not _sees(authz, scope):
        raise RoleAssignmentNotFound(
            f"No role assignment '{assignment_id}' is visible to you: 'mlyard role assignment list' shows them.",
            target="assignmentId",
        )
    authz.require(A.ROLE_ASSIGNMENTS_DELETE, scope)
    guarded = found.role_name == OWNER and scope.level in ("root", "subscription")
    with p.db.write() as session:
        repo = RbacRepository(session)
        row = repo.get_assignment_row(assignment_id)
        if row is None:
            raise RoleAssignmentNotFound(
                f"Role assignment '{assignment_id}' was deleted meanwhile.", target="assignmentId"
            )
        keys = {scope.key, "/"}
        before = _owners(session, keys) if guarded else set()
        repo.delete_assignment(row)
        if before and not _owners(session, keys):
            where = "the whole installation ('/')" if scope.level == "root" else f"subscription '{scope.subscription}'"
            raise LastOwner(
                f"Cannot remove this Owner assignment at '{found.scope}': nobody else would own {where}, and nobody "
                f"could then manage access there. Give Owner to someone else first ('mlyard role assignment create "
                f"--role Owner --scope {found.scope} --assignee NAME').",
                target="assignmentId",
            )
    return found


__all__ = [
    "NamedAssignment",
    "create_role_assignment",
    "delete_role_assignment",
    "list_role_assignments",
]
