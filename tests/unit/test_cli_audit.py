"""``mlyard audit list --since/--until``: ISO times (UTC unless zoned) and durations back from now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import typer

from mlyard.cli.audit import parse_time

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", NOW - timedelta(seconds=90)),
        ("30m", NOW - timedelta(minutes=30)),
        ("1h", NOW - timedelta(hours=1)),
        ("7d", NOW - timedelta(days=7)),
        ("2w", NOW - timedelta(weeks=2)),
        ("2026-11-27T00:00", datetime(2026, 11, 27, tzinfo=UTC)),
        ("2026-11-27", datetime(2026, 11, 27, tzinfo=UTC)),
        ("2026-11-27T01:00+01:00", datetime(2026, 11, 27, 1, tzinfo=timezone(timedelta(hours=1)))),
        ("2026-11-27T00:00Z", datetime(2026, 11, 27, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    parsed = parse_time(text, now=NOW)
    assert parsed == expected and parsed.tzinfo is not None


@pytest.mark.parametrize("text", ["yesterday", "1y", "-1h", "h"])
def test_a_time_that_is_neither_is_a_usage_error(text: str) -> None:
    with pytest.raises(typer.Exit) as caught:
        parse_time(text, now=NOW)
    assert caught.value.exit_code == 2
