"""Parameter values: converting what was supplied, applying defaults, checking bounds.

Values supplied as strings (the CLI's ``name=value``) are converted by the declared type:
``int`` from digits, ``bool`` from ``true``/``false``, ``array``/``object`` from JSON.
A secure parameter's value never appears in an error message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates.context import (
    EvalContext,
    collect_secure_values,
    mask_text,
    resource_group_object,
    subscription_object,
)
from mlyard.services.templates.expressions import evaluate, find_key
from mlyard.services.templates.registry import preview, same, type_name
from mlyard.services.templates.template import ParameterSpec, Template, load_document

_EXPECTED = {
    "string": "a string",
    "securestring": "a string",
    "int": "an integer",
    "bool": "true or false",
    "array": "a JSON array",
    "object": "a JSON object",
    "secureobject": "a JSON object",
}


def _fail(spec: ParameterSpec, message: str) -> InvalidTemplate:
    return InvalidTemplate(f"parameter '{spec.name}': {message}", target=f"parameters.{spec.name}")


def _shown(spec: ParameterSpec, value: Any) -> str:
    return "the value given" if spec.secure else f"{type_name(value)} {preview(value)}"


def convert_value(spec: ParameterSpec, value: Any) -> Any:
    """A supplied value as the declared type (strings are parsed); wrong types are errors."""
    kind = spec.type
    result: Any = value
    if isinstance(value, str) and kind in ("int", "bool", "array", "object", "secureobject"):
        text = value.strip()
        if kind == "int" and re.fullmatch(r"[+-]?\d+", text):
            result = int(text)
        elif kind == "bool" and text.lower() in ("true", "false"):
            result = text.lower() == "true"
        elif kind in ("array", "object", "secureobject"):
            try:
                result = json.loads(text)
            except json.JSONDecodeError:
                raise _fail(spec, f"expects {_EXPECTED[kind]}; {_shown(spec, value)} is not valid JSON") from None
    elif kind == "int" and isinstance(value, float) and value.is_integer():
        result = int(value)
    valid = {
        "string": isinstance(result, str),
        "securestring": isinstance(result, str),
        "int": isinstance(result, int) and not isinstance(result, bool),
        "bool": isinstance(result, bool),
        "array": isinstance(result, list),
        "object": isinstance(result, dict),
        "secureobject": isinstance(result, dict),
    }[kind]
    if not valid:
        raise _fail(spec, f"expects {_EXPECTED[kind]} ({spec.type}), got {_shown(spec, value)}")
    return result


def check_value(spec: ParameterSpec, value: Any) -> None:
    """Check allowedValues and the length and value bounds."""
    if spec.allowed_values is not None and not any(same(value, a) for a in spec.allowed_values):
        allowed = ", ".join(preview(a) for a in spec.allowed_values)
        raise _fail(spec, f"{_shown(spec, value)} is not allowed; allowed values: {allowed}")
    if isinstance(value, str | list):
        unit = "characters" if isinstance(value, str) else "items"
        if spec.min_length is not None and len(value) < spec.min_length:
            raise _fail(spec, f"must have at least {spec.min_length} {unit}, got {len(value)}")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise _fail(spec, f"must have at most {spec.max_length} {unit}, got {len(value)}")
    if isinstance(value, int) and not isinstance(value, bool):
        shown = "the value given" if spec.secure else str(value)
        if spec.min_value is not None and value < spec.min_value:
            raise _fail(spec, f"must be at least {spec.min_value}, got {shown}")
        if spec.max_value is not None and value > spec.max_value:
            raise _fail(spec, f"must be at most {spec.max_value}, got {shown}")


class _Resolver(Mapping[str, Any]):
    """Parameter values by name, defaults evaluated on first use (they may refer to each other)."""

    def __init__(self, template: Template, given: dict[str, Any], ctx: EvalContext) -> None:
        self.template, self.known, self.ctx = template, dict(given), ctx
        self.stack: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return iter(self.template.parameters)

    def __len__(self) -> int:
        return len(self.template.parameters)

    def __getitem__(self, name: str) -> Any:
        if name in self.known:
            return self.known[name]
        spec = self.template.parameters[name]
        if name in self.stack:
            cycle = " -> ".join([*self.stack[self.stack.index(name) :], name])
            raise _fail(spec, f"the defaultValues refer to each other in a cycle: {cycle}")
        self.stack.append(name)
        try:
            value = evaluate(spec.default, self.ctx, f"parameters.{name}.defaultValue")
        finally:
            self.stack.pop()
        value = convert_value(spec, value)
        check_value(spec, value)
        self.known[name] = value
        return value


def resolve_parameters(
    template: Template,
    supplied: Mapping[str, Any],
    *,
    subscription: Mapping[str, Any] | None = None,
    resource_group: Mapping[str, Any] | None = None,
    deployment_name: str = "deployment",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Every declared parameter's value: the supplied one (converted) or its default.

    ``subscription``/``resource_group`` are what ``subscription()``/``resourceGroup()``
    return in default values such as ``[resourceGroup().location]``.
    """
    given: dict[str, Any] = {}
    declared = template.parameters
    for key, value in supplied.items():
        name = find_key(declared, key)
        if name is None:
            listing = ", ".join(declared) or "(none)"
            raise InvalidTemplate(
                f"unknown parameter '{key}'; the template declares: {listing}", target=f"parameters.{key}"
            )
        given[name] = value
    secrets = collect_secure_values(v for k, v in given.items() if declared[k].secure)
    try:
        for name, value in given.items():
            given[name] = convert_value(declared[name], value)
            check_value(declared[name], given[name])
        missing = [s for s in declared.values() if s.name not in given and not s.has_default]
        if missing:
            names = ", ".join(f"'{s.name}' ({s.type})" for s in missing)
            several = len(missing) > 1
            raise InvalidTemplate(
                f"missing value{'s' if several else ''} for parameter{'s' if several else ''} {names}: "
                f"supply {'them' if several else 'it'} as name=value; the template gives no defaultValue",
                target=f"parameters.{missing[0].name}",
            )
        sub = subscription_object(subscription or {"subscriptionId": "00000000-0000-0000-0000-000000000000"})
        ctx = EvalContext(
            parameters={},
            subscription=sub,
            resource_group=resource_group_object(resource_group, sub),
            deployment_name=deployment_name,
            secure_values=secrets,
            parameter_defaults=True,
            now=now,
        )
        resolver = _Resolver(template, given, ctx)
        ctx.parameters = resolver
        return {name: resolver[name] for name in declared}
    except InvalidTemplate as exc:
        raise InvalidTemplate(mask_text(exc.message, secrets), target=exc.target) from None


def secure_values_of(template: Template, values: Mapping[str, Any]) -> frozenset[str]:
    """The strings to mask: those in the values of secure parameters."""
    return collect_secure_values(
        value for name, value in values.items() if name in template.parameters and template.parameters[name].secure
    )


def load_parameters_file(doc: Mapping[str, Any] | str) -> dict[str, Any]:
    """Parameter values from Azure's parameters-file shape or a plain ``{name: value}`` mapping.

    Azure's shape is ``{"$schema": ..., "contentVersion": ..., "parameters": {"n": {"value": x}}}``.
    """
    body = load_document(doc, "parameters file")
    inner = body.get("parameters")
    azure_keys = {"$schema", "contentversion", "parameters"}
    if not isinstance(inner, Mapping) or not all(str(k).lower() in azure_keys for k in body):
        return body
    if "$schema" not in body and not all(isinstance(v, Mapping) for v in inner.values()):
        return body
    result: dict[str, Any] = {}
    for name, entry in inner.items():
        where = f"parameters.{name}"
        if isinstance(entry, Mapping) and "value" in entry:
            result[str(name)] = entry["value"]
        elif isinstance(entry, Mapping) and "reference" in entry:
            raise InvalidTemplate(
                f"{where}: Key Vault references are not supported by mlyard; give the value itself",
                target=where,
            )
        else:
            raise InvalidTemplate(f'{where}: expected an object {{"value": ...}}', target=where)
    return result
