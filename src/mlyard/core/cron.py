"""Cron expressions for compute-instance schedules: ``minute hour day-of-month month day-of-week``.

Each field takes ``*``, a number, a range ``a-b``, a list ``a,b`` and a step ``*/n`` or ``a-b/n``;
day-of-week counts 0 (Sunday) to 6 (7 is Sunday too). As in cron, when both day fields are
restricted a day matches either. Times are UTC.
"""

from __future__ import annotations

from datetime import datetime

from mlyard.core.errors import ValidationError

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 7))


def _values(text: str, name: str, low: int, high: int) -> set[int]:
    found: set[int] = set()
    for part in text.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"the step of '{part}' in the {name} field")
        if span == "*":
            start, end = low, high
        elif "-" in span:
            a, _, b = span.partition("-")
            start, end = int(a), int(b)
        else:
            start = end = int(span)
            if step is not None:
                end = high
        if not low <= start <= end <= high:
            raise ValueError(f"'{part}' is outside {low}-{high} in the {name} field")
        found.update(range(start, end + 1, step or 1))
    return found


def parse_cron(expression: object) -> tuple[set[int], ...]:
    if not isinstance(expression, str) or len(expression.split()) != 5:
        raise ValidationError(
            f"A schedule's cron is five fields, 'minute hour day-of-month month day-of-week' (such as "
            f"'0 8 * * 1-5'), not {expression!r}.",
            target="cron",
        )
    try:
        fields = tuple(
            _values(text, name, low, high) for text, (name, low, high) in zip(expression.split(), _FIELDS, strict=True)
        )
    except ValueError as exc:
        raise ValidationError(f"Cron {expression!r} cannot be read: {exc}.", target="cron") from None
    weekdays = fields[4]
    if 7 in weekdays:
        weekdays.add(0)
    return fields


def check_cron(expression: object) -> str:
    parse_cron(expression)
    assert isinstance(expression, str)
    return expression


def cron_matches(expression: str, at: datetime) -> bool:
    """Whether ``at`` (its minute, in UTC) is one of the expression's times."""
    minute, hour, day, month, weekday = parse_cron(expression)
    dom_all, dow_all = expression.split()[2] == "*", expression.split()[4] == "*"
    day_ok = at.day in day
    weekday_ok = (at.isoweekday() % 7) in weekday
    days = day_ok and weekday_ok if dom_all or dow_all else day_ok or weekday_ok
    return at.minute in minute and at.hour in hour and at.month in month and days
