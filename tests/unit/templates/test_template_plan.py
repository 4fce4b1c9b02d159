"""Templates: parsing, resource kinds, skipping, conditions, dependsOn ordering, outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.templates.plan_helpers import plan, plan_error, ws

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates import parse_template, resource_kind

# --- parsing -------------------------------------------------------------------------


def test_parse_json_and_yaml_text() -> None:
    doc = {"$schema": "s", "contentVersion": "1.0.0.0", "resources": [ws("a")]}
    from_json = parse_template(json.dumps(doc, indent="\t"))
    assert from_json.schema == "s"
    assert from_json.content_version == "1.0.0.0"
    from_yaml = parse_template("resources:\n  - type: workspaces\n    name: a\n")
    assert from_yaml.resources[0].get("type") == "workspaces"


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"resources": [], "bogus": 1}, "unknown top-level key 'bogus'"),
        ({"parameters": {}}, "'resources' is missing"),
        ({"resources": "x"}, "must be a list"),
        ({"resources": [{"name": "a"}]}, "resources[0]: 'type' is missing"),
        ({"resources": [{"type": "workspaces", "name": 5}]}, "resources[0]: 'name' is missing or not"),
        ({"resources": [ws("a", dependsOn="x")]}, "resources[0].dependsOn: must be an array"),
        ({"resources": [], "parameters": {"p": {"type": "float"}}}, "parameters.p.type: must be one of"),
        ({"resources": [], "parameters": {"p": {"type": "int", "default": 1}}}, "unknown key 'default'"),
        ({"resources": [], "parameters": {"p": {"type": "int", "minValue": "1"}}}, "minValue: must be an integer"),
        ({"resources": [], "parameters": {"p": {"type": "int", "allowedValues": []}}}, "non-empty array"),
        ({"resources": [], "outputs": {"o": {"type": "string"}}}, "outputs.o: 'value' is missing"),
        ({"resources": [], "functions": []}, "user-defined functions are not supported"),
        ({"resources": [], "variables": {"copy": []}}, "variable copy loops"),
        ({"resources": [ws("[concat('a',)]")]}, "resources[0].name: syntax error at column 13"),
        ({"resources": [ws("a", properties={"x": ["[bad(]"]})]}, "resources[0].properties.x[0]: syntax error"),
    ],
)
def test_parse_errors_say_where(doc: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidTemplate) as info:
        parse_template(doc)
    assert problem in info.value.message


def test_parse_rejects_bad_text() -> None:
    with pytest.raises(InvalidTemplate, match="neither valid JSON nor YAML"):
        parse_template("resources: [unclosed")
    with pytest.raises(InvalidTemplate, match="must be a JSON or YAML object"):
        parse_template("- a\n- b\n")


def test_keys_are_case_insensitive() -> None:
    result = plan({"Resources": [{"TYPE": "workspaces", "Name": "[toLower('WS')]", "Properties": {"a": 1}}]})
    assert result.resources[0].name == "ws"
    assert result.resources[0].properties == {"a": 1}


# --- kinds and skipping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "kind"),
    [
        ("Microsoft.Resources/resourceGroups", "resourceGroup"),
        ("resourceGroups", "resourceGroup"),
        ("microsoft.resources/RESOURCEGROUPS", "resourceGroup"),
        ("Microsoft.MachineLearningServices/workspaces", "workspace"),
        ("workspaces", "workspace"),
        ("Microsoft.Authorization/roleAssignments", "roleAssignment"),
        ("roleassignments", "roleAssignment"),
        ("Microsoft.KeyVault/vaults", None),
        ("Microsoft.OperationalInsights/workspaces", None),
    ],
)
def test_resource_kinds(resource_type: str, kind: str | None) -> None:
    assert resource_kind(resource_type) == kind


def test_planned_resources_carry_evaluated_fields() -> None:
    doc = {
        "parameters": {"name": {"type": "string"}},
        "variables": {"tags": {"team": "[toUpper('ml')]", "cost": 5, "on": True}},
        "resources": [
            ws(
                "[parameters('name')]",
                location="[resourceGroup().location]",
                tags="[variables('tags')]",
                properties={"friendlyName": "[concat('WS ', parameters('name'))]", "hbi": False},
            ),
        ],
    }
    (resource,) = plan(doc, {"name": "ws1"}).resources
    assert resource.kind == "workspace"
    assert resource.type == "Microsoft.MachineLearningServices/workspaces"
    assert resource.name == "ws1"
    assert resource.location == "westeurope"
    assert resource.tags == {"team": "ML", "cost": "5", "on": "true"}
    assert resource.properties == {"friendlyName": "WS ws1", "hbi": False}
    assert resource.skipped_reason is None
    assert resource.index == 0
    assert resource.depends_on == []


def test_provided_and_unknown_types_are_skipped_with_warnings() -> None:
    doc = {
        "resources": [
            {"type": "Microsoft.KeyVault/vaults", "name": "kv1", "properties": {"tenantId": "[reference('x')]"}},
            {"type": "Microsoft.Storage/storageAccounts", "name": "st1"},
            {"type": "Microsoft.Insights/components", "name": "ai1"},
            {"type": "Microsoft.ContainerRegistry/registries", "name": "cr1"},
            {"type": "Microsoft.OperationalInsights/workspaces", "name": "log1"},
            {"type": "Microsoft.Web/sites", "name": "site1"},
            ws("ws1"),
        ]
    }
    result = plan(doc)
    assert [r.kind for r in result.resources] == [None] * 6 + ["workspace"]
    assert result.warnings[0] == (
        "skipped Microsoft.KeyVault/vaults 'kv1': mlyard gives every workspace its own secrets vault"
    )
    assert result.warnings[1].startswith("skipped Microsoft.Storage/storageAccounts 'st1': mlyard gives")
    assert "mlyard has no counterpart for resource type Microsoft.Web/sites; skipped" in result.warnings[5]
    assert len(result.warnings) == 6
    assert result.resources[0].skipped_reason == "mlyard gives every workspace its own secrets vault"
    assert result.resources[5].skipped_reason == "mlyard has no counterpart for resource type Microsoft.Web/sites"


def test_child_resources_are_skipped_with_a_warning() -> None:
    doc = {"resources": [ws("ws1", resources=[{"type": "computes", "name": "cpu", "properties": {}}])]}
    result = plan(doc)
    assert [(r.kind, r.name) for r in result.resources] == [("workspace", "ws1"), (None, "cpu")]
    assert result.warnings == [
        "skipped computes 'cpu': child resource of Microsoft.MachineLearningServices/workspaces 'ws1'; "
        "nested child resources are not supported"
    ]


def test_condition() -> None:
    doc = {
        "parameters": {"create": {"type": "bool"}},
        "resources": [
            ws("a", condition="[parameters('create')]"),
            ws("b", condition="[not(parameters('create'))]"),
            {"type": "Microsoft.KeyVault/vaults", "name": "kv", "condition": False},
        ],
    }
    result = plan(doc, {"create": "true"})
    assert [(r.name, r.kind, r.skipped_reason) for r in result.resources] == [
        ("a", "workspace", None),
        ("b", None, "condition is false"),
        ("kv", None, "condition is false"),
    ]
    assert result.warnings == []
    assert "condition: must be a bool" in plan_error({"resources": [ws("a", condition="yes")]}).message


def test_symbolic_name_resources() -> None:
    doc = {
        "languageVersion": "2.0",
        "resources": {
            "workspace": ws("ws1", dependsOn=["group"]),
            "group": {"type": "Microsoft.Resources/resourceGroups", "name": "rg-new", "location": "westus"},
        },
    }
    result = plan(doc)
    assert [(r.symbolic_name, r.kind) for r in result.resources] == [
        ("group", "resourceGroup"),
        ("workspace", "workspace"),
    ]
    assert result.resources[1].depends_on == ["rg-new"]


def test_unsupported_features_on_deployed_resources() -> None:
    copy = ws("a", copy={"name": "c", "count": 2})
    assert "copy loops are not supported" in plan_error({"resources": [copy]}).message
    assert "only role assignments may set a scope" in plan_error({"resources": [ws("a", scope="x")]}).message
    reference = ws("a", properties={"x": "[reference('k')]"})
    assert "reference() is not supported" in plan_error({"resources": [reference]}).message


def test_role_assignment_scope_goes_into_properties() -> None:
    doc = {
        "resources": [
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "name": "[guid('ws1', 'reader')]",
                "scope": "[resourceId('Microsoft.MachineLearningServices/workspaces', 'ws1')]",
                "properties": {"roleDefinitionId": "Reader", "principalId": "u1"},
            }
        ]
    }
    (resource,) = plan(doc).resources
    assert resource.kind == "roleAssignment"
    assert resource.properties["scope"].endswith("/providers/Microsoft.MachineLearningServices/workspaces/ws1")


def test_evaluation_errors_name_the_place() -> None:
    error = plan_error({"resources": [ws("a"), ws("b", properties={"friendlyName": "[foo()]"})]})
    assert error.message == "resources[1].properties.friendlyName: unknown function 'foo'"
    assert error.target == "resources[1].properties.friendlyName"


# --- dependsOn -----------------------------------------------------------------------


def role(name: str, **extra: Any) -> dict[str, Any]:
    return {"type": "roleAssignments", "name": name, **extra}


def test_depends_on_orders_resources_stably() -> None:
    doc = {
        "resources": [
            role("r1", dependsOn=["[resourceId('Microsoft.MachineLearningServices/workspaces', 'ws1')]"]),
            ws("ws1", dependsOn=["Microsoft.Resources/resourceGroups/rg-a"]),
            ws("ws2"),
            {"type": "resourceGroups", "name": "rg-a"},
            role("r2", dependsOn=["ws2", "r1"]),
        ]
    }
    result = plan(doc)
    assert [r.name for r in result.resources] == ["ws2", "rg-a", "ws1", "r1", "r2"]
    assert [r.index for r in result.resources] == [2, 3, 1, 0, 4]
    assert result.resources[3].depends_on == ["ws1"]
    assert result.resources[4].depends_on == ["r1", "ws2"]


def test_depends_on_short_and_qualified_types_match() -> None:
    doc = {
        "resources": [
            role("r", dependsOn=["[resourceId('workspaces', 'ws')]"]),
            {"type": "workspaces", "name": "ws"},
        ]
    }
    assert [r.name for r in plan(doc).resources] == ["ws", "r"]


def test_depends_on_cycle_is_named() -> None:
    doc = {"resources": [ws("a", dependsOn=["c"]), ws("b", dependsOn=["a"]), ws("c", dependsOn=["b"]), ws("d")]}
    error = plan_error(doc)
    assert "cycle" in error.message
    assert (
        "Microsoft.MachineLearningServices/workspaces 'a' -> Microsoft.MachineLearningServices/workspaces 'c' -> "
        "Microsoft.MachineLearningServices/workspaces 'b' -> Microsoft.MachineLearningServices/workspaces 'a'"
    ) in error.message
    assert "cycle" in plan_error({"resources": [ws("a", dependsOn=["a"])]}).message


def test_dangling_depends_on_is_an_error() -> None:
    error = plan_error({"resources": [ws("a"), ws("b", dependsOn=["a", "nope"])]})
    assert error.message.startswith("resources[1].dependsOn[1]: 'nope' matches no resource in the template")
    error = plan_error({"resources": [ws("a", dependsOn=["[resourceId('Microsoft.KeyVault/vaults', 'kv')]"])]})
    assert "matches no resource" in error.message


def test_ambiguous_name_in_depends_on() -> None:
    doc = {"resources": [ws("x"), {"type": "Microsoft.KeyVault/vaults", "name": "x"}, role("r", dependsOn=["x"])]}
    assert "names several resources" in plan_error(doc).message
    doc["resources"][2]["dependsOn"] = ["[resourceId('Microsoft.KeyVault/vaults', 'x')]"]
    assert [r.name for r in plan(doc).resources][-1] == "r"


# --- outputs -------------------------------------------------------------------------


def test_outputs() -> None:
    doc = {
        "parameters": {"name": {"type": "string", "defaultValue": "ws1"}, "pw": {"type": "securestring"}},
        "resources": [ws("[parameters('name')]")],
        "outputs": {
            "id": {"type": "string", "value": "[resourceId('workspaces', parameters('name'))]"},
            "count": {"type": "int", "value": "[length(parameters('name'))]"},
            "hidden": {"type": "string", "condition": "[false()]", "value": "x"},
            "secret": {"type": "securestring", "value": "[parameters('pw')]"},
            "leaky": {"type": "string", "value": "[concat('pw=', parameters('pw'))]"},
        },
    }
    outputs = plan(doc, {"pw": "p4ssw0rd"}).outputs
    assert outputs == {
        "id": "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1",
        "count": 3,
        "secret": "***",
        "leaky": "pw=***",
    }
    bad = {"resources": [], "outputs": {"o": {"type": "int", "value": "x"}}}
    assert "outputs.o.value: declared int, got string" in plan_error(bad).message
