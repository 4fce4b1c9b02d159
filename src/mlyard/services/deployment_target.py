"""The deployment target: how each kind of template resource is read and applied.

Every write is authorized as if the caller made it directly (the deployment's own action only
lets them deploy), so a template can never do more than its deployer may.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlyard.core import actions as A
from mlyard.core.entities.identity import Principal, PrincipalType, User
from mlyard.core.errors import InvalidTemplate, NotFound
from mlyard.core.names import name_key
from mlyard.core.scopes import Scope
from mlyard.services import identity, rbac, subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.services.templates import PlannedResource, desired_state
from mlyard.store.identity import IdentityRepository
from mlyard.store.rbac import RbacRepository

# Azure's ids of the built-in roles that quickstart templates name, mapped onto mlyard's.
AZURE_BUILTIN_ROLE_IDS = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
    "f6c7c914-8db3-469d-8ca1-694a8f32e121": "Data Scientist",
    "e503ece1-11d0-4e8e-8e2c-7a6c3bf38815": "Compute Operator",
}
# Workspace properties that mlyard keeps; any other (storageAccount, keyVault, …) is accepted
# and left alone, since every workspace gets its own supporting resources.
WORKSPACE_PROPERTIES = {"friendlyName": "friendly_name", "description": "description"}


class HierarchyTarget:
    def __init__(self, p: Platform, actor: Principal, subscription_id: str, resource_group: str) -> None:
        self.p = p
        self.actor = actor
        self.subscription_id = subscription_id
        self.resource_group = resource_group

    def _require(self, action: str, scope: Scope) -> None:
        # A fresh authorizer each time: a resource created earlier in the plan may have made
        # the deployer its Owner.
        rbac.Authorizer(self.p.db, self.actor).require(action, scope)

    def current(self, resource: PlannedResource) -> Mapping[str, Any] | None:
        if resource.kind == "resourceGroup":
            return self._current_group(resource)
        if resource.kind == "workspace":
            return self._current_workspace(resource)
        if resource.kind == "roleAssignment":
            return self._current_assignment(resource)
        raise InvalidTemplate(f"resources[{resource.index}]: mlyard cannot deploy {resource.label}.")

    def apply(self, resource: PlannedResource, current: Mapping[str, Any] | None) -> None:
        if resource.kind == "resourceGroup":
            self._apply_group(resource, current)
        elif resource.kind == "workspace":
            self._apply_workspace(resource, current)
        elif resource.kind == "roleAssignment":
            self._apply_assignment(resource)

    # resource groups

    def _current_group(self, r: PlannedResource) -> Mapping[str, Any] | None:
        try:
            group = subscriptions.get_resource_group(self.p, self.subscription_id, r.name)
        except NotFound:
            return None
        return {**desired_state(r), "location": group.location, "tags": group.tags}

    def _apply_group(self, r: PlannedResource, current: Mapping[str, Any] | None) -> None:
        if current is None:
            self._require(A.RESOURCE_GROUPS_WRITE, Scope(self.subscription_id))
            subscriptions.create_resource_group(self.p, self.actor, self.subscription_id, r.name, r.location, r.tags)
            return
        if r.location is not None and str(r.location).lower() != str(current.get("location", "")).lower():
            raise InvalidTemplate(
                f"resources[{r.index}]: resource group '{r.name}' is in '{current.get('location')}' and cannot move."
            )
        self._require(A.RESOURCE_GROUPS_WRITE, Scope(self.subscription_id, r.name))
        subscriptions.update_resource_group(self.p, self.subscription_id, r.name, r.tags or None)

    # workspaces

    def _current_workspace(self, r: PlannedResource) -> Mapping[str, Any] | None:
        try:
            ws = workspaces.get_workspace(self.p, self.subscription_id, self.resource_group, r.name)
        except NotFound:
            return None
        state = dict(desired_state(r))
        state.update(location=ws.location, tags=ws.tags, friendlyName=ws.friendly_name, description=ws.description)
        return state

    def _apply_workspace(self, r: PlannedResource, current: Mapping[str, Any] | None) -> None:
        props = {
            WORKSPACE_PROPERTIES[k]: str(v)
            for k, v in r.properties.items()
            if k in WORKSPACE_PROPERTIES and v is not None
        }
        if current is None:
            self._require(A.WORKSPACES_WRITE, Scope(self.subscription_id, self.resource_group))
            workspaces.create_workspace(
                self.p,
                self.actor,
                self.subscription_id,
                self.resource_group,
                r.name,
                location=r.location,
                tags=r.tags,
                **props,
            )
            return
        self._require(A.WORKSPACES_WRITE, Scope(self.subscription_id, self.resource_group, r.name))
        workspaces.update_workspace(
            self.p,
            self.subscription_id,
            self.resource_group,
            r.name,
            location=r.location,
            tags=r.tags or None,
            **props,
        )

    # role assignments

    def _assignment_parts(self, r: PlannedResource) -> tuple[str, PrincipalType, str, Scope]:
        props = r.properties
        role_ref = str(props.get("roleDefinitionId") or props.get("roleDefinitionName") or "")
        principal_ref = str(props.get("principalId") or "")
        if not role_ref or not principal_ref:
            raise InvalidTemplate(
                f"resources[{r.index}]: a role assignment needs properties.roleDefinitionId and properties.principalId."
            )
        last = role_ref.rstrip("/").rsplit("/", 1)[-1]
        role_name = AZURE_BUILTIN_ROLE_IDS.get(last.lower(), last)
        with self.p.db.read() as session:
            repo = RbacRepository(session)
            role = repo.get_role_row(role_name) or next(
                (x for x in repo.list_roles() if x.id == last or name_key(x.name) == name_key(role_ref)), None
            )
        if role is None:
            raise InvalidTemplate(f"resources[{r.index}]: no role '{role_ref}' (use a role name or its id).")
        user = identity.find_user(self.p.db, principal_ref) or self._user_by_id(principal_ref)
        if user is None:
            raise InvalidTemplate(f"resources[{r.index}]: no principal '{principal_ref}' (use a user name or id).")
        scope = (
            Scope.parse(str(props["scope"])) if props.get("scope") else Scope(self.subscription_id, self.resource_group)
        )
        return user.id, PrincipalType.USER, role.name, scope

    def _user_by_id(self, user_id: str) -> User | None:
        with self.p.db.read() as session:
            return IdentityRepository(session).get_user_by_id(user_id)

    def _current_assignment(self, r: PlannedResource) -> Mapping[str, Any] | None:
        principal_id, _, role_name, scope = self._assignment_parts(r)
        with self.p.db.read() as session:
            repo = RbacRepository(session)
            role = repo.get_role_row(role_name)
            found = role is not None and repo.find_assignment(principal_id, role.id, scope.key) is not None
        return desired_state(r) if found else None

    def _apply_assignment(self, r: PlannedResource) -> None:
        principal_id, principal_type, role_name, scope = self._assignment_parts(r)
        self._require(A.ROLE_ASSIGNMENTS_WRITE, scope)
        rbac.assign_role(self.p.db, principal_id, principal_type, role_name, scope, created_by=self.actor.id)
