"""The audit log, read through the REST API (Owners only), as the server's JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mlyard.sdk.client import API, Client
from mlyard.sdk.paging import Paged


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.isoformat().replace("+00:00", "Z")


def list_audit_logs(
    client: Client,
    *,
    scope: str | None = None,
    principal: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str | None = None,
    result: str | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """Up to ``limit`` records, newest first, following the server's pages.

    The answer has the REST API's shape: ``{"value": [...], "nextCursor": ...}``; a cursor means
    that more records match than ``limit``.
    """

    def fetch(cursor: str | None, size: int) -> tuple[list[dict[str, Any]], str | None]:
        page: dict[str, Any] = client.get(
            f"{API}/auditLogs",
            scope=scope,
            principal=principal,
            since=_when(since),
            until=_when(until),
            action=action,
            result=result,
            limit=size,
            cursor=cursor,
        )
        return page["value"], page.get("nextCursor")

    pages = Paged(fetch, limit)
    records = list(pages)
    return {"value": records, "nextCursor": pages.token}
