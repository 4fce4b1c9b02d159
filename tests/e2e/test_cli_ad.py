"""``mlyard ad`` (users, groups, members, service principals) and service-principal sign-in,
against a real server, run in a subprocess as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from tests.e2e.test_cli_workspace import as_json, fresh_home, mlyard, ok, unique
from tests.fixtures.server import RunningServer

from mlyard.core.errors import AuthenticationError, WorkspaceNotFound
from mlyard.sdk import authentication as sdk_auth
from mlyard.sdk.authentication import ServicePrincipalAuthentication
from mlyard.sdk.workspace import Workspace

PASSWORD = "a-good-long-password"
TOKEN_URL = "/api/v1/oauth2/token"


def test_ad_user_create_list_show_set_password_delete(server_env: RunningServer, tmp_path: Path) -> None:
    name = unique("user")
    made = as_json("ad", "user", "create", "--username", name, "--password", PASSWORD, "--email", "u@example.org")
    assert made["username"] == name and made["displayName"] == name and made["email"] == "u@example.org"
    assert "password" not in json.dumps(made).lower()
    assert name in [u["username"] for u in as_json("ad", "user", "list")]
    assert as_json("ad", "user", "show", "--username", name.upper())["id"] == made["id"]
    assert name in ok("ad", "user", "list").stdout

    prompted = unique("user")
    mismatch = mlyard("ad", "user", "create", "-u", prompted, stdin=f"{PASSWORD}\nsomething-else\n")
    assert mismatch.returncode != 0
    ok("ad", "user", "create", "-u", prompted, stdin=f"{PASSWORD}\n{PASSWORD}\n")

    # the new user signs in, and changes their own password with the current one
    env = fresh_home(tmp_path, server_env, logged_in=False)
    ok("login", "--endpoint", server_env.endpoint, "-u", prompted, "-p", PASSWORD, env=env)
    wrong = mlyard("ad", "user", "set-password", "--current-password", "nope", "-p", "new-long-password", env=env)
    assert wrong.returncode == 1 and "current password is wrong" in wrong.stderr
    ok("ad", "user", "set-password", "-p", "new-long-password", env=env, stdin=f"{PASSWORD}\n")
    # a user without a role may not administer others: 403 naming the action
    denied = mlyard("ad", "user", "list", env=env)
    assert denied.returncode == 1 and "users/read" in denied.stderr

    # an administrator sets anyone's password, then deletes the user
    ok("ad", "user", "set-password", "-u", prompted, stdin="admin-set-password\nadmin-set-password\n")
    ok("login", "--endpoint", server_env.endpoint, "-u", prompted, "-p", "admin-set-password", env=env)
    ok("ad", "user", "delete", "-u", prompted)
    gone = mlyard("ad", "user", "show", "-u", prompted)
    assert gone.returncode == 1 and f"No user is named '{prompted}'" in gone.stderr
    assert mlyard("whoami", env=env).returncode == 1  # their tokens went with them
    ok("ad", "user", "delete", "-u", name)


def test_ad_group_and_members(server_env: RunningServer) -> None:
    outer, inner = unique("IT Operations"), unique("inner")
    member = unique("user")
    ok("ad", "user", "create", "-u", member, "-p", PASSWORD)
    made = as_json("ad", "group", "create", "--name", outer, "--description", "runs the machines")
    assert made["name"] == outer and made["description"] == "runs the machines"
    ok("ad", "group", "create", "-n", inner)
    assert {outer, inner} <= {g["name"] for g in as_json("ad", "group", "list")}
    assert as_json("ad", "group", "show", "-n", outer.lower())["id"] == made["id"]

    added = as_json("ad", "group", "member", "add", "--group", outer, "--member", inner)
    assert added["type"] == "Group"
    ok("ad", "group", "member", "add", "--group", inner, "--member", f"user:{member}")
    members = as_json("ad", "group", "member", "list", "--group", outer)
    assert [(m["type"], m["name"]) for m in members] == [("Group", inner)]

    cycle = mlyard("ad", "group", "member", "add", "--group", inner, "--member", outer)
    assert cycle.returncode == 1 and "cycle" in cycle.stderr and f"'{outer}'" in cycle.stderr

    ok("ad", "group", "member", "remove", "--group", inner, "--member", member)
    assert as_json("ad", "group", "member", "list", "--group", inner) == []
    ok("ad", "group", "delete", "-n", inner)
    assert as_json("ad", "group", "member", "list", "--group", outer) == []
    ok("ad", "group", "delete", "-n", outer)
    missing = mlyard("ad", "group", "show", "-n", outer)
    assert missing.returncode == 1 and "No group is named" in missing.stderr


def test_a_service_principal_signs_in_and_holds_its_groups_role(server_env: RunningServer) -> None:
    name = unique("ci-bot")
    made = as_json("ad", "sp", "create", "--name", name)
    client_id, secret = made["clientId"], made["clientSecret"]
    listed = as_json("ad", "sp", "list")
    assert client_id in [s["clientId"] for s in listed]
    assert secret not in json.dumps(listed)
    assert as_json("ad", "sp", "show", "--id", name)["clientId"] == client_id

    auth = ServicePrincipalAuthentication("any-tenant", client_id, secret)
    client = sdk_auth.connect(server_env.endpoint, auth)
    me = sdk_auth.whoami(client)
    assert (me["type"], me["name"], me["authMethod"]) == ("ServicePrincipal", name, "client_credentials")
    # no role yet: the workspace is not even visible
    with pytest.raises(WorkspaceNotFound):
        Workspace.get("default", auth=auth, subscription_id="default", resource_group="default")

    group = unique("readers")
    ok("ad", "group", "create", "-n", group)
    ok("ad", "group", "member", "add", "-g", group, "-m", f"sp:{name}")
    with server_env.client() as admin:
        scope = "/subscriptions/default/resourceGroups/default/workspaces/default"
        reply = admin.post("/api/v1/roleAssignments", json={"assignee": group, "role": "Reader", "scope": scope})
        assert reply.status_code == 201, reply.text
    ws = Workspace.get("default", auth=auth, subscription_id="default", resource_group="default")
    assert ws.name == "default"

    renewed = as_json("ad", "sp", "reset-secret", "--id", client_id)
    assert renewed["clientSecret"] != secret
    with pytest.raises(AuthenticationError, match="client secret is wrong"):
        ServicePrincipalAuthentication(None, client_id, secret).get_token(server_env.endpoint)
    ok("ad", "sp", "delete", "--id", client_id)
    assert client_id not in [s["clientId"] for s in as_json("ad", "sp", "list")]
    ok("ad", "group", "delete", "-n", group)


def test_the_token_endpoint_speaks_oauth2(server_env: RunningServer) -> None:
    made = as_json("ad", "sp", "create", "-n", unique("oauth"))
    form = {"grant_type": "client_credentials", "client_id": made["clientId"], "client_secret": made["clientSecret"]}
    with httpx.Client(base_url=server_env.endpoint, timeout=30) as http:
        reply = http.post(TOKEN_URL, data=form)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
        assert reply.headers["cache-control"] == "no-store"
        me = http.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["type"] == "ServicePrincipal"

        basic = http.post(
            TOKEN_URL, data={"grant_type": "client_credentials"}, auth=(made["clientId"], made["clientSecret"])
        )
        assert basic.status_code == 200, basic.text

        wrong = http.post(TOKEN_URL, data={**form, "client_secret": "wrong"})
        assert wrong.status_code == 401
        assert wrong.json()["error"]["code"] == "AuthenticationFailed"
        assert made["clientSecret"] not in wrong.text
        grant = http.post(TOKEN_URL, data={**form, "grant_type": "password"})
        assert grant.status_code == 400 and "client_credentials" in grant.json()["error"]["message"]
        as_json_body = http.post(TOKEN_URL, json=form)
        assert as_json_body.status_code == 400
    assert made["clientSecret"] not in server_env.log()
    ok("ad", "sp", "delete", "--id", made["clientId"])
