"""The route table: every endpoint declares exactly one action, and the edges answer as documented.

A route without an ``Authorize`` dependency would answer anyone; this walk finds it. The
in-process client then checks what every route says to a caller without a token, and how
unknown paths and unknown body fields are refused.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.exceptions import StarletteDeprecationWarning

from mlyard.core.entities.identity import Principal
from mlyard.core.settings import Settings
from mlyard.server.app import create_app
from mlyard.server.deps import PUBLIC_PATHS, Authorize
from mlyard.services import identity
from mlyard.services.platform import Platform

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 under its TestClient and warns once, at import, when it finds httpx.
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

# Azure's verbs, plus 'list' for workspaces/secrets/list (names without values, which a Reader may see).
ACTION = re.compile(r"(?i)^(self/action|[a-z][a-z0-9]*(/[a-z][a-z0-9]*)*/(read|list|write|delete|action))$")
PATH_VALUES = {"subscriptionId": "sub1", "resourceGroupName": "rg1", "workspaceName": "ws1"}


def authorizers(dependant: Dependant) -> Iterator[Authorize]:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Authorize):
            yield dep.call
        yield from authorizers(dep)


@dataclass(frozen=True)
class Endpoint:
    path: str
    methods: frozenset[str]
    dependant: Dependant


def api_routes(app: FastAPI) -> list[Endpoint]:
    """Every APIRoute as the app serves it (prefixes and include-time dependencies applied).

    Recent FastAPI versions keep included routers as nodes of ``app.routes``; ``iter_route_contexts``
    (what FastAPI's own OpenAPI generation walks) flattens them. Older versions flatten on include.
    """
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # an older FastAPI: app.routes is already flat
        flat = [r for r in app.routes if isinstance(r, APIRoute)]
        return [Endpoint(r.path, frozenset(r.methods or ()), r.dependant) for r in flat]
    return [
        Endpoint(ctx.path or "", frozenset(ctx.methods or ()), ctx.dependant)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute)
    ]


def protected_routes(app: FastAPI) -> list[Endpoint]:
    return [r for r in api_routes(app) if r.path not in PUBLIC_PATHS]


def route_table(app: FastAPI) -> list[tuple[str, str, str, bool]]:
    """(method, path, action, filtered) for every protected route."""
    table = []
    for route in protected_routes(app):
        found = list(authorizers(route.dependant))
        assert len(found) == 1, f"{sorted(route.methods)} {route.path} has {len(found)} Authorize dependencies"
        for method in sorted(route.methods):
            table.append((method, route.path, found[0].action, found[0].filtered))
    return table


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PATH_VALUES.get(m.group(1), "nothing-here"), path)


def requests_of(app: FastAPI) -> list[tuple[str, str]]:
    return sorted({(method, concrete(path)) for method, path, _, _ in route_table(app)})


def is_error_body(body: Any, code: str | None = None) -> bool:
    if not isinstance(body, dict) or set(body) != {"error"}:
        return False
    error = body["error"]
    return (
        isinstance(error, dict)
        and set(error) == {"code", "message", "target"}
        and isinstance(error["code"], str)
        and isinstance(error["message"], str)
        and bool(error["message"])
        and (error["target"] is None or isinstance(error["target"], str))
        and (code is None or error["code"] == code)
    )


def is_mlflow_error(url: str, body: Any, code: str | None = None) -> bool:
    """Under /mlflow/ errors take MLflow's shape, which its client reads (server/errors.py)."""
    return (
        url.startswith("/mlflow/")
        and isinstance(body, dict)
        and set(body) == {"error_code", "message"}
        and isinstance(body["error_code"], str)
        and isinstance(body["message"], str)
        and bool(body["message"])
        and (code is None or body["error_code"] == code)
    )


@pytest.fixture
def app(platform: Platform, tmp_path: Path) -> FastAPI:
    return create_app(Settings(home=tmp_path / "home", database_url=platform.db.url), platform)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def token(platform: Platform, admin: Principal) -> str:
    return identity.create_token(platform.db, admin.id, "route-table", 1)[1]


# the table


def test_every_protected_route_declares_exactly_one_action(app: FastAPI) -> None:
    table = route_table(app)
    assert len(table) >= 20, table
    paths = {path for _, path, _, _ in table}
    assert "/api/v1/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}" in (
        paths
    )


def test_every_action_is_well_formed(app: FastAPI) -> None:
    bad = [(m, p, a) for m, p, a, _ in route_table(app) if not ACTION.fullmatch(a)]
    assert not bad, bad


def test_actions_agree_with_methods(app: FastAPI) -> None:
    problems = []
    for method, path, action, filtered in route_table(app):
        verb = action.rsplit("/", 1)[-1].lower()
        if action == "self/action":
            continue
        if method == "GET" and verb not in ("read", "list"):
            problems.append(f"GET {path} declares {action}")
        if method == "DELETE" and verb != "delete":
            problems.append(f"DELETE {path} declares {action}")
        if filtered and method != "GET":
            problems.append(f"{method} {path} filters its answer but is not a read")
    assert not problems, "\n".join(problems)


def test_workspace_routes_declare_workspace_actions(app: FastAPI) -> None:
    problems = [
        f"{m} {p}: {a}"
        for m, p, a, _ in route_table(app)
        if "{workspaceName}" in p and not a.lower().startswith("workspaces/")
    ]
    assert not problems, "\n".join(problems)


def test_public_paths_exist(app: FastAPI) -> None:
    known = {r.path for r in api_routes(app)} | {getattr(r, "path", None) for r in app.routes}
    assert known >= PUBLIC_PATHS, PUBLIC_PATHS - known
    for route in api_routes(app):
        if route.path in PUBLIC_PATHS:
            assert not list(authorizers(route.dependant)), f"public {route.path} declares an action"


def test_the_walker_finds_a_route_without_an_action(app: FastAPI) -> None:
    @app.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(AssertionError, match="/api/v1/forgotten has 0 Authorize"):
        route_table(app)


# what a caller without a token hears


def test_every_protected_route_answers_401_without_a_token(app: FastAPI, client: TestClient) -> None:
    requests = requests_of(app)
    assert requests
    for method, url in requests:
        reply = client.request(method, url, json={} if method in ("POST", "PUT", "PATCH") else None)
        assert reply.status_code == 401, (method, url, reply.status_code, reply.text)
        assert reply.headers.get("www-authenticate") == "Bearer", (method, url)
        body = reply.json()
        assert is_error_body(body, "AuthenticationFailed") or is_mlflow_error(url, body, "UNAUTHENTICATED"), (
            method,
            url,
            reply.text,
        )


@pytest.mark.parametrize(
    "header",
    ["Bearer mly_not-a-token", "Bearer not-even-prefixed", "Basic YWRtaW46cGFzc3dvcmQ=", "Bearer", "mly_raw"],
)
def test_bad_credentials_answer_401(client: TestClient, header: str) -> None:
    reply = client.get("/api/v1/subscriptions", headers={"Authorization": header})
    assert reply.status_code == 401, reply.text
    assert reply.headers.get("www-authenticate") == "Bearer"
    assert is_error_body(reply.json(), "AuthenticationFailed")


def test_no_route_fails_for_an_authenticated_caller(app: FastAPI, client: TestClient, token: str) -> None:
    """With a good token and names that do not exist, every route refuses cleanly (never a 5xx)."""
    for method, url in requests_of(app):
        reply = client.request(
            method,
            url,
            json={} if method in ("POST", "PUT", "PATCH") else None,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert reply.status_code < 500, (method, url, reply.status_code, reply.text)
        if reply.status_code >= 400:
            assert is_error_body(reply.json()) or is_mlflow_error(url, reply.json()), (method, url, reply.text)


def test_public_routes_answer_without_a_token(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


# unknown paths and fields


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/nothing",
        "/api/v2/subscriptions",
        "/api/v1/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1/nothing",
        "/nothing",
    ],
)
def test_an_unknown_path_is_a_404_with_the_error_body(client: TestClient, url: str) -> None:
    reply = client.get(url)
    assert reply.status_code == 404
    assert is_error_body(reply.json(), "NotFound"), reply.text
    assert url in reply.json()["error"]["message"]


def test_a_wrong_method_is_refused_with_the_error_body(client: TestClient) -> None:
    reply = client.delete("/health")
    assert reply.status_code == 405
    assert is_error_body(reply.json(), "MethodNotAllowed"), reply.text


def test_an_unknown_field_is_a_400_naming_it(client: TestClient, token: str) -> None:
    reply = client.post(
        "/api/v1/subscriptions",
        json={"subscriptionId": "sub1", "colour": "red"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert is_error_body(body, "ValidationError"), body
    assert "colour" in body["error"]["message"]
    assert body["error"]["target"] == "colour"
    # and nothing was created
    listed = client.get("/api/v1/subscriptions", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200 and listed.json() == []


def test_an_unknown_field_on_a_public_route(client: TestClient) -> None:
    reply = client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "remember": True})
    assert reply.status_code == 400
    body = reply.json()
    assert is_error_body(body, "ValidationError")
    assert "remember" in body["error"]["message"] and body["error"]["target"] == "remember"


def test_a_missing_field_is_a_400_naming_it(client: TestClient, token: str) -> None:
    reply = client.post("/api/v1/me/tokens", json={}, headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 400
    body = reply.json()
    assert is_error_body(body, "ValidationError")
    assert body["error"]["target"] == "name"


def test_a_body_that_is_not_json(client: TestClient, token: str) -> None:
    reply = client.post(
        "/api/v1/subscriptions",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert is_error_body(reply.json(), "ValidationError"), reply.text


def test_a_body_that_is_not_json_is_named_as_the_body(client: TestClient, token: str) -> None:
    reply = client.post(
        "/api/v1/subscriptions",
        content=b"{not json",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert reply.json()["error"]["target"] == "body"
