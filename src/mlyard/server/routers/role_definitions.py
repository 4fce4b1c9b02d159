"""Role definitions: the built-in roles and custom ones (``az role definition``).

Reads show the roles the caller could assign somewhere; writes are checked at each of the
role's assignable scopes by the service (``per_item``), so that a subscription's Owner may
define roles for that subscription.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from mlyard.api.rbac import BUILT_IN, CUSTOM, RoleDefinitionDeletionOut, RoleDefinitionIn, RoleDefinitionOut
from mlyard.core import actions as A
from mlyard.core.entities.rbac import RoleDefinition
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import role_definitions as svc

router = APIRouter(prefix="/api/v1/roleDefinitions", tags=["access"])
ROLE = "/{roleName}"


def role_out(r: RoleDefinition) -> RoleDefinitionOut:
    return RoleDefinitionOut(
        id=r.id,
        name=r.name,
        description=r.description,
        is_custom=r.is_custom,
        role_type=CUSTOM if r.is_custom else BUILT_IN,
        actions=list(r.actions),
        not_actions=list(r.not_actions),
        assignable_scopes=list(r.assignable_scopes),
        created_at=r.created_at,
    )


def spec_of(body: RoleDefinitionIn) -> svc.RoleSpec:
    return svc.RoleSpec(
        name=body.name,
        description=body.description,
        actions=tuple(body.actions),
        not_actions=tuple(body.not_actions),
        assignable_scopes=tuple(body.assignable_scopes),
        data_actions=tuple(body.data_actions),
        not_data_actions=tuple(body.not_data_actions),
    )


@router.get("", response_model=list[RoleDefinitionOut])
def list_role_definitions(
    auth: Annotated[AuthContext, authorize(A.ROLE_DEFINITIONS_READ, filtered=True)],
    platform: PlatformDep,
    customOnly: bool = False,
) -> list[RoleDefinitionOut]:
    return [role_out(r) for r in svc.list_role_definitions(platform, auth.authorizer, custom_only=customOnly)]


@router.post("", response_model=RoleDefinitionOut, status_code=201)
def create_role_definition(
    body: RoleDefinitionIn,
    auth: Annotated[AuthContext, authorize(A.ROLE_DEFINITIONS_WRITE, per_item=True)],
    platform: PlatformDep,
) -> RoleDefinitionOut:
    return role_out(svc.create_role_definition(platform, auth.authorizer, spec_of(body)))


@router.get(ROLE, response_model=RoleDefinitionOut)
def get_role_definition(
    roleName: str,
    auth: Annotated[AuthContext, authorize(A.ROLE_DEFINITIONS_READ, filtered=True)],
    platform: PlatformDep,
) -> RoleDefinitionOut:
    return role_out(svc.get_role_definition(platform, auth.authorizer, roleName))


@router.put(ROLE, response_model=RoleDefinitionOut)
def update_role_definition(
    roleName: str,
    body: RoleDefinitionIn,
    auth: Annotated[AuthContext, authorize(A.ROLE_DEFINITIONS_WRITE, per_item=True)],
    platform: PlatformDep,
) -> RoleDefinitionOut:
    return role_out(svc.update_role_definition(platform, auth.authorizer, roleName, spec_of(body)))


@router.delete(ROLE, response_model=RoleDefinitionDeletionOut)
def delete_role_definition(
    roleName: str,
    auth: Annotated[AuthContext, authorize(A.ROLE_DEFINITIONS_DELETE, per_item=True)],
    platform: PlatformDep,
    force: bool = False,
) -> RoleDefinitionDeletionOut:
    removed = svc.delete_role_definition(platform, auth.authorizer, roleName, force=force)
    return RoleDefinitionDeletionOut(name=roleName, removed_assignments=[a.id for a in removed])
