"""Runs made in one request with a client-made id, the auth cache's invalidation, and the SDK's
sender threads, against a real server."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Workspace
from mlyard.core.errors import MlyardError

SUB = "default"
API = "/api/v1"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"start-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def ws_path(ws: Workspace) -> str:
    return f"{API}/subscriptions/{SUB}/resourceGroups/{ws.resource_group}/workspaces/{ws.name}"


def test_a_long_run_shows_in_listings_soon_after_it_starts_without_being_touched(ws: Workspace) -> None:
    run = Experiment(ws, "long").start_logging(display_name="still-going")
    listing = f"{ws_path(ws)}/experiments/long/runs"
    seen: list[dict[str, object]] = []
    deadline = time.monotonic() + 10  # the background creation follows LINGER (0.2 s) later
    while not seen and time.monotonic() < deadline:
        try:
            seen = ws._client.get(listing)["value"]  # the workspace's client: the run is not touched
        except MlyardError:
            seen = []  # the experiment is made with the run
        time.sleep(0.05)
    assert [r["displayName"] for r in seen] == ["still-going"] and seen[0]["status"] == "Running"
    run.complete()
    assert run.get_status() == "Completed"


def test_a_short_run_is_one_request_and_reads_back_whole(ws: Workspace) -> None:
    exp = Experiment(ws, "short")
    run = exp.start_logging(display_name="one", tags={"team": "vision"})
    run.log_params({"lr": 0.01, "model": "cnn"})
    run.set_tags({"stage": "dev"})
    for name, value in (("accuracy", 0.93), ("loss", 0.21)):
        run.log(name, value)
    run.complete()
    again = next(iter(exp.get_runs()))
    assert again == run and again.status == "Completed" and again.number == 1
    details = again.get_details()
    assert details["tags"] == {"team": "vision", "stage": "dev"}
    assert details["params"] == {"lr": "0.01", "model": "cnn"}
    assert again.get_metrics() == {"accuracy": 0.93, "loss": 0.21}


def test_reading_a_server_fact_creates_the_run_first(ws: Workspace) -> None:
    run = Experiment(ws, "facts").start_logging()
    assert run.number == 1 and run.get_status() == "Running"
    run.log("loss", 0.5)
    run.log_params({"seed": 7})  # sent: the run exists already
    run.complete()
    assert run.get_status() == "Completed" and run.get_details()["params"] == {"seed": "7"}
    assert run.get_metrics("loss") == {"loss": 0.5}


def test_a_client_made_id_retried_is_one_run_and_another_body_is_409(ws: Workspace, server_env: RunningServer) -> None:
    run_id = uuid.uuid4().hex
    body = {
        "runId": run_id, "tags": {"a": "1"}, "params": {"p": "x"}, "status": "Completed",
        "batchId": uuid.uuid4().hex, "series": [{"name": "m", "steps": [0], "values": [1.5], "timestamps": [1]}],
    }  # fmt: skip
    url = f"{ws_path(ws)}/experiments/retry/runs"
    with server_env.client() as http:
        first = http.post(url, json=body)
        second = http.post(url, json=body)
        assert first.status_code == second.status_code == 201, second.text
        assert first.json()["runNumber"] == second.json()["runNumber"] == 1
        listed = http.get(f"{ws_path(ws)}/experiments/retry/runs").json()["value"]
        assert [r["runId"] for r in listed] == [run_id]
        metrics = http.get(f"{ws_path(ws)}/runs/{run_id}/metrics").json()["metrics"]
        assert [(m["name"], m["value"], m["count"]) for m in metrics] == [("m", 1.5, 1)]
        clash = http.post(url, json={**body, "params": {"p": "y"}})
        assert clash.status_code == 409 and clash.json()["error"]["code"] == "RunAlreadyExists"
        bad = http.post(url, json={**body, "runId": "not-hex"})
        assert bad.status_code == 400
        # A failed run's error has the bounds it has when a run fails later (64 KiB of JSON).
        huge = {"runId": uuid.uuid4().hex, "status": "Failed", "error": {"message": "x" * 70_000}}
        refused = http.post(url, json=huge)
        assert refused.status_code == 400 and refused.json()["error"]["target"] == "error", refused.text
        assert [r["runId"] for r in http.get(f"{ws_path(ws)}/experiments/retry/runs").json()["value"]] == [run_id]


def test_finished_runs_leave_no_sender_thread(ws: Workspace) -> None:
    exp = Experiment(ws, "threads")
    earlier = set(threading.enumerate())  # other tests' runs may still hold theirs
    for i in range(12):
        run = exp.start_logging()
        if i % 2:
            run.get_status()  # created first: its points go through the sender thread
        run.log("loss", float(i))
        run.complete()
    for _ in range(100):
        alive = [t for t in threading.enumerate() if t.name == "mlyard-metrics" and t not in earlier]
        if not alive:
            break
        time.sleep(0.05)
    assert alive == []
    assert sum(1 for _ in exp.get_runs()) == 12


def test_a_revoked_token_and_a_removed_role_are_refused_at_once(ws: Workspace, server_env: RunningServer) -> None:
    name = f"u{uuid.uuid4().hex[:8]}"
    with server_env.client() as admin:
        assert admin.post(f"{API}/users", json={"username": name, "password": "pw-long-enough"}).status_code == 201
        login = httpx.post(
            f"{server_env.endpoint}{API}/auth/login", json={"username": name, "password": "pw-long-enough"}
        )
        assert login.status_code == 201, login.text
        scope = ws_path(ws).removeprefix(API)
        made = admin.post(f"{API}/roleAssignments", json={"assignee": name, "role": "Reader", "scope": scope})
        assert made.status_code == 201, made.text
        user = httpx.Client(
            base_url=server_env.endpoint, headers={"Authorization": f"Bearer {login.json()['token']}"}, timeout=30
        )
        with user:
            for _ in range(3):  # cached now
                assert user.get(ws_path(ws)).status_code == 200
            assert admin.delete(f"{API}/roleAssignments/{made.json()['id']}").status_code == 204
            assert user.get(ws_path(ws)).status_code == 404
            token = user.post(f"{API}/me/tokens", json={"name": "second", "expiresInDays": 1})
            assert token.status_code == 201, token.text
            second = httpx.Client(
                base_url=server_env.endpoint, headers={"Authorization": f"Bearer {token.json()['token']}"}, timeout=30
            )
            with second:
                assert second.get(f"{API}/me/tokens").status_code == 200
                assert user.delete(f"{API}/me/tokens/{token.json()['id']}").status_code == 200
                refused = second.get(f"{API}/me/tokens")
                assert refused.status_code == 401 and "revoked" in refused.text


def test_search_answers_each_run_as_a_read_of_it_does(ws: Workspace, server_env: RunningServer) -> None:
    run = Experiment(ws, "wire").start_logging(display_name="w", tags={"t": "1"})
    run.log_params({"p": 1})
    run.log("m", float("nan"))
    run.log("n", 2.5)
    run.fail(error_details=ValueError("bad"))
    with server_env.client() as http:
        found = http.post(f"{ws_path(ws)}/runs/search", json={"filter": "tags.t = '1'"}).json()
        read = http.get(f"{ws_path(ws)}/runs/{run.id}").json()
    assert found["nextPageToken"] is None and len(found["runs"]) == 1
    metrics = found["runs"][0].pop("metrics")
    assert found["runs"][0] == read and read["status"] == "Failed" and read["error"]["code"] == "ValueError"
    assert [(m["name"], m["value"], m["count"]) for m in metrics] == [("m", "NaN", 1), ("n", 2.5, 1)]
    assert all(m["timestamp"].endswith("Z") for m in metrics)
