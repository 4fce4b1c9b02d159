"""Evaluating template expressions against an :class:`EvalContext`.

``if()`` evaluates only the branch it takes; ``variables()`` evaluates a variable once, on
first use, and reports a cycle between variables by naming it.
"""

from __future__ import annotations

import copy
import difflib
from typing import Any

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates import array_functions, functions, logic_functions, scope_functions
from mlyard.services.templates.context import EvalContext
from mlyard.services.templates.parser import Call, Literal, Member, Node, is_expression, parse_expression
from mlyard.services.templates.registry import Args, ExpressionError, FunctionSpec, preview, type_name

FUNCTIONS: dict[str, FunctionSpec] = {
    **functions.TABLE.specs,
    **logic_functions.TABLE.specs,
    **array_functions.TABLE.specs,
    **scope_functions.TABLE.specs,
}
_SPECIAL = {"if": "if", "parameters": "parameters", "variables": "variables"}
_UNSUPPORTED = (
    "is not supported by mlyard: a template cannot read the runtime state or keys of resources; "
    "pass the value in as a parameter instead"
)


def evaluate(value: Any, ctx: EvalContext, where: str) -> Any:
    """Evaluate every expression inside a template value (objects and arrays included)."""
    if isinstance(value, str):
        if value.startswith("[["):
            return value[1:]
        if is_expression(value):
            return _eval(parse_expression(value, where), ctx, where)
        return value
    if isinstance(value, dict):
        return {key: evaluate(item, ctx, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [evaluate(item, ctx, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def find_key(mapping: Any, name: str) -> str | None:
    """The key of ``mapping`` that equals ``name``, exactly or else ignoring case."""
    if name in mapping:
        return name
    lowered = name.lower()
    return next((key for key in mapping if key.lower() == lowered), None)


def _eval(node: Node, ctx: EvalContext, where: str) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Call):
        return _call(node, ctx, where)
    target = _eval(node.target, ctx, where)
    if isinstance(node, Member):
        if not isinstance(target, dict):
            raise _fail(where, f"cannot read property '{node.name}' of {type_name(target)} {preview(target)}")
        key = find_key(target, node.name)
        if key is None:
            known = ", ".join(target) or "none"
            raise _fail(where, f"the object has no property '{node.name}' (it has: {known})")
        return target[key]
    index = _eval(node.index, ctx, where)
    if isinstance(target, list):
        if not isinstance(index, int) or isinstance(index, bool):
            raise _fail(where, f"an array index must be an integer, got {type_name(index)}")
        if not 0 <= index < len(target):
            raise _fail(where, f"index {index} is out of range for an array of length {len(target)}")
        return target[index]
    if isinstance(target, dict):
        key = find_key(target, index) if isinstance(index, str) else None
        if key is None:
            raise _fail(where, f"the object has no property {preview(index)} (it has: {', '.join(target)})")
        return target[key]
    raise _fail(where, f"cannot index {type_name(target)} {preview(target)}")


def _fail(where: str, message: str) -> InvalidTemplate:
    return InvalidTemplate(f"{where}: {message}", target=where)


def _call(node: Call, ctx: EvalContext, where: str) -> Any:
    name = node.name.lower()
    if name in _SPECIAL:
        return _special(name, node, ctx, where)
    spec = FUNCTIONS.get(name)
    if spec is None:
        if name in ("reference", "listkeys", "listsecrets") or name.startswith("list"):
            raise _fail(where, f"{node.name}() {_UNSUPPORTED}")
        close = difflib.get_close_matches(name, [*FUNCTIONS, *_SPECIAL], n=1)
        hint = f"; did you mean '{FUNCTIONS[close[0]].name if close[0] in FUNCTIONS else close[0]}'?" if close else ""
        raise _fail(where, f"unknown function '{node.name}'{hint}")
    if spec.default_only and not ctx.parameter_defaults:
        raise _fail(where, f"{spec.name}() can only be used in a parameter's defaultValue")
    values = [_eval(arg, ctx, where) for arg in node.args]
    try:
        spec.check_arity(len(values))
        return spec.impl(Args(spec.name, values, ctx))
    except ExpressionError as exc:
        raise _fail(where, exc.message) from None


def _special(name: str, node: Call, ctx: EvalContext, where: str) -> Any:
    if name == "if":
        if len(node.args) != 3:
            raise _fail(where, f"if() takes exactly 3 arguments (condition, then, else), got {len(node.args)}")
        condition = _eval(node.args[0], ctx, where)
        if not isinstance(condition, bool):
            raise _fail(where, f"if(): the condition must be a bool, got {type_name(condition)}")
        return _eval(node.args[1 if condition else 2], ctx, where)
    if len(node.args) != 1:
        raise _fail(where, f"{name}() takes exactly 1 argument (a name), got {len(node.args)}")
    key = _eval(node.args[0], ctx, where)
    if not isinstance(key, str):
        raise _fail(where, f"{name}(): the name must be a string, got {type_name(key)}")
    if name == "parameters":
        found = find_key(ctx.parameters, key)
        if found is None:
            raise _fail(where, f"unknown parameter '{key}'; the template declares: {_listing(ctx.parameters)}")
        return copy.deepcopy(ctx.parameters[found])
    if ctx.parameter_defaults:
        raise _fail(where, "variables() cannot be used in a parameter's defaultValue")
    return variable(key, ctx, where)


def variable(name: str, ctx: EvalContext, where: str) -> Any:
    """Evaluate (once) the variable ``name``; a cycle between variables is an error."""
    key = find_key(ctx.variables, name)
    if key is None:
        raise _fail(where, f"unknown variable '{name}'; the template declares: {_listing(ctx.variables)}")
    if key not in ctx.variable_cache:
        if key in ctx.variable_stack:
            cycle = [*ctx.variable_stack[ctx.variable_stack.index(key) :], key]
            raise InvalidTemplate(
                f"variables.{key}: the variables refer to each other in a cycle: {' -> '.join(cycle)}; "
                "break it by giving one of them a value of its own",
                target=f"variables.{key}",
            )
        ctx.variable_stack.append(key)
        try:
            ctx.variable_cache[key] = evaluate(ctx.variables[key], ctx, f"variables.{key}")
        finally:
            ctx.variable_stack.pop()
    return copy.deepcopy(ctx.variable_cache[key])


def _listing(mapping: Any) -> str:
    names = ", ".join(mapping)
    return names or "(none)"
