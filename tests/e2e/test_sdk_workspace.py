"""The SDK's workspace surface against a real server, used as a user would."""

from __future__ import annotations

import builtins
import getpass
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.fixtures.server import ADMIN_PASSWORD, RunningServer, free_port, point_at, start_server

from mlyard import (
    AuthenticationError,
    Datastore,
    InteractiveLoginAuthentication,
    InvalidConfig,
    ResourceGroupNotFound,
    ServicePrincipalAuthentication,
    ServiceUnreachable,
    TokenAuthentication,
    ValidationError,
    Workspace,
    WorkspaceAlreadyExists,
    WorkspaceNotFound,
)
from mlyard.core.errors import InvalidName

SUB = "default"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make(name: str | None = None, group: str | None = None, **options: Any) -> Workspace:
    name = name or unique("ws")
    return Workspace.create(
        name, subscription_id=SUB, resource_group=group or f"{name}-rg", show_output=False, **options
    )


def without_saved_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A home with neither credentials nor config.json, so that only ``auth`` can sign in."""
    home = tmp_path / "empty-home"
    home.mkdir()
    monkeypatch.setenv("MLYARD_HOME", str(home))
    return home


def test_create_makes_group_workspace_and_supporting_resources(
    server_env: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("create")
    ws = Workspace.create(
        name, subscription_id=SUB, friendly_name="Created", description="made by a test", tags={"team": "a"}
    )
    out = capsys.readouterr().out
    assert f"Deploying resource group '{name}-rg'" in out
    assert f"Created workspace '{name}'" in out and "storage" in out and "vault" in out

    assert ws.name == name and ws.resource_group == f"{name}-rg" and ws.subscription_id == SUB
    assert repr(ws) == f"Workspace.create(name='{name}', subscription_id='{SUB}', resource_group='{name}-rg')"
    assert (ws.location, ws.friendly_name, ws.description, ws.tags) == (
        "local",
        "Created",
        "made by a test",
        {"team": "a"},
    )
    assert ws.discovery_url == server_env.endpoint

    details = ws.get_details()
    for key in (
        "friendlyName",
        "description",
        "location",
        "storageAccount",
        "keyVault",
        "applicationInsights",
        "containerRegistry",
        "hbiWorkspace",
        "creationTime",
        "supportingResources",
    ):
        assert key in details, key
    status = {r["kind"]: r["status"] for r in details["supportingResources"]}
    assert status == {
        "storage": "Ready",
        "vault": "Ready",
        "monitoring": "Ready",
        "environmentRegistry": "CreatedOnFirstUse",
    }


def test_get_finds_a_workspace_by_name_and_the_constructor_checks_it(server_env: RunningServer) -> None:
    ws = make()
    assert Workspace.get(ws.name, subscription_id=SUB) == ws
    assert Workspace.get(ws.name, subscription_id=SUB, resource_group=ws.resource_group) == ws
    assert Workspace(SUB, ws.resource_group, ws.name).get_details()["name"] == ws.name

    with pytest.raises(WorkspaceNotFound, match="nothere"):
        Workspace(SUB, ws.resource_group, "nothere")
    with pytest.raises(WorkspaceNotFound, match="nothere"):
        Workspace.get("nothere", subscription_id=SUB)

    twin = make(ws.name, group=unique("twin"))
    with pytest.raises(ValidationError, match="several resource groups") as info:
        Workspace.get(ws.name, subscription_id=SUB)
    assert ws.resource_group in info.value.message and twin.resource_group in info.value.message


def test_write_config_then_from_config_from_the_folder_and_below(server_env: RunningServer, tmp_path: Path) -> None:
    ws = make()
    written = ws.write_config()
    assert written == tmp_path / ".azureml" / "config.json"
    saved = json.loads(written.read_text())
    assert saved == {
        "subscription_id": SUB,
        "resource_group": ws.resource_group,
        "workspace_name": ws.name,
        "endpoint": server_env.endpoint,
    }
    assert Workspace.from_config() == ws
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    assert Workspace.from_config(path=below) == ws

    other = tmp_path / "other"
    ws.write_config(path=other, file_name="ws.json")
    assert Workspace.from_config(path=other, _file_name="ws.json") == ws
    assert Workspace.from_config(path=other / ".azureml" / "ws.json") == ws


def test_from_config_falls_back_on_the_config_of_mlyard_up(server_env: RunningServer) -> None:
    ws = Workspace.from_config()
    assert (ws.subscription_id, ws.resource_group, ws.name) == ("default", "default", "default")


def test_from_config_without_a_file_says_where_it_looked_and_what_to_do(
    server_env: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    without_saved_credentials(monkeypatch, tmp_path)
    with pytest.raises(InvalidConfig) as info:
        Workspace.from_config()
    message = info.value.message
    assert str(tmp_path) in message and ".azureml/config.json" in message
    assert "write_config()" in message and "mlyard up" in message


def test_malformed_config_names_the_file_and_the_key(server_env: RunningServer, tmp_path: Path) -> None:
    file = tmp_path / ".azureml" / "config.json"
    file.parent.mkdir()
    file.write_text(json.dumps({"subscription_id": SUB, "resource_group": "default"}))
    with pytest.raises(InvalidConfig) as info:
        Workspace.from_config()
    assert str(file) in info.value.message and "workspace_name" in info.value.message

    file.write_text("{not json")
    with pytest.raises(InvalidConfig, match="not valid JSON"):
        Workspace.from_config()


def test_list_by_name_across_groups_and_within_one(server_env: RunningServer) -> None:
    first, second = make(), make()
    everything = Workspace.list(SUB)
    assert everything[first.name] == [first] and everything[second.name] == [second]
    in_group = Workspace.list(SUB, resource_group=first.resource_group)
    assert list(in_group) == [first.name]


def test_update_changes_only_what_is_given(server_env: RunningServer) -> None:
    ws = make(description="before", tags={"a": "1"})
    details = ws.update(friendly_name="After")
    assert (details["friendlyName"], details["description"], details["tags"]) == ("After", "before", {"a": "1"})
    ws.update(description="after", tags={"b": "2"})
    fresh = Workspace(SUB, ws.resource_group, ws.name)
    assert (fresh.friendly_name, fresh.description, fresh.tags) == ("After", "after", {"b": "2"})


def test_delete_keeps_supporting_resources_unless_asked(server_env: RunningServer) -> None:
    kept = make()
    summary = kept.delete()
    assert summary["removed"] == []
    assert sorted(r["kind"] for r in summary["kept"]) == ["environmentRegistry", "monitoring", "storage", "vault"]
    assert {r["status"] for r in summary["kept"]} == {"Orphaned"}
    with pytest.raises(WorkspaceNotFound):
        Workspace(SUB, kept.resource_group, kept.name)

    gone = make()
    summary = gone.delete(delete_dependent_resources=True)
    assert summary["kept"] == [] and len(summary["removed"]) == 4
    with pytest.raises(WorkspaceNotFound):
        Workspace.get(gone.name, subscription_id=SUB, resource_group=gone.resource_group)


def test_exist_ok_returns_the_existing_workspace(server_env: RunningServer) -> None:
    ws = make(description="original")
    again = make(ws.name, group=ws.resource_group, exist_ok=True, description="ignored")
    assert again == ws and again.description == "original"
    with pytest.raises(WorkspaceAlreadyExists, match=ws.name):
        make(ws.name, group=ws.resource_group)


def test_datastores_of_a_new_workspace(server_env: RunningServer) -> None:
    ws = make()
    stores = ws.datastores
    assert set(stores) == {"workspaceblobstore", "workspacefilestore"}
    default = ws.get_default_datastore()
    assert default.name == "workspaceblobstore" and default.is_default and default.workspace is ws
    files = Datastore.get(ws, "workspacefilestore")
    assert not files.is_default and files.datastore_type == stores["workspacefilestore"].datastore_type
    assert "url" in files.properties
    assert Datastore.get_default(ws).name == Datastore(ws).name == "workspaceblobstore"
    assert [d.name for d in Datastore.list(ws)] == sorted(stores)


def test_token_authentication_signs_in_without_saved_credentials(
    server_env: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token = server_env.token
    without_saved_credentials(monkeypatch, tmp_path)
    ws = Workspace("default", "default", "default", auth=TokenAuthentication(token), endpoint=server_env.endpoint)
    assert ws.get_default_datastore().name == "workspaceblobstore"
    with pytest.raises(AuthenticationError, match="mlyard login"):
        Workspace("default", "default", "default", endpoint=server_env.endpoint)
    with pytest.raises(AuthenticationError, match="not valid"):
        Workspace("default", "default", "default", auth=TokenAuthentication("mly_wrong"), endpoint=server_env.endpoint)


def test_interactive_login_with_and_without_prompts(
    server_env: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    without_saved_credentials(monkeypatch, tmp_path)
    auth = InteractiveLoginAuthentication("admin", ADMIN_PASSWORD, endpoint=server_env.endpoint)
    ws = Workspace.get("default", auth=auth, subscription_id="default", resource_group="default")
    assert ws.endpoint == server_env.endpoint

    asked: list[str] = []

    def answer(value: str) -> Callable[[str], str]:
        def reply(prompt: str) -> str:
            asked.append(prompt)
            return value

        return reply

    monkeypatch.setattr("mlyard.sdk.authentication._in_terminal", lambda: True)
    monkeypatch.setattr(builtins, "input", answer("admin"))
    monkeypatch.setattr(getpass, "getpass", answer(ADMIN_PASSWORD))
    prompted = InteractiveLoginAuthentication(endpoint=server_env.endpoint)
    Workspace("default", "default", "default", auth=prompted)
    Workspace("default", "default", "default", auth=prompted)
    assert len(asked) == 2 and "Username" in asked[0] and "Password" in asked[1]

    monkeypatch.setattr("mlyard.sdk.authentication._in_terminal", lambda: False)
    with pytest.raises(AuthenticationError, match="password"):
        Workspace("default", "default", "default", auth=InteractiveLoginAuthentication("admin"))
    wrong = InteractiveLoginAuthentication("admin", "not-the-password")
    with pytest.raises(AuthenticationError, match="wrong"):
        Workspace("default", "default", "default", auth=wrong, endpoint=server_env.endpoint)


def test_a_service_principal_with_a_wrong_secret_is_refused_clearly(server_env: RunningServer) -> None:
    with pytest.raises(ValidationError, match="non-empty service_principal_id"):
        ServicePrincipalAuthentication("tenant", " ", "secret")
    wrong = ServicePrincipalAuthentication("tenant", "00000000-0000-4000-8000-000000000000", "not-the-s3cret")
    assert "not-the-s3cret" not in repr(wrong)
    with pytest.raises(AuthenticationError, match=r"Cannot sign in service principal .* client secret is wrong"):
        Workspace.get("default", auth=wrong, endpoint=server_env.endpoint)


def test_bad_inputs_raise_the_documented_errors(server_env: RunningServer) -> None:
    with pytest.raises(InvalidName, match="3 to 33 letters"):
        Workspace.create("a b", subscription_id=SUB, show_output=False)
    group = unique("missing")
    with pytest.raises(ResourceGroupNotFound, match=group):
        Workspace.create(
            unique("ws"), subscription_id=SUB, resource_group=group, create_resource_group=False, show_output=False
        )
    with pytest.raises(ServiceUnreachable, match="mlyard up"):
        Workspace.get(
            "default", subscription_id=SUB, resource_group="default", endpoint=f"http://127.0.0.1:{free_port()}"
        )


def test_the_subscription_defaults_to_the_environment_or_the_only_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A server of its own: the shared one gains subscriptions as other tests run.
    server = start_server(tmp_path / "home")
    try:
        point_at(server, monkeypatch, tmp_path)
        only = make_without_subscription("only")
        assert only.subscription_id == "default"

        with server.client() as http:
            assert http.post("/api/v1/subscriptions", json={"subscriptionId": "second"}).status_code == 201
        with pytest.raises(ValidationError, match="default, second"):
            make_without_subscription("ambiguous")
        http_group = "grp"
        monkeypatch.setenv("MLYARD_SUBSCRIPTION_ID", "second")
        chosen = make_without_subscription("chosen", http_group)
        assert (chosen.subscription_id, chosen.resource_group) == ("second", http_group)
        assert list(Workspace.list()) == ["chosen"]
    finally:
        server.stop()


def make_without_subscription(name: str, group: str | None = None) -> Workspace:
    return Workspace.create(name, resource_group=group, show_output=False)
