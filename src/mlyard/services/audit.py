"""The audit log: append one record, list records newest first with keyset paging.

Records are only ever added; nothing here (and no route) changes or removes one. A retention
setting that prunes old records may come later, as an operator's command, not through the API.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from mlyard.core.actions import normalize_action
from mlyard.core.entities.audit import AuditEntry, AuditPage, AuditQuery, AuditRecord
from mlyard.core.errors import ValidationError
from mlyard.core.ids import new_id
from mlyard.core.scopes import Scope
from mlyard.store.audit import AuditRepository
from mlyard.store.database import Database

MAX_LIMIT = 1000
# Bounds that keep one record small whatever a caller sends (paths can be long).
_MAX_TARGET = 2048
_MAX_NAME = 255
_MAX_SHORT = 64


def _clip(value: str | None, size: int) -> str | None:
    return value if value is None or len(value) <= size else value[: size - 1] + "…"


def record(db: Database, entry: AuditEntry) -> AuditRecord:
    """Append one record in its own short transaction (one INSERT)."""
    with db.write() as session:
        return record_in(session, entry)


def record_in(session: Session, entry: AuditEntry) -> AuditRecord:
    """Append one record inside an open write transaction: it commits, or vanishes, with the
    change it records (the server's tracking writes use this; see ``server/audit.py``)."""
    clipped = replace(
        entry,
        at=entry.at.astimezone(UTC),
        principal_name=_clip(entry.principal_name, _MAX_NAME),
        target=_clip(entry.target, _MAX_TARGET) or "",
        reason=_clip(entry.reason, _MAX_SHORT),
        client_address=_clip(entry.client_address, _MAX_SHORT),
        request_id=_clip(entry.request_id, _MAX_SHORT) or "",
    )
    record_id = new_id()
    scope_key = Scope.parse(entry.scope).key if entry.scope is not None else None
    AuditRepository(session).add(record_id, clipped, scope_key)
    return AuditRecord(**{**clipped.__dict__, "id": record_id})


def list_records(db: Database, query: AuditQuery) -> AuditPage:
    """Records matching every filter, newest first; ``next_cursor`` continues where this page ends."""
    if not 1 <= query.limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be from 1 to {MAX_LIMIT}.", target="limit")
    since, until = _aware(query.since, "since"), _aware(query.until, "until")
    action = normalize_action(query.action) if query.action else None
    normalized = replace(query, since=since, until=until, action=action)
    after = decode_cursor(query.cursor) if query.cursor else None
    with db.read() as session:
        found = AuditRepository(session).query(normalized, after, query.limit + 1)
    page = found[: query.limit]
    more = len(found) > query.limit
    return AuditPage(tuple(page), encode_cursor(page[-1]) if more else None)


def _aware(value: datetime | None, target: str) -> datetime | None:
    """Times without a zone are taken as UTC, the zone every record is kept in."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(f"{target} is out of range.", target=target) from None


def encode_cursor(last: AuditRecord) -> str:
    raw = json.dumps([last.at.isoformat(), last.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at_text, last_id = json.loads(raw)
        at = datetime.fromisoformat(at_text)
        if not isinstance(last_id, str) or at.tzinfo is None:
            raise ValueError("cursor fields")
        at = at.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(
            "The cursor is not one this server gave: pass the nextCursor of the previous page unchanged.",
            target="cursor",
        ) from None
    return at, last_id


__all__ = ["MAX_LIMIT", "decode_cursor", "encode_cursor", "list_records", "record"]
