"""HTTP behaviour of the real server (``live_server``): auth, error bodies, status codes.

Every error answer has the body ``{"error": {"code", "message", "target"}}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.fixtures.server import RunningServer

API = "/api/v1"


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert the status and the error body's shape; return ``body["error"]``."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "target"}, error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"], error
    assert error["target"] is None or isinstance(error["target"], str), error
    return dict(error)


@pytest.fixture
def client(live_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=live_server.endpoint,
        headers={"Authorization": f"Bearer {live_server.token}"},
        timeout=30,
        trust_env=False,
    ) as c:
        yield c


@pytest.fixture
def anonymous(live_server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.endpoint, timeout=30, trust_env=False) as c:
        yield c


@pytest.fixture
def group(client: httpx.Client) -> Iterator[str]:
    """A fresh resource group in a fresh subscription: ``/subscriptions/{sub}/resourceGroups/{rg}``."""
    sub = f"http-{uuid.uuid4().hex[:10]}"
    assert client.post(f"{API}/subscriptions", json={"subscriptionId": sub}).status_code == 201
    path = f"{API}/subscriptions/{sub}/resourceGroups/rg"
    assert client.post(f"{API}/subscriptions/{sub}/resourceGroups", json={"name": "rg"}).status_code == 201
    yield path
    client.delete(path)
    client.delete(f"{API}/subscriptions/{sub}")


def workspace_names(client: httpx.Client, group: str) -> list[str]:
    listed = client.get(f"{group}/workspaces")
    assert listed.status_code == 200, listed.text
    return sorted(w["name"] for w in listed.json())


# -- without auth ---------------------------------------------------------------------------


def test_health_answers_without_auth(anonymous: httpx.Client) -> None:
    answer = anonymous.get("/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert isinstance(body["version"], str) and body["version"]


def test_openapi_document_answers_without_auth(anonymous: httpx.Client) -> None:
    answer = anonymous.get(f"{API}/openapi.json")
    assert answer.status_code == 200
    assert f"{API}/subscriptions/{{subscriptionId}}" in answer.json()["paths"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer mly_not-a-real-token", "Bearer not-even-a-mlyard-token", "Basic YWRtaW46cGFzc3dvcmQ=", "Bearer"],
    ids=["missing", "unknown-token", "foreign-token", "basic-scheme", "empty-bearer"],
)
def test_401_without_a_valid_token(anonymous: httpx.Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    error = error_of(anonymous.get(f"{API}/workspaces", headers=headers), 401)
    assert error["code"] == "AuthenticationFailed"
    assert anonymous.get(f"{API}/workspaces", headers=headers).headers.get("www-authenticate") == "Bearer"


def test_401_on_a_wrong_password(anonymous: httpx.Client) -> None:
    answer = anonymous.post(f"{API}/auth/login", json={"username": "admin", "password": "not-the-password"})
    error = error_of(answer, 401)
    assert error["code"] == "AuthenticationFailed"
    assert "not-the-password" not in answer.text


def test_login_gives_a_working_token(anonymous: httpx.Client) -> None:
    from tests.fixtures.server import ADMIN_PASSWORD

    answer = anonymous.post(f"{API}/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    me = anonymous.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["name"] == "admin"


# -- 403 ------------------------------------------------------------------------------------


@pytest.fixture
def nobody(live_server: RunningServer, client: httpx.Client, anonymous: httpx.Client) -> Iterator[httpx.Client]:
    """A signed-in user who holds no role anywhere."""
    username = f"nobody-{uuid.uuid4().hex[:8]}"
    password = "a-long-enough-password"
    made = client.post(f"{API}/users", json={"username": username, "password": password})
    assert made.status_code == 201, made.text
    signed_in = anonymous.post(f"{API}/auth/login", json={"username": username, "password": password})
    assert signed_in.status_code == 201, signed_in.text
    with httpx.Client(
        base_url=live_server.endpoint,
        headers={"Authorization": f"Bearer {signed_in.json()['token']}"},
        timeout=30,
        trust_env=False,
    ) as c:
        yield c
    client.delete(f"{API}/users/{username}")


def test_403_for_a_user_without_a_role(client: httpx.Client, nobody: httpx.Client) -> None:
    subscriptions_before = client.get(f"{API}/subscriptions").json()
    error = error_of(nobody.post(f"{API}/subscriptions", json={"subscriptionId": "not-allowed"}), 403)
    assert error["code"] == "AuthorizationFailed"
    assert error["target"] and error["target"] in error["message"]
    assert "'/'" in error["message"] or "scope" in error["message"]
    assert client.get(f"{API}/subscriptions").json() == subscriptions_before


def test_what_a_user_may_not_see_is_404_not_403(client: httpx.Client, nobody: httpx.Client) -> None:
    """Beyond their reach, a user learns nothing about what exists: the scope's own 404."""
    error = error_of(nobody.get(f"{API}/subscriptions/default/resourceGroups/default/workspaces/default"), 404)
    assert error["code"] == "WorkspaceNotFound"
    error = error_of(nobody.delete(f"{API}/subscriptions/default/resourceGroups/default/workspaces/default"), 404)
    assert error["code"] == "WorkspaceNotFound"
    assert nobody.get(f"{API}/workspaces").json() == []
    assert client.get(f"{API}/subscriptions/default/resourceGroups/default/workspaces/default").status_code == 200


# -- 400 ------------------------------------------------------------------------------------


def test_malformed_json_is_400_validation_error(client: httpx.Client, group: str) -> None:
    before = workspace_names(client, group)
    answer = client.post(
        f"{group}/workspaces", content=b'{"name": "half-a-body', headers={"Content-Type": "application/json"}
    )
    error = error_of(answer, 400)
    assert error["code"] == "ValidationError"
    assert workspace_names(client, group) == before


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"just a string"',
        b"{}",
        b'{"name": 42}',
        b'{"name": "ok-name", "unknownField": 1}',
        b'{"name": "ok-name", "tags": ["not", "a", "map"]}',
    ],
    ids=["array", "string", "empty-object", "wrong-type", "unknown-field", "tags-not-a-map"],
)
def test_wrong_body_is_400_validation_error(client: httpx.Client, group: str, body: bytes) -> None:
    before = workspace_names(client, group)
    answer = client.post(f"{group}/workspaces", content=body, headers={"Content-Type": "application/json"})
    error = error_of(answer, 400)
    assert error["code"] == "ValidationError"
    assert workspace_names(client, group) == before


def test_invalid_query_parameter_is_400(client: httpx.Client, group: str) -> None:
    client.post(f"{group}/workspaces", json={"name": "keep-me"})
    answer = client.delete(f"{group}/workspaces/keep-me", params={"deleteDependentResources": "perhaps"})
    error = error_of(answer, 400)
    assert error["code"] == "ValidationError"
    assert error["target"] == "deleteDependentResources"
    assert workspace_names(client, group) == ["keep-me"]


def test_name_too_long_is_400_invalid_name_quoting_the_rule(client: httpx.Client, group: str) -> None:
    before = workspace_names(client, group)
    name = "w" * 34
    error = error_of(client.post(f"{group}/workspaces", json={"name": name}), 400)
    assert error["code"] == "InvalidName"
    assert error["target"] == "workspaceName"
    assert name in error["message"]
    assert "3 to 33" in error["message"]
    assert workspace_names(client, group) == before


@pytest.mark.parametrize("name", ["ab", "-starts-with-hyphen", "has space", "dots.not.allowed", "ünïcode"])
def test_invalid_workspace_names_are_400_invalid_name(client: httpx.Client, group: str, name: str) -> None:
    error = error_of(client.post(f"{group}/workspaces", json={"name": name}), 400)
    assert error["code"] == "InvalidName"
    assert "letters, digits, hyphens or underscores" in error["message"]
    assert workspace_names(client, group) == []


def test_a_very_long_name_is_400_too(client: httpx.Client, group: str) -> None:
    """Past the body's own limit (200) the schema refuses it before the naming rule does."""
    error = error_of(client.post(f"{group}/workspaces", json={"name": "w" * 500}), 400)
    assert error["code"] in ("ValidationError", "InvalidName")
    assert workspace_names(client, group) == []


def test_invalid_tags_are_400(client: httpx.Client, group: str) -> None:
    assert client.post(f"{group}/workspaces", json={"name": "tagged", "tags": {"a": "1"}}).status_code == 201
    too_many = {f"k{i}": "v" for i in range(51)}
    error = error_of(client.patch(f"{group}/workspaces/tagged", json={"tags": too_many}), 400)
    assert error["code"] == "ValidationError" and error["target"] == "tags"
    shown = client.get(f"{group}/workspaces/tagged").json()
    assert shown["tags"] == {"a": "1"}


# -- 404, 405 -------------------------------------------------------------------------------


def test_unknown_workspace_is_404_naming_it(client: httpx.Client, group: str) -> None:
    error = error_of(client.get(f"{group}/workspaces/no-such-workspace"), 404)
    assert error["code"] == "WorkspaceNotFound"
    assert error["target"] == "workspaceName"
    assert "'no-such-workspace'" in error["message"]


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_writing_an_unknown_workspace_is_404(client: httpx.Client, group: str, method: str) -> None:
    kwargs: dict[str, Any] = {"json": {"tags": {"a": "b"}}} if method == "PATCH" else {}
    error = error_of(client.request(method, f"{group}/workspaces/ghost-ws", **kwargs), 404)
    assert error["code"] == "WorkspaceNotFound"
    assert "'ghost-ws'" in error["message"]


def test_unknown_resource_group_is_404(client: httpx.Client, group: str) -> None:
    sub_path = group.rsplit("/resourceGroups/", 1)[0]
    error = error_of(client.post(f"{sub_path}/resourceGroups/nope/workspaces", json={"name": "abc"}), 404)
    assert error["code"] == "ResourceGroupNotFound"
    assert "'nope'" in error["message"]


def test_unknown_subscription_is_404(client: httpx.Client) -> None:
    error = error_of(client.get(f"{API}/subscriptions/no-such-sub-{uuid.uuid4().hex[:6]}"), 404)
    assert error["code"] == "SubscriptionNotFound"
    assert error["target"] == "subscriptionId"


def test_unknown_route_is_404_with_the_error_body(client: httpx.Client) -> None:
    error = error_of(client.get(f"{API}/no/such/route"), 404)
    assert error["code"] == "NotFound"
    assert "/api/v1/no/such/route" in error["message"]


def test_wrong_method_is_405_with_the_error_body(client: httpx.Client) -> None:
    error = error_of(client.put(f"{API}/workspaces", json={}), 405)
    assert error["code"] == "MethodNotAllowed"


# -- 409 ------------------------------------------------------------------------------------


def test_duplicate_workspace_is_409(client: httpx.Client, group: str) -> None:
    first = client.post(f"{group}/workspaces", json={"name": "twin", "tags": {"first": "yes"}})
    assert first.status_code == 201, first.text
    error = error_of(client.post(f"{group}/workspaces", json={"name": "twin", "tags": {"second": "yes"}}), 409)
    assert error["code"] == "WorkspaceAlreadyExists"
    assert error["target"] == "workspaceName"
    assert "'twin'" in error["message"]
    # Names are unique without regard to case, as in Azure.
    error = error_of(client.post(f"{group}/workspaces", json={"name": "TWIN"}), 409)
    assert error["code"] == "WorkspaceAlreadyExists"
    assert workspace_names(client, group) == ["twin"]
    kept = client.get(f"{group}/workspaces/twin").json()
    assert kept["workspaceId"] == first.json()["workspaceId"]
    assert kept["tags"] == {"first": "yes"}


def test_duplicate_subscription_and_group_are_409(client: httpx.Client, group: str) -> None:
    sub = group.split("/")[4]
    error = error_of(client.post(f"{API}/subscriptions", json={"subscriptionId": sub}), 409)
    assert error["code"] == "SubscriptionAlreadyExists"
    error = error_of(client.post(f"{API}/subscriptions/{sub}/resourceGroups", json={"name": "RG"}), 409)
    assert error["code"] == "ResourceGroupAlreadyExists"


def test_deleting_a_non_empty_subscription_is_409(client: httpx.Client, group: str) -> None:
    sub = group.split("/")[4]
    error = error_of(client.delete(f"{API}/subscriptions/{sub}"), 409)
    assert error["code"] == "ResourceNotEmpty"
    assert client.get(group).status_code == 200


# -- nothing lost ---------------------------------------------------------------------------


def test_bad_requests_lose_nothing(client: httpx.Client, group: str) -> None:
    for name in ("alpha", "beta", "gamma"):
        assert client.post(f"{group}/workspaces", json={"name": name, "tags": {"n": name}}).status_code == 201
    before = client.get(f"{group}/workspaces").json()
    everywhere_before = client.get(f"{API}/workspaces").json()
    bad: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{group}/workspaces", {"content": b"{nope", "headers": {"Content-Type": "application/json"}}),
        ("POST", f"{group}/workspaces", {"json": {"name": "alpha"}}),
        ("POST", f"{group}/workspaces", {"json": {"name": "x" * 40}}),
        ("POST", f"{group}/workspaces", {"json": {"name": "delta", "description": "d" * 6000}}),
        ("PATCH", f"{group}/workspaces/alpha", {"json": {"tags": {"": "empty key"}}}),
        ("PATCH", f"{group}/workspaces/alpha", {"json": {"location": "elsewhere"}}),
        ("PATCH", f"{group}/workspaces/alpha", {"content": b"[", "headers": {"Content-Type": "application/json"}}),
        ("DELETE", f"{group}/workspaces/alpha", {"params": {"deleteDependentResources": "maybe"}}),
        ("DELETE", f"{group}/workspaces/nothing-here", {}),
        ("DELETE", f"{API}/subscriptions/{group.split('/')[4]}", {}),
        ("GET", f"{API}/workspaces", {"headers": {"Authorization": "Bearer mly_forged"}}),
        ("DELETE", f"{group}/workspaces/beta", {"headers": {"Authorization": "Bearer mly_forged"}}),
    ]
    for method, path, kwargs in bad:
        answer = client.request(method, path, **kwargs)
        assert 400 <= answer.status_code < 500, f"{method} {path}: {answer.status_code} {answer.text}"
        error_of(answer, answer.status_code)
    assert client.get(f"{group}/workspaces").json() == before
    assert client.get(f"{API}/workspaces").json() == everywhere_before
