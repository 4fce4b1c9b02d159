"""The cron expressions of compute-instance schedules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mlyard.core.cron import check_cron, cron_matches
from mlyard.core.errors import ValidationError

FRIDAY_0800 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "matches"),
    [
        ("0 8 * * 1-5", True),
        ("0 8 * * 0,6", False),
        ("*/15 8 * * *", True),
        ("5/15 8 * * *", False),
        ("0 8 27 * 7", True),  # both day fields restricted: either matches
        ("0 8 1 * 0", False),
        ("0 8 * 12 *", False),
        ("0 0-23/8 * * 5", True),
    ],
)
def test_cron_matches(expression: str, matches: bool) -> None:
    assert cron_matches(expression, FRIDAY_0800) is matches


@pytest.mark.parametrize("bad", ["", "* * * *", "60 * * * *", "* * 0 * *", "*/0 * * * *", "a * * * *", None])
def test_bad_cron_is_refused(bad: object) -> None:
    with pytest.raises(ValidationError):
        check_cron(bad)
