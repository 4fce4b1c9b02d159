"""Reading a template document: its parameters, variables, resources and outputs.

Property names are matched case-insensitively (as in ARM). Every expression in the
document is parsed here, so syntax errors show up before anything is evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates.parser import check_syntax

PARAMETER_TYPES = ("string", "securestring", "int", "bool", "object", "secureobject", "array")
SECURE_TYPES = ("securestring", "secureobject")
_TOP_KEYS = ("$schema", "contentVersion", "parameters", "variables", "resources", "outputs")
_IGNORED_TOP_KEYS = ("metadata", "languageVersion", "apiProfile")
_UNSUPPORTED_TOP_KEYS = {
    "functions": "user-defined functions are not supported",
    "definitions": "user-defined types are not supported",
}
_PARAMETER_KEYS = (
    "type", "defaultValue", "allowedValues", "minLength", "maxLength", "minValue", "maxValue", "metadata",
)  # fmt: skip


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str  # one of PARAMETER_TYPES (lower case)
    has_default: bool = False
    default: Any = None
    allowed_values: tuple[Any, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None

    @property
    def secure(self) -> bool:
        return self.type in SECURE_TYPES


@dataclass(frozen=True)
class ResourceSpec:
    """One resource as written; ``where`` says where it is (``resources[2]``)."""

    index: int
    where: str
    body: Mapping[str, Any]  # keys as written
    symbolic_name: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        """A property of the resource, matched case-insensitively."""
        lowered = key.lower()
        return next((v for k, v in self.body.items() if k.lower() == lowered), default)


@dataclass(frozen=True)
class OutputSpec:
    name: str
    type: str
    value: Any
    condition: Any = True


@dataclass(frozen=True)
class Template:
    parameters: dict[str, ParameterSpec] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    resources: tuple[ResourceSpec, ...] = ()
    outputs: dict[str, OutputSpec] = field(default_factory=dict)
    schema: str | None = None
    content_version: str | None = None


def _fail(where: str, message: str) -> InvalidTemplate:
    return InvalidTemplate(f"{where}: {message}", target=where)


def _keys(mapping: Mapping[str, Any], where: str, known: tuple[str, ...]) -> dict[str, Any]:
    """The mapping re-keyed by the known spelling of each key; unknown keys kept as written."""
    by_lower = {k.lower(): k for k in known}
    result: dict[str, Any] = {}
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise _fail(where, f"key {key!r} is not a string")
        name = by_lower.get(key.lower(), key)
        if name in result:
            raise _fail(where, f"'{key}' is given twice (names are not case-sensitive)")
        result[name] = value
    return result


def load_document(doc: Mapping[str, Any] | str, what: str = "template") -> dict[str, Any]:
    """A mapping from JSON or YAML text (or a mapping as given)."""
    if isinstance(doc, str):
        try:
            loaded = json.loads(doc)
        except json.JSONDecodeError:
            try:
                loaded = yaml.safe_load(doc)
            except yaml.YAMLError as exc:
                raise InvalidTemplate(f"the {what} is neither valid JSON nor YAML: {exc}") from None
        doc = loaded
    if not isinstance(doc, Mapping):
        raise InvalidTemplate(f"the {what} must be a JSON or YAML object, got {type(doc).__name__}")
    return dict(doc)


def parse_template(doc: Mapping[str, Any] | str) -> Template:
    """Read and check a template given as a mapping, or as JSON or YAML text."""
    top = _keys(load_document(doc), "template", _TOP_KEYS + _IGNORED_TOP_KEYS + tuple(_UNSUPPORTED_TOP_KEYS))
    for key in top:
        if key in _UNSUPPORTED_TOP_KEYS:
            raise _fail(key, f"{_UNSUPPORTED_TOP_KEYS[key]} by mlyard; remove '{key}'")
        if key not in _TOP_KEYS + _IGNORED_TOP_KEYS:
            raise _fail("template", f"unknown top-level key '{key}'; allowed: {', '.join(_TOP_KEYS)}")
    if "resources" not in top:
        raise _fail("template", "'resources' is missing (give a list of resources, it may be empty)")
    template = Template(
        parameters=_parse_parameters(_section(top, "parameters")),
        variables=_parse_variables(_section(top, "variables")),
        resources=_parse_resources(top["resources"]),
        outputs=_parse_outputs(_section(top, "outputs")),
        schema=_optional_text(top, "$schema"),
        content_version=_optional_text(top, "contentVersion"),
    )
    for spec in template.parameters.values():
        if spec.has_default:
            check_syntax(spec.default, f"parameters.{spec.name}.defaultValue")
    check_syntax(template.variables, "variables")
    for resource in template.resources:
        check_syntax(dict(resource.body), resource.where)
    for output in template.outputs.values():
        check_syntax({"value": output.value, "condition": output.condition}, f"outputs.{output.name}")
    return template


def _section(top: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = top.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(key, f"must be an object keyed by name, got {type(value).__name__}")
    return dict(value)


def _optional_text(top: Mapping[str, Any], key: str) -> str | None:
    value = top.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(key, "must be a string")
    return value


def _optional_int(body: Mapping[str, Any], key: str, where: str) -> int | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise _fail(f"{where}.{key}", f"must be an integer, got {value!r}")
    return value


def _parse_parameters(section: Mapping[str, Any]) -> dict[str, ParameterSpec]:
    result: dict[str, ParameterSpec] = {}
    for name, raw in section.items():
        where = f"parameters.{name}"
        if not isinstance(raw, Mapping):
            raise _fail(where, "must be an object with at least a 'type'")
        body = _keys(raw, where, _PARAMETER_KEYS)
        unknown = [k for k in body if k not in _PARAMETER_KEYS]
        if unknown:
            raise _fail(where, f"unknown key '{unknown[0]}'; allowed: {', '.join(_PARAMETER_KEYS)}")
        kind = body.get("type")
        if not isinstance(kind, str) or kind.lower() not in PARAMETER_TYPES:
            allowed = "string, securestring, int, bool, object, secureObject, array"
            raise _fail(f"{where}.type", f"must be one of {allowed}; got {kind!r}")
        allowed_values = body.get("allowedValues")
        if allowed_values is not None and (not isinstance(allowed_values, list) or not allowed_values):
            raise _fail(f"{where}.allowedValues", "must be a non-empty array")
        result[name] = ParameterSpec(
            name=name,
            type=kind.lower(),
            has_default="defaultValue" in body,
            default=body.get("defaultValue"),
            allowed_values=tuple(allowed_values) if allowed_values is not None else None,
            min_length=_optional_int(body, "minLength", where),
            max_length=_optional_int(body, "maxLength", where),
            min_value=_optional_int(body, "minValue", where),
            max_value=_optional_int(body, "maxValue", where),
        )
    return result


def _parse_variables(section: Mapping[str, Any]) -> dict[str, Any]:
    if any(key.lower() == "copy" for key in section):
        raise _fail("variables.copy", "variable copy loops are not supported by mlyard")
    return dict(section)


def _parse_resources(raw: Any) -> tuple[ResourceSpec, ...]:
    if isinstance(raw, Mapping):
        items: list[tuple[str | None, Any, str]] = [(str(k), v, f"resources.{k}") for k, v in raw.items()]
    elif isinstance(raw, list):
        items = [(None, v, f"resources[{i}]") for i, v in enumerate(raw)]
    else:
        raise _fail("resources", f"must be a list (or an object keyed by symbolic name), got {type(raw).__name__}")
    result = []
    for index, (symbolic, body, where) in enumerate(items):
        if not isinstance(body, Mapping):
            raise _fail(where, "must be an object with 'type' and 'name'")
        spec = ResourceSpec(index, where, dict(body), symbolic)
        for key in ("type", "name"):
            if not isinstance(spec.get(key), str) or not spec.get(key):
                raise _fail(where, f"'{key}' is missing or not a non-empty string")
        depends_on = spec.get("dependsOn", [])
        if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
            raise _fail(f"{where}.dependsOn", "must be an array of resource ids or names")
        children = spec.get("resources", [])
        if not isinstance(children, list | Mapping):
            raise _fail(f"{where}.resources", "must be a list of child resources")
        result.append(spec)
    return tuple(result)


def _parse_outputs(section: Mapping[str, Any]) -> dict[str, OutputSpec]:
    result: dict[str, OutputSpec] = {}
    for name, raw in section.items():
        where = f"outputs.{name}"
        if not isinstance(raw, Mapping):
            raise _fail(where, "must be an object with 'type' and 'value'")
        body = _keys(raw, where, ("type", "value", "condition", "copy", "metadata"))
        if "copy" in body:
            raise _fail(where, "output copy loops are not supported by mlyard")
        kind = body.get("type")
        if not isinstance(kind, str) or kind.lower() not in PARAMETER_TYPES:
            raise _fail(f"{where}.type", f"must be one of {', '.join(PARAMETER_TYPES)}; got {kind!r}")
        if "value" not in body:
            raise _fail(where, "'value' is missing")
        result[name] = OutputSpec(name, kind.lower(), body["value"], body.get("condition", True))
    return result
