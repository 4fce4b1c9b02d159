"""The audit log, read-only: there is deliberately no route that changes or deletes a record."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from mlyard.api.audit import AuditPageOut, AuditRecordOut
from mlyard.core import actions as A
from mlyard.core.entities.audit import AuditQuery, AuditRecord, AuditResult
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import audit as svc

router = APIRouter(prefix="/api/v1", tags=["audit"])


def record_out(r: AuditRecord) -> AuditRecordOut:
    return AuditRecordOut(
        id=r.id,
        at=r.at,
        principal_id=r.principal_id,
        principal_type=r.principal_type,
        principal_name=r.principal_name,
        auth_method=r.auth_method,
        action=r.action,
        scope=r.scope,
        target=r.target,
        method=r.method,
        status=r.status,
        result=r.result.value,
        reason=r.reason,
        client_address=r.client_address,
        request_id=r.request_id,
    )


@router.get("/auditLogs", response_model=AuditPageOut)
def list_audit_logs(
    auth: Annotated[AuthContext, authorize(A.AUDIT_LOGS_READ, scope_query="scope")],
    platform: PlatformDep,
    scope: Annotated[str, Query(description="Records at this scope and below ('/' for all).")] = "/",
    principal: Annotated[str | None, Query(description="A principal's name or id.")] = None,
    since: Annotated[datetime | None, Query(description="From this time on (ISO 8601; UTC if no zone).")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (ISO 8601; UTC if no zone).")] = None,
    action: Annotated[str | None, Query(description="An action, '*' matching any characters.")] = None,
    result: AuditResult | None = None,
    limit: Annotated[int, Query(ge=1, le=svc.MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(description="The nextCursor of the previous page.")] = None,
) -> AuditPageOut:
    query = AuditQuery(auth.scope, principal, since, until, action, result, limit, cursor)
    page = svc.list_records(platform.db, query)
    return AuditPageOut(value=[record_out(r) for r in page.records], next_cursor=page.next_cursor)
