"""The audit log: one record per write, denial or secret read, and the questions asked of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from mlyard.core.scopes import Scope


class AuditResult(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


@dataclass(frozen=True)
class AuditEntry:
    """What happened, as the server saw it; never a secret, a password or a token.

    ``action`` and ``scope`` are None when the request failed before authorization knew them
    (a missing or unknown token); the ``principal_*`` fields are None when nobody was identified.
    """

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
    result: AuditResult
    reason: str | None
    client_address: str | None
    request_id: str


@dataclass(frozen=True)
class AuditRecord(AuditEntry):
    id: str


@dataclass(frozen=True)
class AuditQuery:
    """Filters of a listing; ``scope`` includes everything below it, ``until`` is exclusive."""

    scope: Scope = field(default_factory=Scope.root)
    principal: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    action: str | None = None
    result: AuditResult | None = None
    limit: int = 100
    cursor: str | None = None


@dataclass(frozen=True)
class AuditPage:
    records: tuple[AuditRecord, ...]
    next_cursor: str | None
