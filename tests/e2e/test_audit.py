"""The audit log against a real server of its own: what is recorded, what is not, and who may read it.

One scenario runs once (module fixture): writes, sign-ins, bad tokens, a hidden scope, a
Reader's 403, a secret read; the tests then read the log back through ``mlyard audit list``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.test_cli_workspace import as_json, mlyard, ok, unique
from tests.fixtures.server import ADMIN_PASSWORD, RunningServer, start_server
from tests.integration.test_route_table import api_routes

from mlyard.core.entities.identity import PrincipalType
from mlyard.core.scopes import Scope
from mlyard.core.settings import Settings
from mlyard.server.app import create_app
from mlyard.services import rbac
from mlyard.store.database import Database

SUB = "default"
API = "/api/v1"


@dataclass
class Scenario:
    server: RunningServer
    env: dict[str, str]
    bob_env: dict[str, str]
    rg: str
    rg2: str
    ws: str
    ws2: str
    bob_id: str
    request_id: str
    secrets: list[str] = field(default_factory=list)  # text that no record may contain
    answers: dict[str, httpx.Response] = field(default_factory=dict)
    sp_id: str = ""

    @property
    def ws_path(self) -> str:
        return f"{API}/subscriptions/{SUB}/resourceGroups/{self.rg}/workspaces/{self.ws}"

    @property
    def ws2_path(self) -> str:
        return f"{API}/subscriptions/{SUB}/resourceGroups/{self.rg2}/workspaces/{self.ws2}"


def cli_env(server: RunningServer, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLYARD_")}
    env.update({"MLYARD_HOME": str(home), "MLYARD_ENDPOINT": server.endpoint})
    return env


def has_api(server: RunningServer, method: str, path: str) -> bool:
    paths = httpx.get(f"{server.endpoint}{API}/openapi.json", timeout=30).json()["paths"]
    return method.lower() in paths.get(path, {})


def give_reader(server: RunningServer, admin: httpx.Client, user_id: str, username: str, scope: str) -> None:
    """Through the REST API when the access-control routes are there, else on the server's database."""
    if has_api(server, "POST", f"{API}/roleAssignments"):
        made = admin.post(f"{API}/roleAssignments", json={"assignee": username, "role": "Reader", "scope": scope})
        assert made.status_code == 201, made.text
        return
    db = Database(f"sqlite:///{server.home / 'mlyard.db'}")
    try:
        rbac.assign_role(db, user_id, PrincipalType.USER, "Reader", Scope.parse(scope), created_by=None)
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    home = tmp_path_factory.mktemp("audit-home")
    server = start_server(home)
    work = tmp_path_factory.mktemp("audit-work")
    try:
        yield run_scenario(server, work)
    finally:
        server.stop()


def run_scenario(server: RunningServer, work: Path) -> Scenario:
    env = cli_env(server, server.home)
    rg, rg2, ws, ws2 = unique("rg"), unique("rg"), unique("ws"), unique("ws")
    bob, bob_password = unique("bob"), f"pw-{uuid.uuid4().hex}"
    wrong_password = f"wrong-{uuid.uuid4().hex}"
    bad_token = f"mly_{uuid.uuid4().hex}{uuid.uuid4().hex}"
    base = server.endpoint
    admin = server.client()

    ok("group", "create", "-n", rg, "--subscription", SUB, cwd=work, env=env)
    ok("workspace", "create", "-n", ws, "-g", rg, "--subscription", SUB, cwd=work, env=env)
    ok("workspace", "show", "-w", ws, "-g", rg, "--subscription", SUB, cwd=work, env=env)
    assert admin.post(f"{API}/subscriptions/{SUB}/resourceGroups", json={"name": rg2}).status_code == 201
    made = admin.post(f"{API}/subscriptions/{SUB}/resourceGroups/{rg2}/workspaces", json={"name": ws2})
    assert made.status_code == 201, made.text

    request_id = f"audit-e2e-{uuid.uuid4().hex[:8]}"
    tagged = admin.patch(
        f"{API}/subscriptions/{SUB}/resourceGroups/{rg}/workspaces/{ws}",
        json={"description": "tagged"},
        headers={"X-Request-Id": request_id},
    )
    assert tagged.status_code == 200 and tagged.headers["x-request-id"] == request_id

    created = admin.post(f"{API}/users", json={"username": bob, "password": bob_password})
    assert created.status_code == 201, created.text
    bob_id = created.json()["id"]
    give_reader(server, admin, bob_id, bob, f"/subscriptions/{SUB}/resourceGroups/{rg}")

    answers: dict[str, httpx.Response] = {}
    answers["bad_login"] = httpx.post(f"{base}{API}/auth/login", json={"username": "admin", "password": wrong_password})
    answers["unknown_login"] = httpx.post(
        f"{base}{API}/auth/login", json={"username": wrong_password, "password": wrong_password}
    )
    answers["bob_login"] = httpx.post(f"{base}{API}/auth/login", json={"username": bob, "password": bob_password})
    bob_token = answers["bob_login"].json()["token"]
    answers["bad_token"] = httpx.get(f"{base}{API}/subscriptions", headers={"Authorization": f"Bearer {bad_token}"})
    answers["no_token"] = httpx.get(f"{base}{API}/subscriptions", headers={"X-Request-Id": "has spaces in it"})
    sp = admin.post(f"{API}/servicePrincipals", json={"displayName": f"audit-sp-{uuid.uuid4().hex[:6]}"})
    assert sp.status_code == 201, sp.text
    form = {"grant_type": "client_credentials", "client_id": sp.json()["clientId"]}
    answers["sp_exchange"] = httpx.post(
        f"{base}{API}/oauth2/token", data={**form, "client_secret": sp.json()["clientSecret"]}
    )
    answers["sp_wrong_secret"] = httpx.post(f"{base}{API}/oauth2/token", data={**form, "client_secret": wrong_password})
    answers["sp_malformed"] = httpx.post(
        f"{base}{API}/oauth2/token", data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic !!"}
    )
    sp_id = sp.json()["id"]

    bob_http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {bob_token}"}, timeout=30)
    s = Scenario(server, env, {}, rg, rg2, ws, ws2, bob_id, request_id, answers=answers)
    s.sp_id = sp_id
    answers["bob_hidden"] = bob_http.get(s.ws2_path)
    answers["bob_reads"] = bob_http.get(s.ws_path)
    answers["bob_delete"] = bob_http.delete(s.ws_path)
    answers["bob_audit_root"] = bob_http.get(f"{API}/auditLogs")
    answers["bob_audit_rg"] = bob_http.get(
        f"{API}/auditLogs", params={"scope": f"/subscriptions/{SUB}/resourceGroups/{rg}"}
    )
    answers["bob_audit_rg2"] = bob_http.get(
        f"{API}/auditLogs", params={"scope": f"/subscriptions/{SUB}/resourceGroups/{rg2}"}
    )
    secret_value = f"s3cr3t-{uuid.uuid4().hex}"
    answers["secret_set"] = admin.put(f"{s.ws_path}/secrets/db-password", json={"value": secret_value})
    answers["secret_get"] = admin.get(f"{s.ws_path}/secrets/db-password")
    answers["secret_list"] = admin.get(f"{s.ws_path}/secrets")

    bob_home = work / "bob-home"
    bob_home.mkdir()
    creds = json.loads((server.home / "credentials").read_text())
    creds["endpoints"][server.endpoint]["token"] = bob_token
    (bob_home / "credentials").write_text(json.dumps(creds))
    s.bob_env = cli_env(server, bob_home)
    s.secrets = [server.token, bob_token, bad_token, wrong_password, bob_password, ADMIN_PASSWORD, secret_value]
    return s


def records(s: Scenario, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = as_json("audit", "list", "--limit", "1000", *args, env=s.env)
    return found


def only(found: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    matching = [r for r in found if all(r.get(k) == v for k, v in fields.items())]
    assert len(matching) == 1, (fields, matching)
    return matching[0]


def test_the_scenario_got_the_expected_answers(scenario: Scenario) -> None:
    codes = {name: answer.status_code for name, answer in scenario.answers.items()}
    assert codes == {
        "bad_login": 401,
        "unknown_login": 401,
        "bob_login": 201,
        "bad_token": 401,
        "no_token": 401,
        "sp_exchange": 200,
        "sp_wrong_secret": 401,
        "sp_malformed": 401,
        "bob_hidden": 404,
        "bob_reads": 200,
        "bob_delete": 403,
        "bob_audit_root": 403,
        "bob_audit_rg": 403,
        "bob_audit_rg2": 404,
        "secret_set": 200,
        "secret_get": 200,
        "secret_list": 200,
    }


def test_a_workspace_create_is_recorded(scenario: Scenario) -> None:
    found = records(scenario)
    rec = only(found, method="POST", target=f"{API}/subscriptions/{SUB}/resourceGroups/{scenario.rg}/workspaces")
    assert rec["action"] == "workspaces/write"
    assert rec["scope"] == f"/subscriptions/{SUB}/resourceGroups/{scenario.rg}"
    assert (rec["status"], rec["result"], rec["reason"]) == (201, "allowed", None)
    assert (rec["principalName"], rec["principalType"], rec["authMethod"]) == ("admin", "User", "token")
    assert rec["principalId"] and rec["clientAddress"] == "127.0.0.1" and rec["requestId"]
    at = datetime.fromisoformat(rec["at"])
    assert at.utcoffset() == timedelta(0)


def test_the_caller_s_request_id_is_kept_and_an_unsafe_one_replaced(scenario: Scenario) -> None:
    found = records(scenario)
    rec = only(found, requestId=scenario.request_id)
    assert (rec["method"], rec["target"], rec["action"]) == ("PATCH", scenario.ws_path, "workspaces/write")
    replaced = scenario.answers["no_token"].headers["x-request-id"]
    assert replaced != "has spaces in it" and len(replaced) == 32
    assert only(found, requestId=replaced)["reason"] == "MissingCredentials"


def test_sign_ins_are_recorded(scenario: Scenario) -> None:
    found = records(scenario)
    sign_ins = [r for r in found if r["target"] == f"{API}/auth/login"]
    assert len(sign_ins) == 3
    failed = only(sign_ins, principalName="admin")
    assert (failed["status"], failed["result"], failed["reason"]) == (401, "denied", "InvalidCredentials")
    assert failed["authMethod"] == "password" and failed["action"] is None
    unknown = only(sign_ins, principalName=None)
    assert (unknown["status"], unknown["result"]) == (401, "denied")
    good = only(sign_ins, principalId=scenario.bob_id)
    assert (good["status"], good["result"], good["authMethod"]) == (201, "allowed", "password")


def test_a_bad_token_is_recorded_without_a_principal(scenario: Scenario) -> None:
    found = records(scenario)
    rec = only(found, requestId=scenario.answers["bad_token"].headers["x-request-id"])
    assert (rec["method"], rec["target"], rec["status"]) == ("GET", f"{API}/subscriptions", 401)
    assert (rec["result"], rec["reason"], rec["authMethod"]) == ("denied", "UnknownToken", "token")
    assert rec["principalId"] is None and rec["principalName"] is None


def test_client_credential_exchanges_are_recorded_with_their_outcome(scenario: Scenario) -> None:
    exchanges = {r["requestId"]: r for r in records(scenario) if r["target"] == f"{API}/oauth2/token"}
    answers = scenario.answers
    good = exchanges[answers["sp_exchange"].headers["x-request-id"]]
    assert (good["status"], good["result"], good["authMethod"]) == (200, "allowed", "client_credentials")
    assert good["principalId"] == scenario.sp_id
    wrong = exchanges[answers["sp_wrong_secret"].headers["x-request-id"]]
    assert (wrong["status"], wrong["result"], wrong["reason"]) == (401, "denied", "InvalidCredentials")
    assert wrong["principalId"] is None
    malformed = exchanges[answers["sp_malformed"].headers["x-request-id"]]
    assert (malformed["status"], malformed["reason"]) == (401, "MalformedCredentials")


def test_a_hidden_scope_s_404_is_recorded(scenario: Scenario) -> None:
    rec = only(records(scenario), target=scenario.ws2_path, principalId=scenario.bob_id)
    assert (rec["method"], rec["status"], rec["action"]) == ("GET", 404, "workspaces/read")
    assert (rec["result"], rec["reason"]) == ("denied", "ScopeNotVisible")
    assert rec["scope"] == f"/subscriptions/{SUB}/resourceGroups/{scenario.rg2}/workspaces/{scenario.ws2}"


def test_a_reader_s_403_is_recorded(scenario: Scenario) -> None:
    rec = only(records(scenario), method="DELETE", principalId=scenario.bob_id)
    assert (rec["target"], rec["status"], rec["action"]) == (scenario.ws_path, 403, "workspaces/delete")
    assert (rec["result"], rec["reason"], rec["authMethod"]) == ("denied", "ActionNotAllowed", "token")


def test_plain_reads_are_not_recorded(scenario: Scenario) -> None:
    found = records(scenario)
    assert not [
        r for r in found if r["method"] == "GET" and r["status"] == 200 and r["action"] != "workspaces/secrets/read"
    ]
    assert not [r for r in found if r["target"] == scenario.ws_path and r["method"] == "GET"]


def test_a_secret_read_is_recorded(scenario: Scenario) -> None:
    found = records(scenario)
    read = only(found, method="GET", target=f"{scenario.ws_path}/secrets/db-password")
    assert (read["action"], read["status"], read["result"]) == ("workspaces/secrets/read", 200, "allowed")
    only(found, method="PUT", target=f"{scenario.ws_path}/secrets/db-password")


def test_no_record_holds_a_token_or_a_password(scenario: Scenario) -> None:
    text = ok("audit", "list", "--limit", "1000", "-o", "json", env=scenario.env).stdout
    table = ok("audit", "list", "--limit", "1000", env=scenario.env).stdout
    for secret in scenario.secrets:
        assert secret not in text and secret not in table
    server_log = scenario.server.log()
    for secret in scenario.secrets[1:]:
        assert secret not in server_log


def test_filters(scenario: Scenario) -> None:
    bob_denied = records(scenario, "--principal", scenario.bob_id, "--result", "denied")
    assert bob_denied and all(r["principalId"] == scenario.bob_id and r["result"] == "denied" for r in bob_denied)
    rg2 = records(scenario, "--scope", f"/subscriptions/{SUB}/resourceGroups/{scenario.rg2}")
    assert {r["target"] for r in rg2} >= {scenario.ws2_path}
    assert all(
        r["scope"].lower().startswith(f"/subscriptions/{SUB}/resourcegroups/{scenario.rg2}".lower()) for r in rg2
    )
    writes = records(scenario, "--action", "workspaces/*", "--since", "1h")
    assert writes and all(r["action"].startswith("workspaces/") for r in writes)
    assert records(scenario, "--since", "2999-01-01T00:00") == []
    newest = records(scenario, "--limit", "2")
    assert len(newest) == 2 and newest[0]["at"] >= newest[1]["at"]
    bad = mlyard("audit", "list", "--since", "yesterday", env=scenario.env)
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_a_non_owner_cannot_read_the_log(scenario: Scenario) -> None:
    refused = mlyard("audit", "list", env=scenario.bob_env)
    assert refused.returncode == 1 and "auditLogs/read" in refused.stderr
    body = scenario.answers["bob_audit_rg"].json()
    assert body["error"]["code"] == "AuthorizationFailed"
    assert scenario.answers["bob_audit_rg2"].json()["error"]["code"] == "ResourceGroupNotFound"


def test_no_route_changes_or_deletes_records(scenario: Scenario, tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 'unused.db'}"))
    schema = app.openapi()["paths"]
    audit_paths = {path: set(ops) for path, ops in schema.items() if path.startswith(f"{API}/auditLogs")}
    assert audit_paths == {f"{API}/auditLogs": {"get"}}
    served = [(r.path, r.methods) for r in api_routes(app) if r.path.startswith(f"{API}/auditLogs")]
    assert served == [(f"{API}/auditLogs", frozenset({"GET"}))]
    admin = scenario.server.client()
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        assert admin.request(method, f"{API}/auditLogs").status_code == 405
