"""``mlyard audit list``: who did what, where and when (Owners only)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer

from mlyard.cli.context import Context
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.sdk import audit

app = typer.Typer(help="The audit log: writes, denials and secret reads.", no_args_is_help=True)

COLUMNS: Columns = (
    ("at", "When"),
    ("principalName", "Principal"),
    ("method", "Method"),
    ("target", "Target"),
    ("action", "Action"),
    ("status", "Status"),
    ("result", "Result"),
    ("reason", "Reason"),
    ("clientAddress", "Client"),
)
_AGO = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Result(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


def parse_time(text: str, *, now: datetime | None = None, option: str = "--since") -> datetime:
    """``2026-11-27T00:00`` (UTC unless it names a zone) or a duration back from now: ``90s``, ``1h``, ``7d``."""
    ago = _AGO.fullmatch(text.strip())
    if ago is not None:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[ago.group(2)]: int(ago.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} takes an ISO 8601 time (2026-11-27T00:00) or a duration such as 30m, 1h or 7d.", 2)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@app.command("list")
def list_(
    scope: Annotated[
        str | None, typer.Option("--scope", help="Records at this scope and below, e.g. /subscriptions/S.")
    ] = None,
    principal: Annotated[str | None, typer.Option("--principal", help="A principal's name or id.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this time (ISO 8601, UTC) or 1h, 7d ago.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Before this time (ISO 8601, UTC) or 1h ago.")] = None,
    action: Annotated[str | None, typer.Option("--action", help="An action; '*' matches anything.")] = None,
    result: Annotated[Result | None, typer.Option("--result", help="allowed or denied.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="At most this many records.")] = 100,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List audit records, newest first."""
    found = audit.list_audit_logs(
        Context.load().client,
        scope=scope,
        principal=principal,
        since=parse_time(since) if since else None,
        until=parse_time(until, option="--until") if until else None,
        action=action,
        result=result.value if result else None,
        limit=limit,
    )
    render(found["value"], output, COLUMNS)
    if found["nextCursor"]:
        note(f"More than {limit} records match: raise --limit or narrow --since/--until.")
