"""What-if and deploy: comparing a plan with what exists, and applying the difference.

Deployments are incremental (as ARM's default mode): only the keys the template sets are
compared and applied — ``location`` (when given), ``tags`` (when not empty) and each key under
``properties``. Keys present on a resource but absent from the template are left alone.
Locations compare case-insensitively (and ignoring spaces); tags compare by value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from mlyard.services.templates.context import MASK, contains_secret
from mlyard.services.templates.plan import DeploymentPlan, PlannedResource
from mlyard.services.templates.registry import same


class DeploymentTarget(Protocol):
    """Where a plan is deployed: reads the present state of a resource and applies one."""

    def current(self, resource: PlannedResource) -> Mapping[str, Any] | None:
        """The resource's state as a flat dict (``location``, ``tags``, each property), or None."""
        ...

    def apply(self, resource: PlannedResource, current: Mapping[str, Any] | None) -> None:
        """Create the resource (``current`` is None) or update it."""
        ...


class ChangeType(StrEnum):
    Create = "Create"
    Modify = "Modify"
    NoChange = "NoChange"
    Ignore = "Ignore"


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any
    after: Any
    secure: bool = False  # the new value comes from a secure parameter: show neither side


@dataclass(frozen=True)
class ResourceChange:
    change_type: ChangeType
    resource: PlannedResource
    delta: list[PropertyChange] = field(default_factory=list)


@dataclass
class DeploymentResult:
    changes: list[ResourceChange]
    warnings: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """Whether anything was created or modified."""
        return any(c.change_type in (ChangeType.Create, ChangeType.Modify) for c in self.changes)


def desired_state(resource: PlannedResource) -> dict[str, Any]:
    """The flat state the template sets for a resource (the keys a target compares)."""
    state: dict[str, Any] = {}
    if resource.location is not None:
        state["location"] = resource.location
    if resource.tags:
        state["tags"] = dict(resource.tags)
    state.update(resource.properties)
    return state


def _location_key(value: Any) -> Any:
    return value.replace(" ", "").lower() if isinstance(value, str) else value


def _equal(key: str, before: Any, after: Any) -> bool:
    if key == "location":
        return bool(_location_key(before) == _location_key(after))
    if key == "tags" and isinstance(before, Mapping) and isinstance(after, Mapping):
        return {str(k): str(v) for k, v in before.items()} == {str(k): str(v) for k, v in after.items()}
    return same(before, after)


def _change(resource: PlannedResource, current: Mapping[str, Any] | None) -> ResourceChange:
    if resource.skipped:
        return ResourceChange(ChangeType.Ignore, resource)
    desired = desired_state(resource)
    before_state: Mapping[str, Any] = current or {}
    delta = [
        PropertyChange(key, before_state.get(key), after, contains_secret(after, resource.secure_values))
        for key, after in desired.items()
        if current is None or not _equal(key, before_state.get(key), after)
    ]
    if current is None:
        return ResourceChange(ChangeType.Create, resource, delta)
    return ResourceChange(ChangeType.Modify if delta else ChangeType.NoChange, resource, delta)


def what_if(plan: DeploymentPlan, target: DeploymentTarget) -> list[ResourceChange]:
    """What deploying the plan would change, resource by resource, in plan order."""
    return [_change(r, None if r.skipped else target.current(r)) for r in plan.resources]


def deploy(plan: DeploymentPlan, target: DeploymentTarget) -> DeploymentResult:
    """Apply the plan in order: create what is missing, modify what differs, skip the rest.

    Deploying the same plan again changes nothing (every resource is NoChange or Ignore).
    """
    changes: list[ResourceChange] = []
    for resource in plan.resources:
        current = None if resource.skipped else target.current(resource)
        change = _change(resource, current)
        if change.change_type in (ChangeType.Create, ChangeType.Modify):
            target.apply(resource, current)
        changes.append(change)
    return DeploymentResult(changes, list(plan.warnings), dict(plan.outputs))


def _show(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    return json.dumps(value, sort_keys=True, default=str)


def render_change(change: ResourceChange) -> str:
    """One human line: ``~ Modify workspace 'ws1': description 'a' => 'b'``."""
    resource = change.resource
    label = resource.label
    if change.change_type is ChangeType.Create:
        return f"+ Create {label}"
    if change.change_type is ChangeType.NoChange:
        return f"= NoChange {label}"
    if change.change_type is ChangeType.Ignore:
        return f"* Ignore {label} ({resource.mask(resource.skipped_reason or 'skipped')})"
    parts = []
    for item in change.delta:
        if item.secure:
            parts.append(f"{item.path} {MASK} => {MASK}")
        else:
            parts.append(f"{item.path} {_show(resource.mask(item.before))} => {_show(resource.mask(item.after))}")
    return f"~ Modify {label}: " + ", ".join(parts)


def render_changes(changes: list[ResourceChange]) -> list[str]:
    """Human lines for a what-if or a deployment, with secure values shown as ``***``."""
    return [render_change(change) for change in changes]
