"""Templates: realistic ones (an Azure quick-start style template, the example workspace
template in examples/), and secure values kept out of warnings and errors."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.templates.plan_helpers import EXAMPLE, plan, ws

from mlyard.core.errors import InvalidTemplate
from mlyard.services.templates import parse_template

# --- realistic templates ---------------------------------------------------------------


QUICKSTART = {
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "metadata": {"_generator": {"name": "bicep"}},
    "parameters": {
        "workspaceName": {"type": "string", "metadata": {"description": "Workspace name"}},
        "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
    },
    "variables": {
        "tenantId": "[subscription().tenantId]",
        "suffix": "[uniqueString(resourceGroup().id, parameters('workspaceName'))]",
        "storageAccountName": "[concat('st', variables('suffix'))]",
        "keyVaultName": "[concat('kv', variables('suffix'))]",
        "applicationInsightsName": "[concat('ai', variables('suffix'))]",
    },
    "resources": [
        {
            "type": "Microsoft.Storage/storageAccounts",
            "apiVersion": "2022-09-01",
            "name": "[variables('storageAccountName')]",
            "location": "[parameters('location')]",
            "sku": {"name": "Standard_LRS"},
            "kind": "StorageV2",
            "properties": {"encryption": {"services": {"blob": {"enabled": True}}, "keySource": "Microsoft.Storage"}},
        },
        {
            "type": "Microsoft.KeyVault/vaults",
            "apiVersion": "2022-07-01",
            "name": "[variables('keyVaultName')]",
            "location": "[parameters('location')]",
            "properties": {"tenantId": "[variables('tenantId')]", "sku": {"name": "standard", "family": "A"}},
        },
        {
            "type": "Microsoft.Insights/components",
            "apiVersion": "2020-02-02",
            "name": "[variables('applicationInsightsName')]",
            "location": "[parameters('location')]",
            "kind": "web",
            "properties": {"Application_Type": "web"},
        },
        {
            "type": "Microsoft.MachineLearningServices/workspaces",
            "apiVersion": "2023-04-01",
            "name": "[parameters('workspaceName')]",
            "location": "[parameters('location')]",
            "identity": {"type": "SystemAssigned"},
            "dependsOn": [
                "[resourceId('Microsoft.Storage/storageAccounts', variables('storageAccountName'))]",
                "[resourceId('Microsoft.KeyVault/vaults', variables('keyVaultName'))]",
                "[resourceId('Microsoft.Insights/components', variables('applicationInsightsName'))]",
            ],
            "properties": {
                "friendlyName": "[parameters('workspaceName')]",
                "storageAccount": "[resourceId('Microsoft.Storage/storageAccounts', variables('storageAccountName'))]",
                "keyVault": "[resourceId('Microsoft.KeyVault/vaults', variables('keyVaultName'))]",
                "applicationInsights": (
                    "[resourceId('Microsoft.Insights/components', variables('applicationInsightsName'))]"
                ),
            },
        },
    ],
}


def test_azure_quickstart_style_template() -> None:
    result = plan(QUICKSTART, {"workspaceName": "ws-quick"})
    assert [r.kind for r in result.resources] == [None, None, None, "workspace"]
    assert len(result.warnings) == 3
    assert all(w.startswith("skipped Microsoft.") for w in result.warnings)
    workspace = result.resources[-1]
    assert workspace.name == "ws-quick"
    assert workspace.location == "westeurope"
    suffix = result.resources[0].name.removeprefix("st")
    assert len(suffix) == 13
    assert workspace.properties["keyVault"] == (
        f"/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv{suffix}"
    )
    assert workspace.properties["applicationInsights"].endswith(f"/Microsoft.Insights/components/ai{suffix}")
    assert workspace.depends_on == [f"st{suffix}", f"kv{suffix}", f"ai{suffix}"]


def test_example_workspace_template() -> None:
    template = parse_template(EXAMPLE.read_text())
    assert template.schema == "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    assert set(template.parameters) == {"workspaceName", "location", "description", "environment"}
    result = plan(EXAMPLE.read_text(), {"environment": "prod", "description": "demo"})
    kinds = [(r.kind, r.type) for r in result.resources]
    assert kinds[-1] == ("workspace", "Microsoft.MachineLearningServices/workspaces")
    skipped = sorted(t for k, t in kinds if k is None)
    assert skipped == ["Microsoft.KeyVault/vaults", "Microsoft.Storage/storageAccounts"]
    assert len(result.warnings) == 2
    workspace = result.resources[-1]
    assert workspace.name == "demo-ws"
    assert workspace.location == "westeurope"
    assert workspace.tags == {"environment": "prod", "deployedBy": "mlyard"}
    assert workspace.properties["friendlyName"] == "demo-ws"
    assert workspace.properties["description"] == "demo"
    group = "/subscriptions/sub1/resourceGroups/rg1"
    assert workspace.properties["storageAccount"].startswith(f"{group}/providers/Microsoft.Storage/storageAccounts/st")
    assert workspace.properties["keyVault"].startswith(f"{group}/providers/Microsoft.KeyVault/vaults/kv-")
    assert workspace.depends_on == [r.name for r in result.resources[:2]]
    assert result.outputs == {
        "workspaceId": f"{group}/providers/Microsoft.MachineLearningServices/workspaces/demo-ws",
    }
    with pytest.raises(InvalidTemplate, match="allowed values: 'dev', 'test', 'prod'"):
        plan(EXAMPLE.read_text(), {"environment": "qa"})


def test_secure_values_stay_out_of_warnings_and_errors() -> None:
    doc: dict[str, Any] = {
        "parameters": {"key": {"type": "securestring"}},
        "resources": [
            {"type": "Microsoft.Web/sites", "name": "[concat('site-', parameters('key'))]"},
            ws("ws1", properties={"n": "[int(parameters('key'))]"}),
        ],
    }
    with pytest.raises(InvalidTemplate) as info:
        plan(doc, {"key": "topsecret"})
    assert "topsecret" not in info.value.message
    assert "string '***'" in info.value.message
    doc["resources"] = doc["resources"][:1]
    result = plan(doc, {"key": "topsecret"})
    assert result.warnings == ["mlyard has no counterpart for resource type Microsoft.Web/sites; skipped 'site-***'"]
    assert "topsecret" not in repr(result)
