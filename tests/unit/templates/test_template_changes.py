"""What-if and deploy against an in-memory target; rendering and masking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from mlyard.services.templates import (
    ChangeType,
    DeploymentPlan,
    DeploymentTarget,
    PlannedResource,
    build_plan,
    deploy,
    desired_state,
    parse_template,
    render_changes,
    what_if,
)

SUB = {"subscriptionId": "sub1", "displayName": "Sub One"}
RG = {"name": "rg1", "location": "westeurope"}
KV_REASON = "mlyard gives every workspace its own secrets vault"


class MemoryTarget:
    """A test double of DeploymentTarget: resources kept in a dict by (kind, name)."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, str], dict[str, Any]] = {}
        self.applied: list[tuple[str, str, bool]] = []

    def current(self, resource: PlannedResource) -> Mapping[str, Any] | None:
        found = self.state.get((str(resource.kind), resource.name))
        return dict(found) if found is not None else None

    def apply(self, resource: PlannedResource, current: Mapping[str, Any] | None) -> None:
        self.applied.append((str(resource.kind), resource.name, current is None))
        merged = dict(current or {})
        merged.update(desired_state(resource))
        self.state[(str(resource.kind), resource.name)] = merged


TEMPLATE = {
    "parameters": {
        "description": {"type": "string", "defaultValue": "a"},
        "adminKey": {"type": "securestring", "defaultValue": "not-so-secret"},
    },
    "resources": [
        {
            "type": "Microsoft.MachineLearningServices/workspaces",
            "name": "ws1",
            "location": "West Europe",
            "tags": {"env": "dev"},
            "dependsOn": ["rg-extra"],
            "properties": {"description": "[parameters('description')]", "friendlyName": "WS 1"},
        },
        {"type": "resourceGroups", "name": "rg-extra", "location": "westeurope"},
        {"type": "Microsoft.KeyVault/vaults", "name": "kv"},
        {
            "type": "roleAssignments",
            "name": "ra1",
            "properties": {"principalId": "u1", "token": "[concat('key:', parameters('adminKey'))]"},
        },
    ],
    "outputs": {"name": {"type": "string", "value": "ws1"}},
}


def make_plan(**parameters: Any) -> DeploymentPlan:
    return build_plan(parse_template(TEMPLATE), parameters, subscription=SUB, resource_group=RG, deployment_name="d")


def test_memory_target_satisfies_the_protocol() -> None:
    target: DeploymentTarget = MemoryTarget()
    assert target.current(make_plan().resources[0]) is None


def test_what_if_on_an_empty_target_creates_everything() -> None:
    target = MemoryTarget()
    changes = what_if(make_plan(), target)
    assert [(c.change_type, c.resource.name) for c in changes] == [
        (ChangeType.Create, "rg-extra"),
        (ChangeType.Create, "ws1"),
        (ChangeType.Ignore, "kv"),
        (ChangeType.Create, "ra1"),
    ]
    assert target.applied == []
    workspace = changes[1]
    assert {d.path: (d.before, d.after) for d in workspace.delta} == {
        "location": (None, "West Europe"),
        "tags": (None, {"env": "dev"}),
        "description": (None, "a"),
        "friendlyName": (None, "WS 1"),
    }


def test_deploy_then_deploy_again_changes_nothing() -> None:
    target = MemoryTarget()
    first = deploy(make_plan(), target)
    assert [c.change_type for c in first.changes] == ["Create", "Create", "Ignore", "Create"]
    assert target.applied == [
        ("resourceGroup", "rg-extra", True),
        ("workspace", "ws1", True),
        ("roleAssignment", "ra1", True),
    ]
    assert first.changed
    assert first.outputs == {"name": "ws1"}
    assert first.warnings == [f"skipped Microsoft.KeyVault/vaults 'kv': {KV_REASON}"]

    second = deploy(make_plan(), target)
    assert [c.change_type for c in second.changes] == [
        ChangeType.NoChange,
        ChangeType.NoChange,
        ChangeType.Ignore,
        ChangeType.NoChange,
    ]
    assert not second.changed
    assert len(target.applied) == 3


def test_modify_only_what_differs_and_leave_other_keys_alone() -> None:
    target = MemoryTarget()
    deploy(make_plan(), target)
    target.state[("workspace", "ws1")]["location"] = "westeurope"  # same place, other spelling
    target.state[("workspace", "ws1")]["tags"] = {"env": "dev"}
    target.state[("workspace", "ws1")]["createdBy"] = "someone"  # not in the template: left alone
    changes = what_if(make_plan(description="b"), target)
    workspace = changes[1]
    assert workspace.change_type is ChangeType.Modify
    assert [(d.path, d.before, d.after) for d in workspace.delta] == [("description", "a", "b")]
    assert [c.change_type for c in changes] == ["NoChange", "Modify", "Ignore", "NoChange"]

    result = deploy(make_plan(description="b"), target)
    assert [c.change_type for c in result.changes] == ["NoChange", "Modify", "Ignore", "NoChange"]
    assert target.applied[-1] == ("workspace", "ws1", False)
    assert target.state[("workspace", "ws1")]["description"] == "b"
    assert target.state[("workspace", "ws1")]["createdBy"] == "someone"
    assert [c.change_type for c in deploy(make_plan(description="b"), target).changes].count(ChangeType.Modify) == 0


def test_tag_changes_are_compared_by_value() -> None:
    target = MemoryTarget()
    deploy(make_plan(), target)
    target.state[("workspace", "ws1")]["tags"] = {"env": "prod"}
    (change,) = [c for c in what_if(make_plan(), target) if c.resource.name == "ws1"]
    assert [(d.path, d.before, d.after) for d in change.delta] == [("tags", {"env": "prod"}, {"env": "dev"})]


def test_render_changes() -> None:
    target = MemoryTarget()
    assert render_changes(what_if(make_plan(), target)) == [
        "+ Create resourceGroup 'rg-extra'",
        "+ Create workspace 'ws1'",
        "* Ignore Microsoft.KeyVault/vaults 'kv' (mlyard gives every workspace its own secrets vault)",
        "+ Create roleAssignment 'ra1'",
    ]
    deploy(make_plan(), target)
    lines = render_changes(what_if(make_plan(description="b"), target))
    assert lines == [
        "= NoChange resourceGroup 'rg-extra'",
        "~ Modify workspace 'ws1': description 'a' => 'b'",
        "* Ignore Microsoft.KeyVault/vaults 'kv' (mlyard gives every workspace its own secrets vault)",
        "= NoChange roleAssignment 'ra1'",
    ]


@pytest.mark.parametrize("secret", ["first-secret", "rotated-secret"])
def test_secure_values_are_masked(secret: str) -> None:
    target = MemoryTarget()
    deploy(make_plan(adminKey="first-secret"), target)
    plan = make_plan(adminKey=secret)
    role = next(r for r in plan.resources if r.name == "ra1")
    assert role.properties["token"] == f"key:{secret}"  # the executor gets the real value
    assert secret not in repr(role)
    assert secret not in repr(plan)
    assert plan.mask(role.properties) == {"principalId": "u1", "token": "key:***"}
    lines = render_changes(what_if(plan, target))
    assert not any("first-secret" in line or secret in line for line in lines)
    if secret == "rotated-secret":
        assert lines[-1] == "~ Modify roleAssignment 'ra1': token *** => ***"
        (delta,) = what_if(plan, target)[-1].delta
        assert delta.secure
