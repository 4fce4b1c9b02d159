"""The audit middleware in-process: request ids, a failing audit write, an unexpected failure."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from mlyard.core.entities.audit import AuditQuery, AuditRecord
from mlyard.core.entities.identity import Principal
from mlyard.core.settings import Settings
from mlyard.server.app import create_app
from mlyard.server.deps import AuthContext, authorize
from mlyard.services import audit, identity
from mlyard.services.platform import Platform

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`", StarletteDeprecationWarning)
    from starlette.testclient import TestClient


@pytest.fixture
def app(platform: Platform, tmp_path: Path) -> FastAPI:
    app = create_app(Settings(home=tmp_path / "home", database_url=platform.db.url), platform)

    @app.post("/api/v1/boom")
    def boom(auth: Annotated[AuthContext, authorize("boom/action")]) -> None:
        raise RuntimeError("an unexpected failure")

    return app


@pytest.fixture
def token(platform: Platform, admin: Principal) -> str:
    return identity.create_token(platform.db, admin.id, "audit", 1)[1]


def all_records(platform: Platform) -> list[AuditRecord]:
    return list(audit.list_records(platform.db, AuditQuery(limit=1000)).records)


def test_every_answer_has_a_request_id(app: FastAPI) -> None:
    client = TestClient(app)
    first, second = client.get("/health"), client.get("/health")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert client.get("/health", headers={"X-Request-Id": "trace-42"}).headers["x-request-id"] == "trace-42"
    for unsafe in ("x" * 65, "a b", "-starts-with-dash", "semi;colon"):
        assert client.get("/health", headers={"X-Request-Id": unsafe}).headers["x-request-id"] != unsafe


def test_reads_and_public_routes_leave_no_record(app: FastAPI, platform: Platform, token: str) -> None:
    client = TestClient(app)
    client.get("/health")
    client.get("/api/v1/nothing-here")
    assert client.get("/api/v1/subscriptions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert all_records(platform) == []


def test_a_failed_audit_write_is_logged_and_the_request_goes_on(
    app: FastAPI, platform: Platform, token: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object) -> None:
        raise OSError(f"disk full while writing {token}")

    monkeypatch.setattr(audit, "record", broken)
    client = TestClient(app)
    with caplog.at_level(logging.ERROR, logger="mlyard.server.audit"):
        made = client.post(
            "/api/v1/subscriptions", json={"subscriptionId": "sub1"}, headers={"Authorization": f"Bearer {token}"}
        )
        client.get("/api/v1/subscriptions", headers={"Authorization": "Bearer mly_wrong"})
    assert made.status_code == 201
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "(2 failed so far)" in messages[1] and "OSError" in messages[1]
    assert made.headers["x-request-id"] in messages[0]
    assert not any(token in m or "mly_wrong" in m for m in messages)


def test_an_unexpected_failure_is_recorded_as_a_500(app: FastAPI, platform: Platform, token: str) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    answer = client.post("/api/v1/boom", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 500
    (rec,) = all_records(platform)
    assert (rec.action, rec.status, rec.result.value) == ("boom/action", 500, "allowed")
    assert rec.principal_name == "root-admin"


def test_tracking_writes_are_recorded_once_with_their_change(
    app: FastAPI, platform: Platform, admin: Principal, token: str
) -> None:
    from mlyard.services import subscriptions, workspaces

    subscriptions.create_subscription(platform, admin, "s1")
    subscriptions.create_resource_group(platform, admin, "s1", "r1")
    workspaces.create_workspace(platform, admin, "s1", "r1", "ws-audit")
    before = len(all_records(platform))
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    ws = "/api/v1/subscriptions/s1/resourceGroups/r1/workspaces/ws-audit"
    made = client.post(f"{ws}/experiments/e/runs", json={"tags": {"a": "1"}}, headers=headers)
    assert made.status_code == 201, made.text
    run = f"{ws}/runs/{made.json()['runId']}"
    batch = {"batchId": "b1", "series": [{"name": "m", "steps": [0], "values": [1.0], "timestamps": [1]}]}
    assert client.post(f"{run}/metrics/batch", json=batch, headers=headers).status_code == 200
    bad = {"batchId": "b2", "series": [{"name": "m", "steps": [0, 1], "values": [1.0], "timestamps": [1]}]}
    assert client.post(f"{run}/metrics/batch", json=bad, headers=headers).status_code == 400
    records = all_records(platform)[: len(all_records(platform)) - before]
    got = sorted((r.target.rsplit("/", 1)[-1], r.status, r.result.value) for r in records)
    assert got == [("batch", 200, "allowed"), ("batch", 400, "allowed"), ("runs", 201, "allowed")]
    assert len({r.request_id for r in records}) == 3
