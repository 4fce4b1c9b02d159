"""The SDK's ``Keyvault`` against a real server, used as in an Azure ML v1 script."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from tests.fixtures.server import RunningServer

from mlyard import AuthorizationError, Keyvault, TokenAuthentication, ValidationError, Workspace
from mlyard.core.entities.identity import PrincipalType
from mlyard.core.errors import InvalidName, SecretNotFound
from mlyard.core.scopes import Scope
from mlyard.services import identity, rbac
from mlyard.store.database import Database

SUB = "default"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = unique("vault")
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


@pytest.fixture
def kv(ws: Workspace) -> Keyvault:
    return ws.get_default_keyvault()


def test_set_get_and_versions(kv: Keyvault, ws: Workspace) -> None:
    assert repr(kv) == f"Keyvault(workspace='{ws.name}')"
    made = kv.set_secret("db-password", "first-value")
    assert (made["name"], made["version"]) == ("db-password", 1) and "value" not in made
    kv.set_secret("DB-Password", "second-value")
    assert kv.get_secret("db-password") == "second-value"
    assert kv.get_secret("db-password", version=1) == "first-value"
    details = kv.get_secret_details("db-password")
    assert (details["name"], details["value"], details["version"]) == ("DB-Password", "second-value", 2)
    assert [v["version"] for v in kv.list_secret_versions("db-password")] == [1, 2]
    with pytest.raises(SecretNotFound, match="no version 7"):
        kv.get_secret("db-password", version=7)


def test_list_secrets_answers_names_and_versions_never_values(kv: Keyvault) -> None:
    kv.set_secrets({"b-key": "value-of-b", "a-key": "value-of-a"})
    kv.set_secret("b-key", "value-of-b-2")
    listed = kv.list_secrets()
    assert [(s["name"], s["version"]) for s in listed] == [("a-key", 1), ("b-key", 2)]
    assert all("value" not in s for s in listed)
    assert "value-of" not in str(listed)


def test_get_secrets_answers_a_dict_or_names_every_missing_secret(kv: Keyvault) -> None:
    kv.set_secrets({"user": "alice", "pass": "s3cret"})
    assert kv.get_secrets(["user", "PASS"]) == {"user": "alice", "PASS": "s3cret"}
    with pytest.raises(SecretNotFound) as info:
        kv.get_secrets(["user", "missing-one", "missing-two"])
    assert "'missing-one', 'missing-two'" in info.value.message


def test_delete_secret_then_set_again_starts_a_new_version(kv: Keyvault) -> None:
    kv.set_secret("rotated", "old")
    gone = kv.delete_secret("rotated")
    assert (gone["name"], gone["deletedVersions"]) == ("rotated", 1)
    with pytest.raises(SecretNotFound, match="'rotated'"):
        kv.get_secret("rotated")
    assert kv.list_secrets() == []
    assert kv.set_secret("rotated", "new")["version"] == 2
    assert kv.get_secret("rotated") == "new"
    kv.set_secrets({"x1": "1", "x2": "2"})
    kv.delete_secrets(["x1", "x2"])
    assert [s["name"] for s in kv.list_secrets()] == ["rotated"]
    with pytest.raises(SecretNotFound):
        kv.delete_secret("x1")


def test_a_batch_with_one_bad_secret_sets_none(kv: Keyvault) -> None:
    with pytest.raises(ValidationError, match="'too-big'"):
        kv.set_secrets({"fine": "ok", "too-big": "x" * (25 * 1024 + 1)})
    with pytest.raises(InvalidName, match="letters, digits or hyphens"):
        kv.set_secrets({"fine": "ok", "not_ok": "x"})
    assert kv.list_secrets() == []


def test_bad_arguments_are_refused_before_any_request(kv: Keyvault) -> None:
    with pytest.raises(InvalidName):
        kv.set_secret("has space", "v")
    with pytest.raises(ValidationError, match="must be a string"):
        kv.set_secret("number", 42)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="dict"):
        kv.set_secrets([("a", "b")])  # type: ignore[arg-type]


def test_values_are_never_cached_by_clients(kv: Keyvault, ws: Workspace, server_env: RunningServer) -> None:
    kv.set_secret("cached", "value")
    with server_env.client() as client:
        reply = client.get(ws._path + "/secrets/cached")
        assert reply.status_code == 200 and reply.headers["cache-control"] == "no-store"
        assert set(reply.json()) == {"name", "value", "version", "createdAt"}
        batch = client.post(ws._path + "/secrets/batchGet", json={"names": ["cached"]})
        assert batch.headers["cache-control"] == "no-store"


@pytest.fixture
def reader_token(server_env: RunningServer, ws: Workspace) -> Iterator[str]:
    """A user holding Reader on the workspace only, made in the live server's own database."""
    db = Database(f"sqlite:///{server_env.home / 'mlyard.db'}")
    try:
        user = identity.create_user(db, unique("reader"), "a-long-reader-password")
        rbac.assign_role(db, user.id, PrincipalType.USER, "Reader", ws_scope(ws), created_by=None)
        yield identity.create_token(db, user.id, "vault-test", 1)[1]
    finally:
        db.dispose()


def ws_scope(ws: Workspace) -> Scope:
    return Scope(ws.subscription_id, ws.resource_group, ws.name)


def test_a_reader_lists_names_but_never_reads_values(kv: Keyvault, ws: Workspace, reader_token: str) -> None:
    kv.set_secret("api-key", "only-for-readers-of-values")
    as_reader = Workspace(
        ws.subscription_id, ws.resource_group, ws.name, auth=TokenAuthentication(reader_token), endpoint=ws.endpoint
    )
    vault = as_reader.get_default_keyvault()
    assert [s["name"] for s in vault.list_secrets()] == ["api-key"]
    assert [v["version"] for v in vault.list_secret_versions("api-key")] == [1]
    for read in (
        lambda: vault.get_secret("api-key"),
        lambda: vault.get_secret("api-key", version=1),
        lambda: vault.get_secrets(["api-key"]),
    ):
        with pytest.raises(AuthorizationError, match="workspaces/secrets/read") as info:
            read()
        assert "only-for-readers" not in info.value.message
    with pytest.raises(AuthorizationError, match="workspaces/secrets/write"):
        vault.set_secret("api-key", "overwritten")
    with pytest.raises(AuthorizationError, match="workspaces/secrets/delete"):
        vault.delete_secret("api-key")
    assert kv.get_secret("api-key") == "only-for-readers-of-values"


def test_without_a_token_nothing_is_answered(ws: Workspace, server_env: RunningServer) -> None:
    reply = httpx.get(server_env.endpoint + ws._path + "/secrets", timeout=10)
    assert reply.status_code == 401
