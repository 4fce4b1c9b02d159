"""The table of template functions, and the helpers the functions share."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from mlyard.services.templates.context import EvalContext


class ExpressionError(Exception):
    """A function's complaint about its arguments; the evaluator adds where it happened."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def type_name(value: Any) -> str:
    """The template type of a value: string, int, bool, array, object, null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def preview(value: Any, limit: int = 60) -> str:
    """A short rendering of a value for error messages."""
    text = f"'{value}'" if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_text(value: Any) -> str:
    """The ``string()`` conversion: bools as True/False, arrays and objects as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"))


def same(left: Any, right: Any) -> bool:
    """Deep equality that does not take ``true`` for ``1``."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same(a, b) for a, b in zip(left, right, strict=True))
    return type_name(left) == type_name(right) and bool(left == right)


@dataclass
class Args:
    """The evaluated arguments of one call, with typed accessors that explain misuse."""

    name: str
    values: list[Any]
    ctx: EvalContext

    def __len__(self) -> int:
        return len(self.values)

    def fail(self, message: str) -> NoReturn:
        raise ExpressionError(f"{self.name}(): {message}")

    def _expect(self, index: int, what: str) -> NoReturn:
        value = self.values[index]
        self.fail(f"argument {index + 1} must be {what}, got {type_name(value)} {preview(value)}")

    def text(self, index: int) -> str:
        value = self.values[index]
        if not isinstance(value, str):
            self._expect(index, "a string")
        return value

    def integer(self, index: int) -> int:
        value = self.values[index]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self._expect(index, "an integer")
        return value

    def flag(self, index: int) -> bool:
        value = self.values[index]
        if not isinstance(value, bool):
            self._expect(index, "a bool (true() or false())")
        return value

    def array(self, index: int) -> list[Any]:
        value = self.values[index]
        if not isinstance(value, list):
            self._expect(index, "an array")
        return value

    def mapping(self, index: int) -> dict[str, Any]:
        value = self.values[index]
        if not isinstance(value, dict):
            self._expect(index, "an object")
        return value


Impl = Callable[[Args], Any]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    impl: Impl
    min_args: int
    max_args: int | None
    default_only: bool = False

    def check_arity(self, count: int) -> None:
        low, high = self.min_args, self.max_args
        if low <= count and (high is None or count <= high):
            return
        if high is None:
            wanted = f"at least {low} argument{'s' if low != 1 else ''}"
        elif low == high:
            wanted = f"exactly {low} argument{'s' if low != 1 else ''}"
        else:
            wanted = f"{low} to {high} arguments"
        raise ExpressionError(f"{self.name}() takes {wanted}, got {count}")


class FunctionTable:
    """Functions registered by name (looked up case-insensitively)."""

    def __init__(self) -> None:
        self.specs: dict[str, FunctionSpec] = {}

    def register(
        self, name: str, arity: int | tuple[int, int | None], *, default_only: bool = False
    ) -> Callable[[Impl], Impl]:
        low, high = (arity, arity) if isinstance(arity, int) else arity

        def decorate(impl: Impl) -> Impl:
            self.specs[name.lower()] = FunctionSpec(name, impl, low, high, default_only)
            return impl

        return decorate
