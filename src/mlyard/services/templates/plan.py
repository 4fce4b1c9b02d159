"""From a template and parameter values to a deployment plan: what to deploy, in what order.

Resource types mlyard has no counterpart for are kept in the plan as skipped (with a
warning); so are resources whose ``condition`` is false and nested child resources.
Only deployed resources have their ``location``, ``tags`` and ``properties`` evaluated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates.context import (
    MASK,
    EvalContext,
    mask_secrets,
    mask_text,
    resource_group_object,
    subscription_object,
)
from mlyard.services.templates.expressions import evaluate
from mlyard.services.templates.kinds import ROLE_ASSIGNMENT, provided_reason, resource_kind
from mlyard.services.templates.ordering import Node, resolve_dependencies, topological_order
from mlyard.services.templates.parameters import resolve_parameters, secure_values_of
from mlyard.services.templates.registry import preview, type_name
from mlyard.services.templates.template import ResourceSpec, Template

CONDITION_FALSE = "condition is false"


@dataclass(frozen=True, repr=False)
class PlannedResource:
    """One resource of the plan. ``kind`` is None when it is skipped (see ``skipped_reason``)."""

    kind: str | None
    type: str
    name: str
    location: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)
    skipped_reason: str | None = None
    index: int = 0
    symbolic_name: str | None = None
    secure_values: frozenset[str] = field(default=frozenset(), compare=False)

    @property
    def skipped(self) -> bool:
        return self.kind is None

    @property
    def label(self) -> str:
        """``workspace 'ws1'`` (or the type as written when skipped), for messages."""
        return f"{self.kind or self.type} '{self.mask(self.name)}'"

    def mask(self, value: Any) -> Any:
        """``value`` with every secure value inside replaced by ``***``."""
        return mask_secrets(value, self.secure_values)

    def __repr__(self) -> str:
        shown = {
            f.name: self.mask(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "secure_values"
        }
        return "PlannedResource(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


@dataclass
class DeploymentPlan:
    resources: list[PlannedResource]
    warnings: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secure_values: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @property
    def deployable(self) -> list[PlannedResource]:
        return [r for r in self.resources if not r.skipped]

    def mask(self, value: Any) -> Any:
        return mask_secrets(value, self.secure_values)


def build_plan(
    template: Template,
    parameters: Mapping[str, Any],
    *,
    subscription: Mapping[str, Any],
    resource_group: Mapping[str, Any] | None,
    deployment_name: str,
    now: datetime | None = None,
) -> DeploymentPlan:
    """Resolve parameters, evaluate the template and order its resources by ``dependsOn``.

    ``parameters`` may be supplied values (strings are converted) or already resolved ones.
    """
    sub = subscription_object(subscription)
    group = resource_group_object(resource_group, sub)
    values = resolve_parameters(
        template, parameters, subscription=sub, resource_group=group, deployment_name=deployment_name, now=now
    )
    secrets = secure_values_of(template, values)
    ctx = EvalContext(values, template.variables, sub, group, deployment_name, secrets, now=now)
    try:
        return _plan(template, ctx)
    except InvalidTemplate as exc:
        raise InvalidTemplate(mask_text(exc.message, secrets), target=exc.target) from None


def _plan(template: Template, ctx: EvalContext) -> DeploymentPlan:
    warnings: list[str] = []
    planned = [_plan_resource(spec, ctx, warnings) for spec in template.resources]
    nodes = [
        Node(spec.where, r.type, r.name, spec.symbolic_name, tuple(r.depends_on), strict=r.kind is not None)
        for spec, r in zip(template.resources, planned, strict=True)
    ]
    dependencies = resolve_dependencies(nodes)
    ordered: list[PlannedResource] = []
    for index in topological_order(nodes, dependencies):
        names = [planned[d].name for d in dependencies[index]]
        ordered.append(dataclasses.replace(planned[index], depends_on=names))
        ordered.extend(_children(template.resources[index], planned[index], ctx, warnings))
    masked = [mask_text(w, ctx.secure_values) for w in warnings]
    return DeploymentPlan(ordered, masked, _outputs(template, ctx), ctx.secure_values)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidTemplate(
            f"{where}: must be a non-empty string, got {type_name(value)} {preview(value)}", target=where
        )
    return value


def _lenient(spec: ResourceSpec, key: str, ctx: EvalContext, fallback: Any) -> Any:
    """Evaluate a property of a resource mlyard will not deploy; problems there do not matter."""
    try:
        return evaluate(spec.get(key, fallback), ctx, f"{spec.where}.{key}")
    except InvalidTemplate:
        return fallback


def _skipped(spec: ResourceSpec, ctx: EvalContext, rtype: str, name: str, reason: str) -> PlannedResource:
    depends_on = _lenient(spec, "dependsOn", ctx, [])
    if not isinstance(depends_on, list) or not all(isinstance(d, str) for d in depends_on):
        depends_on = []
    return PlannedResource(
        None, rtype, name, depends_on=depends_on, skipped_reason=reason, index=spec.index,
        symbolic_name=spec.symbolic_name, secure_values=ctx.secure_values,
    )  # fmt: skip


def _plan_resource(spec: ResourceSpec, ctx: EvalContext, warnings: list[str]) -> PlannedResource:
    where = spec.where
    rtype = _text(evaluate(spec.get("type"), ctx, f"{where}.type"), f"{where}.type")
    kind = resource_kind(rtype)
    if kind is None or spec.get("existing") is True:
        name = _lenient(spec, "name", ctx, spec.get("name"))
        name = name if isinstance(name, str) else str(spec.get("name"))
        if _lenient(spec, "condition", ctx, True) is False:
            return _skipped(spec, ctx, rtype, name, CONDITION_FALSE)
        if spec.get("existing") is True:
            return _skipped(spec, ctx, rtype, name, "an existing resource, only referred to")
        reason = provided_reason(rtype)
        if reason:
            warnings.append(f"skipped {rtype} '{name}': {reason}")
        else:
            reason = f"mlyard has no counterpart for resource type {rtype}"
            warnings.append(f"{reason}; skipped '{name}'")
        return _skipped(spec, ctx, rtype, name, reason)
    name = _text(evaluate(spec.get("name"), ctx, f"{where}.name"), f"{where}.name")
    condition = evaluate(spec.get("condition", True), ctx, f"{where}.condition")
    if not isinstance(condition, bool):
        raise InvalidTemplate(
            f"{where}.condition: must be a bool, got {type_name(condition)}", target=f"{where}.condition"
        )
    if not condition:
        return _skipped(spec, ctx, rtype, name, CONDITION_FALSE)
    if spec.get("copy") is not None:
        raise InvalidTemplate(f"{where}.copy: copy loops are not supported by mlyard", target=f"{where}.copy")
    location = evaluate(spec.get("location"), ctx, f"{where}.location")
    if location is not None:
        location = _text(location, f"{where}.location")
    properties = evaluate(spec.get("properties", {}), ctx, f"{where}.properties")
    if not isinstance(properties, dict):
        raise InvalidTemplate(f"{where}.properties: must be an object", target=f"{where}.properties")
    if spec.get("scope") is not None:
        if kind != ROLE_ASSIGNMENT:
            raise InvalidTemplate(f"{where}.scope: only role assignments may set a scope", target=f"{where}.scope")
        properties.setdefault("scope", evaluate(spec.get("scope"), ctx, f"{where}.scope"))
    depends_on = evaluate(spec.get("dependsOn", []), ctx, f"{where}.dependsOn")
    if not all(isinstance(d, str) for d in depends_on):
        raise InvalidTemplate(f"{where}.dependsOn: entries must be strings", target=f"{where}.dependsOn")
    return PlannedResource(
        kind, rtype, name, location, _tags(spec, ctx), properties, depends_on, None, spec.index,
        spec.symbolic_name, ctx.secure_values,
    )  # fmt: skip


def _tags(spec: ResourceSpec, ctx: EvalContext) -> dict[str, str]:
    where = f"{spec.where}.tags"
    tags = evaluate(spec.get("tags", {}), ctx, where)
    if not isinstance(tags, dict):
        raise InvalidTemplate(f"{where}: must be an object of tag names and values", target=where)
    result: dict[str, str] = {}
    for key, value in tags.items():
        if isinstance(value, list | dict) or value is None:
            raise InvalidTemplate(f"{where}.{key}: a tag value must be a string, got {type_name(value)}", target=where)
        result[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return result


def _children(
    spec: ResourceSpec, parent: PlannedResource, ctx: EvalContext, warnings: list[str]
) -> list[PlannedResource]:
    raw = spec.get("resources") or []
    items = list(raw.values()) if isinstance(raw, Mapping) else list(raw)
    result = []
    for position, child in enumerate(items):
        body = child if isinstance(child, Mapping) else {}
        child_spec = ResourceSpec(spec.index, f"{spec.where}.resources[{position}]", body)
        rtype = str(child_spec.get("type", "?"))
        name = _lenient(child_spec, "name", ctx, child_spec.get("name", "?"))
        reason = f"child resource of {parent.type} '{parent.name}'; nested child resources are not supported"
        warnings.append(f"skipped {rtype} '{name}': {reason}")
        result.append(_skipped(child_spec, ctx, rtype, str(name), reason))
    return result


def _outputs(template: Template, ctx: EvalContext) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    for output in template.outputs.values():
        where = f"outputs.{output.name}"
        condition = evaluate(output.condition, ctx, f"{where}.condition")
        if condition is False:
            continue
        value = evaluate(output.value, ctx, f"{where}.value")
        expected = {"string": str, "securestring": str, "int": int, "bool": bool, "array": list}.get(output.type, dict)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise InvalidTemplate(f"{where}.value: declared {output.type}, got {type_name(value)}", target=where)
        secure_type = output.type in ("securestring", "secureobject")
        outputs[output.name] = MASK if secure_type else mask_secrets(value, ctx.secure_values)
    return outputs
