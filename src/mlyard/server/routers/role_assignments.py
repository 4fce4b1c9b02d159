"""Role assignments: (principal, role, scope) (``az role assignment``).

Creating one is checked at its target scope, which the body names (``scope_body``); a list
shows the assignments the caller may read; a deletion is checked at the assignment's scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from mlyard.api.rbac import RoleAssignmentCreate, RoleAssignmentOut
from mlyard.core import actions as A
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import role_assignments as svc
from mlyard.services.role_assignments import NamedAssignment

router = APIRouter(prefix="/api/v1/roleAssignments", tags=["access"])


def assignment_out(named: NamedAssignment) -> RoleAssignmentOut:
    a = named.assignment
    return RoleAssignmentOut(
        id=a.id,
        scope=a.scope,
        principal_id=a.principal_id,
        principal_name=named.principal_name,
        principal_type=a.principal_type.value,
        role_definition_id=a.role_definition_id,
        role_definition_name=a.role_name,
        created_at=a.created_at,
        created_by=a.created_by,
    )


@router.get("", response_model=list[RoleAssignmentOut])
def list_role_assignments(
    auth: Annotated[AuthContext, authorize(A.ROLE_ASSIGNMENTS_READ, filtered=True, scope_query="scope")],
    platform: PlatformDep,
    assignee: str | None = None,
    includeInherited: bool = False,
) -> list[RoleAssignmentOut]:
    found = svc.list_role_assignments(
        platform, auth.authorizer, auth.scope, assignee=assignee, include_inherited=includeInherited
    )
    return [assignment_out(n) for n in found]


@router.post("", response_model=RoleAssignmentOut, status_code=201)
def create_role_assignment(
    body: RoleAssignmentCreate,
    auth: Annotated[AuthContext, authorize(A.ROLE_ASSIGNMENTS_WRITE, scope_body="scope")],
    platform: PlatformDep,
) -> RoleAssignmentOut:
    return assignment_out(svc.create_role_assignment(platform, auth.principal, body.assignee, body.role, auth.scope))


@router.delete("/{assignmentId}", status_code=204, response_class=Response)
def delete_role_assignment(
    assignmentId: str,
    auth: Annotated[AuthContext, authorize(A.ROLE_ASSIGNMENTS_DELETE, per_item=True)],
    platform: PlatformDep,
) -> None:
    svc.delete_role_assignment(platform, auth.authorizer, assignmentId)
