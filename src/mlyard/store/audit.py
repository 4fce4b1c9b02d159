"""The audit log table and its repository: append and query, nothing else.

No foreign keys: a record must outlive the principal, workspace or group it names.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import cast

from sqlalchemy import Integer, String, Table, Text, and_, func, insert, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.audit import AuditEntry, AuditQuery, AuditRecord, AuditResult
from mlyard.store.base import Base

_LIKE_ESCAPE = "\\"


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    principal_id: Mapped[str | None] = mapped_column(String(64), index=True)
    principal_type: Mapped[str | None] = mapped_column(String(32))
    principal_name: Mapped[str | None] = mapped_column(String(255))
    auth_method: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str | None] = mapped_column(String(255))
    scope: Mapped[str | None] = mapped_column(Text)
    scope_key: Mapped[str | None] = mapped_column(String(512), index=True)
    target: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64))

    def to_entity(self) -> AuditRecord:
        return AuditRecord(
            id=self.id,
            at=self.at,
            principal_id=self.principal_id,
            principal_type=self.principal_type,
            principal_name=self.principal_name,
            auth_method=self.auth_method,
            action=self.action,
            scope=self.scope,
            target=self.target,
            method=self.method,
            status=self.status,
            result=AuditResult(self.result),
            reason=self.reason,
            client_address=self.client_address,
            request_id=self.request_id,
        )


def _like(pattern: str) -> str:
    """An action pattern ('*' for any characters) as a LIKE pattern that takes '%' and '_' literally."""
    escaped = pattern.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2).replace("%", r"\%").replace("_", r"\_")
    return escaped.replace("*", "%").lower()


_AUDIT_LOG = cast(Table, AuditRow.__table__)  # for Core INSERTs


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record_id: str, entry: AuditEntry, scope_key: str | None) -> None:
        values = {f.name: getattr(entry, f.name) for f in fields(AuditEntry)}
        values["result"] = entry.result.value
        # A Core INSERT, run at once: the unit of work would cost more than the row, which the
        # tracking hot path adds to every write (see server/audit.py).
        self.session.execute(insert(_AUDIT_LOG), {"id": record_id, "scope_key": scope_key, **values})

    def query(self, q: AuditQuery, after: tuple[datetime, str] | None, limit: int) -> list[AuditRecord]:
        """Newest first; ``after`` is the (at, id) of the last record of the previous page."""
        stmt = select(AuditRow)
        key = q.scope.key
        if key != "/":
            stmt = stmt.where((AuditRow.scope_key == key) | AuditRow.scope_key.startswith(key + "/", autoescape=True))
        if q.principal:
            stmt = stmt.where(
                (AuditRow.principal_id == q.principal) | (func.lower(AuditRow.principal_name) == q.principal.lower())
            )
        if q.since is not None:
            stmt = stmt.where(AuditRow.at >= q.since)
        if q.until is not None:
            stmt = stmt.where(AuditRow.at < q.until)
        if q.action:
            stmt = stmt.where(func.lower(AuditRow.action).like(_like(q.action), escape=_LIKE_ESCAPE))
        if q.result is not None:
            stmt = stmt.where(AuditRow.result == q.result.value)
        if after is not None:
            at, last_id = after
            stmt = stmt.where(or_(AuditRow.at < at, and_(AuditRow.at == at, AuditRow.id < last_id)))
        stmt = stmt.order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        return [row.to_entity() for row in self.session.scalars(stmt)]


__all__ = ["AuditRepository", "AuditRow"]
