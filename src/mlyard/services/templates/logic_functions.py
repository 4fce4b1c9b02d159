"""Template functions on logic, comparison and integers.

``and``/``or``/``not`` take bools; ``less``/``greater`` compare two integers or two strings.
Integer division (``div``) and remainder (``mod``) truncate toward zero, as in ARM.
"""

from __future__ import annotations

from typing import Any

from mlyard.services.templates.registry import Args, FunctionTable, same

TABLE = FunctionTable()
fn = TABLE.register


# --- logic and comparison ------------------------------------------------------------


@fn("true", 0)
def _true(a: Args) -> bool:
    return True


@fn("false", 0)
def _false(a: Args) -> bool:
    return False


@fn("null", 0)
def _null(a: Args) -> None:
    return None


@fn("equals", 2)
def _equals(a: Args) -> bool:
    return same(a.values[0], a.values[1])


@fn("not", 1)
def _not(a: Args) -> bool:
    return not a.flag(0)


@fn("and", (2, None))
def _and(a: Args) -> bool:
    return all([a.flag(i) for i in range(len(a))])


@fn("or", (2, None))
def _or(a: Args) -> bool:
    return any([a.flag(i) for i in range(len(a))])


def _ordered(a: Args) -> tuple[Any, Any]:
    left, right = a.values
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    return a.integer(0), a.integer(1)


@fn("less", 2)
def _less(a: Args) -> bool:
    left, right = _ordered(a)
    return bool(left < right)


@fn("lessOrEquals", 2)
def _less_or_equals(a: Args) -> bool:
    left, right = _ordered(a)
    return bool(left <= right)


@fn("greater", 2)
def _greater(a: Args) -> bool:
    left, right = _ordered(a)
    return bool(left > right)


@fn("greaterOrEquals", 2)
def _greater_or_equals(a: Args) -> bool:
    left, right = _ordered(a)
    return bool(left >= right)


# --- numbers -------------------------------------------------------------------------


@fn("add", 2)
def _add(a: Args) -> int:
    return a.integer(0) + a.integer(1)


@fn("sub", 2)
def _sub(a: Args) -> int:
    return a.integer(0) - a.integer(1)


@fn("mul", 2)
def _mul(a: Args) -> int:
    return a.integer(0) * a.integer(1)


def _truncating_div(a: Args) -> tuple[int, int, int]:
    left, right = a.integer(0), a.integer(1)
    if right == 0:
        a.fail("division by zero")
    quotient = abs(left) // abs(right)
    return left, right, quotient if (left < 0) == (right < 0) else -quotient


@fn("div", 2)
def _div(a: Args) -> int:
    return _truncating_div(a)[2]


@fn("mod", 2)
def _mod(a: Args) -> int:
    left, right, quotient = _truncating_div(a)
    return left - right * quotient


def _numbers(a: Args) -> list[int]:
    if len(a) == 1 and isinstance(a.values[0], list):
        values = a.values[0]
        if not values:
            a.fail("the array is empty")
        numbers = Args(a.name, values, a.ctx)
        return [numbers.integer(i) for i in range(len(values))]
    return [a.integer(i) for i in range(len(a))]


@fn("min", (1, None))
def _min(a: Args) -> int:
    return min(_numbers(a))


@fn("max", (1, None))
def _max(a: Args) -> int:
    return max(_numbers(a))


@fn("range", 2)
def _range(a: Args) -> list[int]:
    start, count = a.integer(0), a.integer(1)
    if count < 0 or count > 10000:
        a.fail(f"count must be between 0 and 10000, got {count}")
    return list(range(start, start + count))
