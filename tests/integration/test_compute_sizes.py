"""``GET .../vmSizes``: the server's instance sizes, as the studio's create form reads them."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.scopes import Scope
from mlyard.core.settings import InstanceSize, Settings
from mlyard.server.app import create_app
from mlyard.services import identity, rbac, subscriptions, workspaces
from mlyard.services.platform import Platform

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

WS = "/api/v1/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1"
SIZES = [
    InstanceSize(name="tiny", cores=1, memory_gb=0.5, price_per_hour=0.01),
    InstanceSize(name="big", cores=8, memory_gb=32, price_per_hour=1.25),
]


@pytest.fixture
def app(platform: Platform, admin: Principal, tmp_path: Path) -> FastAPI:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    settings = Settings(home=tmp_path / "home", database_url=platform.db.url, instance_sizes=SIZES)
    return create_app(settings, platform)


def bearer(platform: Platform, principal_id: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {identity.create_token(platform.db, principal_id, 'sizes', 1)[1]}"}


def test_the_sizes_come_in_the_configured_order_in_camel_case(
    app: FastAPI, platform: Platform, admin: Principal
) -> None:
    answer = TestClient(app).get(WS + "/vmSizes", headers=bearer(platform, admin.id))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "value": [
            {"name": "tiny", "cores": 1, "memoryGb": 0.5, "pricePerHour": 0.01},
            {"name": "big", "cores": 8, "memoryGb": 32.0, "pricePerHour": 1.25},
        ]
    }


def test_a_reader_may_read_them_a_stranger_may_not(app: FastAPI, platform: Platform) -> None:
    reader = identity.create_user(platform.db, "reader-one", "a-long-password")
    rbac.assign_role(platform.db, reader.id, PrincipalType.USER, "Reader", Scope("sub1", "rg1", "ws1"), created_by=None)
    stranger = identity.create_user(platform.db, "stranger-one", "a-long-password")
    client = TestClient(app)
    assert client.get(WS + "/vmSizes", headers=bearer(platform, reader.id)).status_code == 200
    refused = client.get(WS + "/vmSizes", headers=bearer(platform, stranger.id))
    # Without any role there, the workspace's existence is not told either.
    assert refused.status_code == 404, refused.text
    assert "tiny" not in refused.text
    assert client.get(WS + "/vmSizes").status_code == 401


def test_an_unknown_workspace_is_not_found(app: FastAPI, platform: Platform, admin: Principal) -> None:
    answer = TestClient(app).get(
        "/api/v1/subscriptions/sub1/resourceGroups/rg1/workspaces/nope/vmSizes", headers=bearer(platform, admin.id)
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "WorkspaceNotFound"
