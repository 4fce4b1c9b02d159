"""The caller's own permissions at a scope (Azure's ``Microsoft.Authorization/permissions``) and
``checkAccess``: which of some actions the caller may do there. Anyone may ask about themselves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from mlyard.api.rbac import AccessDecisionOut, CheckAccessRequest, PermissionOut, PermissionsOut
from mlyard.core import actions as A
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import permissions as svc

router = APIRouter(prefix="/api/v1", tags=["access"])


@router.get("/permissions", response_model=PermissionsOut)
def list_permissions(
    auth: Annotated[AuthContext, authorize(A.SELF, scope_query="scope")], platform: PlatformDep
) -> PermissionsOut:
    scope, held = svc.permissions_at(platform, auth.authorizer, auth.scope)
    return PermissionsOut(
        scope=scope.path,
        value=[
            PermissionOut(
                role_definition_name=p.role.name,
                role_definition_id=p.role.id,
                assigned_at=p.assigned_at.path,
                actions=list(p.role.actions),
                not_actions=list(p.role.not_actions),
            )
            for p in held
        ],
    )


@router.post("/checkAccess", response_model=list[AccessDecisionOut])
def check_access(
    body: CheckAccessRequest,
    auth: Annotated[AuthContext, authorize(A.SELF, scope_body="scope")],
    platform: PlatformDep,
) -> list[AccessDecisionOut]:
    decisions = svc.check_access(platform, auth.authorizer, auth.scope, body.actions)
    return [AccessDecisionOut(action=d.action, allowed=d.allowed, reason=d.reason) for d in decisions]
