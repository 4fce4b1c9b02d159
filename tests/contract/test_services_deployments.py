"""Template deployments through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.errors import InvalidTemplate, ResourceGroupNotFound, WorkspaceNotFound
from mlyard.core.scopes import Scope
from mlyard.services import deployments, identity, rbac, subscriptions, workspaces
from mlyard.services.platform import Platform

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "templates" / "workspace.json"


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


@pytest.fixture
def group(platform: Platform, admin: Principal) -> str:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1", location="lab")
    return "rg1"


def kinds(changes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(c["change_type"], c["name"] if c["kind"] else c["resource_type"]) for c in changes]


def test_example_template_deploys_once_then_changes_nothing(platform: Platform, admin: Principal, group: str) -> None:
    preview = deployments.preview_deployment(platform, admin, "sub1", group, "d1", example(), {"environment": "test"})
    assert ("Create", "demo-ws") in kinds(preview.changes)
    assert sum(c["change_type"] == "Ignore" for c in preview.changes) == 2
    assert any("Microsoft.KeyVault/vaults" in w for w in preview.warnings)
    with pytest.raises(WorkspaceNotFound):  # what-if changed nothing
        workspaces.get_workspace(platform, "sub1", group, "demo-ws")

    first = deployments.run_deployment(platform, admin, "sub1", group, "d1", example(), {"environment": "test"})
    assert first.status == "Succeeded"
    ws = workspaces.get_workspace(platform, "sub1", group, "demo-ws")
    assert ws.location == "lab"  # [resourceGroup().location]
    assert ws.tags == {"environment": "test", "deployedBy": "mlyard"}
    assert len(ws.resources) == 4
    assert not deployments.nothing_changed(first)

    again = deployments.run_deployment(platform, admin, "sub1", group, "d1", example(), {"environment": "test"})
    assert deployments.nothing_changed(again)
    assert [d.name for d in deployments.list_deployments(platform, "sub1", group)] == ["d1"]


def test_changed_parameter_modifies_only_what_differs(platform: Platform, admin: Principal, group: str) -> None:
    deployments.run_deployment(platform, admin, "sub1", group, "d1", example(), {"description": "a"})
    preview = deployments.preview_deployment(platform, admin, "sub1", group, "d1", example(), {"description": "b"})
    ws_change = next(c for c in preview.changes if c["kind"] == "workspace")
    assert ws_change["change_type"] == "Modify"
    assert [(d["path"], d["before"], d["after"]) for d in ws_change["delta"]] == [("description", "a", "b")]
    deployments.run_deployment(platform, admin, "sub1", group, "d1", example(), {"description": "b"})
    assert workspaces.get_workspace(platform, "sub1", group, "demo-ws").description == "b"


def test_resource_groups_and_role_assignments(platform: Platform, admin: Principal, group: str) -> None:
    user = identity.create_user(platform.db, "ana", "a-long-password")
    template = {
        "resources": [
            {"type": "resourceGroups", "name": "team-b", "location": "lab", "tags": {"team": "b"}},
            {
                "type": "Microsoft.Authorization/roleAssignments",
                "name": "[guid('ana', 'reader')]",
                "properties": {
                    # Azure's id of the built-in Reader role, as quickstart templates write it.
                    "roleDefinitionId": "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
                    "'acdd72a7-3385-48ef-bd42-f606fba81ae7')]",
                    "principalId": "ana",
                },
            },
        ]
    }
    result = deployments.run_deployment(platform, admin, "sub1", group, "d2", template, None)
    assert kinds(result.changes)[0] == ("Create", "team-b")
    assert subscriptions.get_resource_group(platform, "sub1", "team-b").tags == {"team": "b"}
    ana = Principal(user.id, PrincipalType.USER, "ana", "test")
    assert rbac.Authorizer(platform.db, ana).can("workspaces/read", Scope("sub1", group, "x"))
    assert not rbac.Authorizer(platform.db, ana).can("workspaces/write", Scope("sub1", group, "x"))
    again = deployments.run_deployment(platform, admin, "sub1", group, "d2", template, None)
    assert deployments.nothing_changed(again)


def test_a_template_assigns_a_role_only_inside_its_assignable_scopes(
    platform: Platform, admin: Principal, group: str
) -> None:
    from mlyard.core.errors import RoleNotAssignable
    from mlyard.services import role_definitions

    identity.create_user(platform.db, "cy", "a-long-password")
    subscriptions.create_resource_group(platform, admin, "sub1", "elsewhere")
    spec = role_definitions.RoleSpec(
        "Group Reader",
        "reads one group",
        ("*/read",),
        assignable_scopes=(f"/subscriptions/sub1/resourceGroups/{group}",),
    )
    role_definitions.create_role_definition(platform, rbac.Authorizer(platform.db, admin), spec)

    def template(scope: str) -> dict[str, Any]:
        assignment = {"roleDefinitionId": "Group Reader", "principalId": "cy", "scope": scope}
        return {"resources": [{"type": "roleAssignments", "name": "cy-reader", "properties": assignment}]}

    with pytest.raises(RoleNotAssignable, match="assignable only at"):
        deployments.run_deployment(
            platform, admin, "sub1", group, "d5", template("/subscriptions/sub1/resourceGroups/elsewhere"), None
        )
    assert deployments.get_deployment(platform, "sub1", group, "d5").status == "Failed"
    done = deployments.run_deployment(
        platform, admin, "sub1", group, "d6", template(f"/subscriptions/sub1/resourceGroups/{group}"), None
    )
    assert kinds(done.changes) == [("Create", "cy-reader")]


def test_a_template_cannot_do_more_than_its_deployer(platform: Platform, admin: Principal, group: str) -> None:
    user = identity.create_user(platform.db, "bob", "a-long-password")
    rbac.assign_role(platform.db, user.id, PrincipalType.USER, "Reader", Scope("sub1", group), created_by=None)
    bob = Principal(user.id, PrincipalType.USER, "bob", "test")
    from mlyard.core.errors import AuthorizationError

    with pytest.raises(AuthorizationError):
        deployments.run_deployment(platform, bob, "sub1", group, "d3", example(), None)
    with pytest.raises(WorkspaceNotFound):
        workspaces.get_workspace(platform, "sub1", group, "demo-ws")
    assert deployments.get_deployment(platform, "sub1", group, "d3").status == "Failed"


def test_bad_templates_and_parameters_are_clear_and_store_nothing(
    platform: Platform, admin: Principal, group: str
) -> None:
    with pytest.raises(InvalidTemplate, match="environment"):
        deployments.run_deployment(platform, admin, "sub1", group, "d4", example(), {"environment": "staging"})
    with pytest.raises(InvalidTemplate, match="nope"):
        deployments.run_deployment(platform, admin, "sub1", group, "d4", example(), {"nope": "1"})
    with pytest.raises(InvalidTemplate):
        deployments.run_deployment(platform, admin, "sub1", group, "d4", {"resources": [{"name": "x"}]}, None)
    with pytest.raises(ResourceGroupNotFound):
        deployments.run_deployment(platform, admin, "sub1", "missing", "d4", example(), None)
    assert workspaces.list_workspaces(platform, rbac.Authorizer(platform.db, admin)) == []
    assert deployments.list_deployments(platform, "sub1", group) == []
