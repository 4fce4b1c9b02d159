"""The run-creation route in-process: its hand-written JSON answer is ``RunOut``'s, its errors and
audit record are as before, and the route table's order (the SDK's hot routers first) sends every
path to the route that declares it."""

from __future__ import annotations

import inspect
import re
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.exceptions import StarletteDeprecationWarning
from starlette.routing import Match

from mlyard.core.entities.audit import AuditQuery
from mlyard.core.entities.identity import Principal
from mlyard.core.settings import Settings
from mlyard.server import deps
from mlyard.server.app import ROUTERS, create_app
from mlyard.services import audit, identity, runs, subscriptions, workspaces
from mlyard.services.platform import Platform

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

WS = "/api/v1/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1"


@pytest.fixture
def client(platform: Platform, admin: Principal, tmp_path: Path) -> TestClient:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    app = create_app(Settings(home=tmp_path / "home", database_url=platform.db.url, scheduler=False), platform)
    token = identity.create_token(platform.db, admin.id, "runs", 1)[1]
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def body(run_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "runId": run_id,
        "displayName": "whole",
        "tags": {"team": "vision"},
        "params": {"lr": 0.01, "layers": 3},
        "status": "Completed",
        "batchId": uuid.uuid4().hex,
        "series": [{"name": "loss", "steps": [0], "values": [0.5], "timestamps": [1_700_000_000_000]}],
        **changes,
    }


def test_the_answer_is_the_run_as_every_other_route_shows_it(client: TestClient, platform: Platform) -> None:
    run_id = uuid.uuid4().hex
    made = client.post(f"{WS}/experiments/exp/runs", json=body(run_id))
    assert made.status_code == 201 and made.headers["content-type"] == "application/json"
    shown = client.get(f"{WS}/runs/{run_id}")  # answered through the RunOut model
    assert made.json() == shown.json()
    assert made.json()["params"] == {"layers": "3", "lr": "0.01"} and made.json()["runNumber"] == 1
    records = [r for r in audit.list_records(platform.db, AuditQuery(limit=100)).records if r.method == "POST"]
    assert [(r.status, r.action) for r in records] == [(201, "workspaces/experiments/runs/write")]

    again = client.post(f"{WS}/experiments/exp/runs", json=body(run_id))  # a retry: the same run
    assert again.status_code == 201 and again.json()["runId"] == run_id


def test_errors_are_as_before_and_store_nothing(client: TestClient, platform: Platform) -> None:
    run_id = uuid.uuid4().hex
    assert client.post(f"{WS}/experiments/exp/runs", json=body(run_id)).status_code == 201
    clash = client.post(f"{WS}/experiments/exp/runs", json=body(run_id, params={"lr": 0.5}))
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "RunAlreadyExists"
    for bad in (
        body(uuid.uuid4().hex, params={"lr": [1, 2]}),  # not a scalar
        body("not-a-hex-id"),
        body(uuid.uuid4().hex, status="Running"),
        body(uuid.uuid4().hex, batchId=None),
    ):
        answer = client.post(f"{WS}/experiments/exp/runs", json=bad)
        assert answer.status_code in (400, 422) and answer.json()["error"]["message"], answer.text
    listed = runs.list_runs(platform, "sub1", "rg1", "ws1", experiment_name="exp").runs
    assert [r.id for r in listed] == [run_id] and listed[0].params == {"layers": "3", "lr": "0.01"}


def test_the_platform_dependency_costs_no_worker_thread() -> None:
    # FastAPI runs a sync dependency in a worker thread: one hop more on every request.
    assert inspect.iscoroutinefunction(deps.get_platform)


def _sample(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", re.sub(r"\{[^}:]+:path\}", "a/b", path))


def test_every_route_is_reached_by_its_own_paths(platform: Platform, tmp_path: Path) -> None:
    """The SDK's hot routers come first in the table: none of their patterns may catch a path
    that a later router's route declares (a literal segment where they have a parameter)."""
    app: FastAPI = create_app(Settings(home=tmp_path / "home", database_url=platform.db.url), platform)
    declared = [
        (route, method)
        for r in ROUTERS
        for route in r.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    ]
    candidates = [route for r in ROUTERS for route in r.routes if isinstance(route, APIRoute)]
    assert len(declared) > 100
    for route, method in declared:
        scope = {"type": "http", "method": method, "path": _sample(route.path), "root_path": "", "headers": []}
        first = next(c for c in candidates if c.matches(scope)[0] == Match.FULL)
        assert first is route, f"{method} {route.path} is answered by {first.path}"
    assert app.routes  # the app builds with this order
