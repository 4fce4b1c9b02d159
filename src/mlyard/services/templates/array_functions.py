"""Template functions on arrays and objects (some also take strings, as in ARM).

Object keys are compared case-insensitively by ``contains``; ``union`` of objects is
shallow (a later object's key replaces an earlier one's).
"""

from __future__ import annotations

from typing import Any

from mlyard.services.templates.registry import Args, FunctionTable, same, type_name

TABLE = FunctionTable()
fn = TABLE.register


def _sized(a: Args, index: int = 0) -> str | list[Any] | dict[str, Any]:
    value = a.values[index]
    if not isinstance(value, str | list | dict):
        a.fail(f"argument {index + 1} must be a string, an array or an object, got {type_name(value)}")
    return value


@fn("length", 1)
def _length(a: Args) -> int:
    return len(_sized(a))


@fn("empty", 1)
def _empty(a: Args) -> bool:
    return a.values[0] is None or len(_sized(a)) == 0


@fn("contains", 2)
def _contains(a: Args) -> bool:
    container, item = _sized(a), a.values[1]
    if isinstance(container, str):
        if isinstance(item, list | dict) or item is None:
            a.fail(f"cannot look for {type_name(item)} in a string")
        return str(item) in container
    if isinstance(container, dict):
        if not isinstance(item, str):
            a.fail(f"an object's keys are strings, not {type_name(item)}")
        return item.lower() in (key.lower() for key in container)
    return any(same(element, item) for element in container)


@fn("createArray", (0, None))
def _create_array(a: Args) -> list[Any]:
    return list(a.values)


@fn("array", 1)
def _array(a: Args) -> list[Any]:
    value = a.values[0]
    return list(value) if isinstance(value, list) else [value]


@fn("createObject", (0, None))
def _create_object(a: Args) -> dict[str, Any]:
    if len(a) % 2:
        a.fail("takes pairs of key and value; the last key has no value")
    return {a.text(i): a.values[i + 1] for i in range(0, len(a), 2)}


@fn("items", 1)
def _items(a: Args) -> list[dict[str, Any]]:
    return [{"key": key, "value": value} for key, value in a.mapping(0).items()]


@fn("union", (1, None))
def _union(a: Args) -> Any:
    if all(isinstance(v, dict) for v in a.values):
        merged: dict[str, Any] = {}
        for value in a.values:
            merged.update(value)
        return merged
    if all(isinstance(v, list) for v in a.values):
        result: list[Any] = []
        for value in a.values:
            result.extend(item for item in value if not any(same(item, seen) for seen in result))
        return result
    a.fail("takes all arrays or all objects")


@fn("intersection", (2, None))
def _intersection(a: Args) -> Any:
    first, rest = a.values[0], a.values[1:]
    if all(isinstance(v, dict) for v in a.values):
        return {
            key: value
            for key, value in first.items()
            if all(key in other and same(other[key], value) for other in rest)
        }
    if all(isinstance(v, list) for v in a.values):
        result: list[Any] = []
        for item in first:
            shared = all(any(same(item, x) for x in other) for other in rest)
            if shared and not any(same(item, seen) for seen in result):
                result.append(item)
        return result
    a.fail("takes all arrays or all objects")


@fn("coalesce", (1, None))
def _coalesce(a: Args) -> Any:
    return next((value for value in a.values if value is not None), None)


@fn("first", 1)
def _first(a: Args) -> Any:
    value = _sized(a)
    if isinstance(value, dict):
        a.fail("takes a string or an array, not an object")
    if isinstance(value, str):
        return value[:1]
    return value[0] if value else None


@fn("last", 1)
def _last(a: Args) -> Any:
    value = _sized(a)
    if isinstance(value, dict):
        a.fail("takes a string or an array, not an object")
    if isinstance(value, str):
        return value[-1:]
    return value[-1] if value else None


def _count(a: Args) -> tuple[str | list[Any], int]:
    value = _sized(a)
    if isinstance(value, dict):
        a.fail("takes a string or an array, not an object")
    return value, max(0, a.integer(1))


@fn("take", 2)
def _take(a: Args) -> Any:
    value, count = _count(a)
    return value[:count]


@fn("skip", 2)
def _skip(a: Args) -> Any:
    value, count = _count(a)
    return value[count:]
