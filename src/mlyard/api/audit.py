"""Audit log records on the wire."""

from __future__ import annotations

from datetime import datetime

from mlyard.api.base import WireModel


class AuditRecordOut(WireModel):
    id: str
    at: datetime
    principal_id: str | None
    principal_type: str | None
    principal_name: str | None
    auth_method: str | None
    action: str | None
    scope: str | None
    target: str
    method: str
    status: int
    result: str
    reason: str | None
    client_address: str | None
    request_id: str


class AuditPageOut(WireModel):
    """One page, newest first; pass ``nextCursor`` back as ``cursor`` for the next (None: no more)."""

    value: list[AuditRecordOut]
    next_cursor: str | None
