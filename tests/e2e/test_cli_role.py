"""``mlyard role definition …`` and ``mlyard role assignment …`` against a real server, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.e2e.test_cli_workspace import SUB, as_json, mlyard, ok, unique
from tests.fixtures.server import RunningServer, start_server

ML = "Microsoft.MachineLearningServices/"


@pytest.fixture
def place(server_env: RunningServer) -> tuple[str, str]:
    """A fresh resource group with one workspace in it."""
    group, ws = unique("grp"), unique("ws")
    ok("group", "create", "-n", group, "--subscription", SUB)
    ok("workspace", "create", "-n", ws, "-g", group, "--subscription", SUB)
    return group, ws


def make_user(live: RunningServer) -> str:
    name = unique("user")
    with live.client() as http:
        answer = http.post("/api/v1/users", json={"username": name, "password": "a-long-password"})
    assert answer.status_code == 201, answer.text
    return name


def test_role_definitions_from_azure_json_files_and_inline(
    server_env: RunningServer, place: tuple[str, str], tmp_path: Path
) -> None:
    group, ws = place
    name = unique("Ops Team")
    azure_scope = f"/subscriptions/{SUB}/resourceGroups/{group}/providers/{ML}workspaces/{ws}"
    role_file = tmp_path / "role.json"
    role_file.write_text(
        json.dumps(
            {
                "Name": name,
                "IsCustom": True,
                "Description": "Runs compute.",
                "Actions": [f"{ML}workspaces/read", f"{ML}workspaces/computes/*"],
                "NotActions": [],
                "DataActions": [],
                "NotDataActions": [],
                "AssignableScopes": [azure_scope],
            }
        )
    )
    made = as_json("role", "definition", "create", "--role-definition", str(role_file))
    assert made["name"] == name and made["roleType"] == "CustomRole"
    assert made["actions"] == ["workspaces/read", "workspaces/computes/*"]
    assert made["assignableScopes"] == [f"/subscriptions/{SUB}/resourceGroups/{group}/workspaces/{ws}"]

    inline = unique("Viewer")
    body = {"name": inline, "actions": ["workspaces/*/read"], "assignableScopes": [f"/subscriptions/{SUB}"]}
    ok("role", "definition", "create", "--role-definition", json.dumps(body))

    custom = [r["name"] for r in as_json("role", "definition", "list", "--custom-only")]
    assert name in custom and inline in custom and "Owner" not in custom
    assert "Owner" in [r["name"] for r in as_json("role", "definition", "list")]
    table = ok("role", "definition", "show", "-n", name).stdout
    assert "workspaces/computes/*" in table and "CustomRole" in table

    # What `show -o json` prints goes back in, edited, through `update`.
    shown = as_json("role", "definition", "show", "-n", name)
    shown["description"] = "Runs and watches compute."
    role_file.write_text(json.dumps(shown))
    assert as_json("role", "definition", "update", "--role-definition", str(role_file))["description"] == (
        "Runs and watches compute."
    )

    duplicate = mlyard("role", "definition", "create", "--role-definition", json.dumps(body))
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    bad = dict(body, name=unique("Bad"), actions=["workspaces/read", "Microsoft.Storage/storageAccounts/read"])
    refused = mlyard("role", "definition", "create", "--role-definition", json.dumps(bad))
    assert refused.returncode == 1 and refused.stderr.startswith("error:")
    assert "actions[1] 'Microsoft.Storage/storageAccounts/read'" in refused.stderr
    missing = mlyard("role", "definition", "create", "--role-definition", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "neither a JSON file nor inline JSON" in missing.stderr

    builtin = mlyard("role", "definition", "delete", "-n", "Owner")
    assert builtin.returncode == 1 and "built-in role" in builtin.stderr
    ok("role", "definition", "delete", "-n", inline)
    gone = mlyard("role", "definition", "show", "-n", inline)
    assert gone.returncode == 1 and inline in gone.stderr


def test_role_assignments_create_list_delete(server_env: RunningServer, place: tuple[str, str], tmp_path: Path) -> None:
    group, ws = place
    scope = f"/subscriptions/{SUB}/resourceGroups/{group}/workspaces/{ws}"
    who = make_user(server_env)
    role = unique("Ops")
    body = {"Name": role, "Actions": [f"{ML}workspaces/computes/*"], "AssignableScopes": [scope]}
    ok("role", "definition", "create", "--role-definition", json.dumps(body))

    made = as_json("role", "assignment", "create", "--assignee", who, "--role", role,
                   "-w", ws, "-g", group, "--subscription", SUB)  # fmt: skip
    assert (made["principalName"], made["roleDefinitionName"], made["scope"]) == (who, role, scope)
    again = mlyard("role", "assignment", "create", "--assignee", who, "--role", role, "--scope", scope)
    assert again.returncode == 1 and "already holds" in again.stderr
    outside = mlyard("role", "assignment", "create", "--assignee", who, "--role", role, "-g", group,
                     "--subscription", SUB)  # fmt: skip
    assert outside.returncode == 1 and "assignable only at" in outside.stderr

    listed = as_json("role", "assignment", "list", "--assignee", who)
    assert [a["id"] for a in listed] == [made["id"]]
    assert made["id"] in [a["id"] for a in as_json("role", "assignment", "list", "--scope", scope)]
    assert who in ok("role", "assignment", "list", "--scope", scope).stdout

    in_use = mlyard("role", "definition", "delete", "-n", role)
    assert in_use.returncode == 1 and made["id"] in in_use.stderr and "--force" in in_use.stderr

    deleted = ok("role", "assignment", "delete", "--assignee", who, "--role", role, "--scope", scope)
    assert made["id"] in deleted.stderr
    assert as_json("role", "assignment", "list", "--assignee", who) == []

    # With a config.json in the folder, -w alone names the workspace of the configured group.
    project = tmp_path / "project"
    project.mkdir()
    config = {"subscription_id": SUB, "resource_group": group, "workspace_name": ws}
    (project / "config.json").write_text(json.dumps(config))
    second = as_json("role", "assignment", "create", "--assignee", who, "--role", "Reader", "-w", ws, cwd=project)
    assert second["scope"] == scope
    ok("role", "assignment", "delete", "--id", second["id"])
    unknown = mlyard("role", "assignment", "delete", "--id", second["id"])
    assert unknown.returncode == 1 and second["id"] in unknown.stderr

    ok("role", "definition", "delete", "-n", role)


def test_role_assignment_flags_are_checked(server_env: RunningServer) -> None:
    no_scope = mlyard("role", "assignment", "create", "--assignee", "admin", "--role", "Reader")
    assert no_scope.returncode == 2 and "--scope" in no_scope.stderr
    no_assignee = mlyard("role", "assignment", "create", "--role", "Reader", "--scope", "/")
    assert no_assignee.returncode == 2
    neither = mlyard("role", "assignment", "delete")
    assert neither.returncode == 2 and "--id" in neither.stderr
    nobody = mlyard("role", "assignment", "create", "--assignee", unique("ghost"), "--role", "Reader", "--scope", "/")
    assert nobody.returncode == 1 and "ghost" in nobody.stderr
    bad_scope = mlyard("role", "assignment", "list", "--scope", "/nowhere")
    assert bad_scope.returncode == 1 and "not of the form" in bad_scope.stderr


def test_the_last_root_owner_cannot_leave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its own server: on the shared one another test may have made a second root Owner.
    server = start_server(tmp_path / "home")
    try:
        monkeypatch.setenv("MLYARD_HOME", str(server.home))
        monkeypatch.chdir(tmp_path)
        mine = as_json("role", "assignment", "list", "--assignee", "admin", "--scope", "/")
        assert [(a["scope"], a["roleDefinitionName"]) for a in mine] == [("/", "Owner")]
        refused = mlyard("role", "assignment", "delete", "--id", mine[0]["id"])
        assert refused.returncode == 1 and "nobody else would own the whole installation" in refused.stderr
        with server.client() as http:
            held = http.get("/api/v1/permissions", params={"scope": "/"}).json()["value"]
        assert [p["roleDefinitionName"] for p in held] == ["Owner"]
    finally:
        server.stop()


@pytest.mark.parametrize("command", [("role",), ("role", "definition"), ("role", "assignment")])
def test_role_commands_have_help(command: tuple[str, ...], server_env: RunningServer) -> None:
    assert "Usage" in ok(*command, "--help").stdout
