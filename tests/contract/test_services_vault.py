"""The secrets vault through its service, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select, update

from mlyard.core.entities.hierarchy import ResourceStatus, SupportingKind
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    InvalidName,
    MasterKeyError,
    SecretNotFound,
    ValidationError,
    VaultIntegrityError,
    WorkspaceNotFound,
)
from mlyard.core.scopes import Scope
from mlyard.core.settings import Settings
from mlyard.services import subscriptions, vault, workspaces
from mlyard.services.platform import Platform
from mlyard.store.hierarchy import HierarchyRepository
from mlyard.store.vault import SecretRow, VaultKeyRow

WS = Scope("sub1", "rg1", "ws1")


@pytest.fixture
def ws(platform: Platform, admin: Principal) -> Scope:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    return WS


def rows(platform: Platform, table: type[SecretRow] | type[VaultKeyRow], vault_id: str) -> int:
    with platform.db.read() as session:
        return len(list(session.scalars(select(table).where(table.vault_id == vault_id))))


# versions


def test_each_set_adds_a_version_and_reads_answer_the_newest(platform: Platform, admin: Principal, ws: Scope) -> None:
    first = vault.set_secret(platform, admin, ws, "Api-Key", "one")
    second = vault.set_secret(platform, admin, ws, "api-key", "two")
    assert (first.name, first.version, first.created_by) == ("Api-Key", 1, admin.id)
    assert (second.name, second.version) == ("api-key", 2)
    newest = vault.get_secret(platform, ws, "API-KEY")
    assert (newest.name, newest.version, newest.value) == ("api-key", 2, "two")
    assert vault.get_secret(platform, ws, "api-key", 1).value == "one"
    assert "'two'" not in repr(newest) and repr(newest).startswith("Secret(name='api-key', version=2")
    with pytest.raises(SecretNotFound, match="has no version 3"):
        vault.get_secret(platform, ws, "api-key", 3)
    with pytest.raises(ValidationError, match="whole number from 1"):
        vault.get_secret(platform, ws, "api-key", 0)


def test_listing_answers_names_and_newest_versions_never_values(
    platform: Platform, admin: Principal, ws: Scope
) -> None:
    vault.set_secret(platform, admin, ws, "b-secret", "value-b1")
    vault.set_secret(platform, admin, ws, "a-secret", "value-a1")
    vault.set_secret(platform, admin, ws, "b-secret", "value-b2")
    listed = vault.list_secrets(platform, ws)
    assert [(s.name, s.version) for s in listed] == [("a-secret", 1), ("b-secret", 2)]
    assert not any(hasattr(s, "value") for s in listed)
    versions = vault.list_versions(platform, ws, "B-SECRET")
    assert [v.version for v in versions] == [1, 2]
    with pytest.raises(SecretNotFound, match="'nothing'"):
        vault.list_versions(platform, ws, "nothing")


def test_an_empty_vault_lists_nothing(platform: Platform, ws: Scope) -> None:
    assert vault.list_secrets(platform, ws) == []
    with pytest.raises(SecretNotFound):
        vault.get_secret(platform, ws, "missing")


def test_a_missing_workspace_is_the_workspace_s_404(platform: Platform, admin: Principal, ws: Scope) -> None:
    with pytest.raises(WorkspaceNotFound):
        vault.set_secret(platform, admin, Scope("sub1", "rg1", "nope"), "a", "b")


def test_workspaces_have_separate_vaults(platform: Platform, admin: Principal, ws: Scope) -> None:
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws2")
    other = Scope("sub1", "rg1", "ws2")
    vault.set_secret(platform, admin, ws, "shared-name", "in-ws1")
    vault.set_secret(platform, admin, other, "shared-name", "in-ws2")
    assert vault.get_secret(platform, ws, "shared-name").value == "in-ws1"
    assert vault.get_secret(platform, other, "shared-name").value == "in-ws2"
    assert vault.get_secret(platform, other, "shared-name").version == 1


# soft deletion


def test_delete_hides_every_version_and_a_new_set_starts_the_next_one(
    platform: Platform, admin: Principal, ws: Scope
) -> None:
    vault.set_secret(platform, admin, ws, "token", "v1")
    vault.set_secret(platform, admin, ws, "token", "v2")
    gone = vault.delete_secret(platform, ws, "TOKEN")
    assert (gone.name, gone.versions) == ("token", 2)
    for version in (None, 1, 2):
        with pytest.raises(SecretNotFound):
            vault.get_secret(platform, ws, "token", version)
    assert vault.list_secrets(platform, ws) == []
    with pytest.raises(SecretNotFound):
        vault.delete_secret(platform, ws, "token")
    again = vault.set_secret(platform, admin, ws, "token", "v3")
    assert again.version == 3
    assert [v.version for v in vault.list_versions(platform, ws, "token")] == [3]
    with pytest.raises(SecretNotFound):
        vault.get_secret(platform, ws, "token", 1)
    vault_id = vault.vault_of(platform, ws).id
    assert rows(platform, SecretRow, vault_id) == 3  # soft: the deleted versions stay, encrypted


# batches


def test_set_secrets_is_one_transaction(platform: Platform, admin: Principal, ws: Scope) -> None:
    made = vault.set_secrets(platform, admin, ws, {"one": "1", "two": "2"})
    assert [(m.name, m.version) for m in made] == [("one", 1), ("two", 1)]
    with pytest.raises(InvalidName):
        vault.set_secrets(platform, admin, ws, {"one": "new", "bad_name": "x"})
    with pytest.raises(ValidationError, match="'three'"):
        vault.set_secrets(platform, admin, ws, {"one": "new", "three": "x" * (vault.MAX_VALUE_BYTES + 1)})
    with pytest.raises(ValidationError, match="ignore case"):
        vault.set_secrets(platform, admin, ws, {"Dup": "a", "dup": "b"})
    with pytest.raises(ValidationError, match="at least one"):
        vault.set_secrets(platform, admin, ws, {})
    with pytest.raises(ValidationError, match="at most 200"):
        vault.set_secrets(platform, admin, ws, {f"s{i}": "v" for i in range(201)})
    assert [(s.name, s.version) for s in vault.list_secrets(platform, ws)] == [("one", 1), ("two", 1)]


def test_get_secrets_is_all_or_nothing_and_lists_what_is_missing(
    platform: Platform, admin: Principal, ws: Scope
) -> None:
    vault.set_secrets(platform, admin, ws, {"alpha": "a", "beta": "b"})
    vault.set_secret(platform, admin, ws, "beta", "b2")
    found = vault.get_secrets(platform, ws, ["beta", "ALPHA", "beta"])
    assert [(s.name, s.value, s.version) for s in found] == [("beta", "b2", 2), ("alpha", "a", 1)]
    with pytest.raises(SecretNotFound) as info:
        vault.get_secrets(platform, ws, ["alpha", "gamma", "delta"])
    assert "'gamma', 'delta'" in info.value.message and "'alpha'" not in info.value.message
    vault.delete_secret(platform, ws, "beta")
    with pytest.raises(SecretNotFound, match="'beta'"):
        vault.get_secrets(platform, ws, ["alpha", "beta"])
    with pytest.raises(ValidationError, match="at least one"):
        vault.get_secrets(platform, ws, [])


# names and values


def test_names_follow_azure_key_vault_s_rule(platform: Platform, admin: Principal, ws: Scope) -> None:
    for name in ("a", "A-1", "x" * 127, "0-0", "-leading", "trailing-"):
        assert vault.set_secret(platform, admin, ws, name, "v").name == name
    for name in ("", "x" * 128, "under_score", "a b", "a.b", "a/b", "ä", "a\n"):
        with pytest.raises(InvalidName, match="1 to 127 letters, digits or hyphens"):
            vault.set_secret(platform, admin, ws, name, "v")
        with pytest.raises(InvalidName):
            vault.get_secret(platform, ws, name)
        with pytest.raises(InvalidName):
            vault.delete_secret(platform, ws, name)


def test_values_up_to_25_kib_of_utf8(platform: Platform, admin: Principal, ws: Scope) -> None:
    limit = vault.MAX_VALUE_BYTES
    vault.set_secret(platform, admin, ws, "full", "x" * limit)
    assert vault.get_secret(platform, ws, "full").value == "x" * limit
    with pytest.raises(ValidationError) as info:
        vault.set_secret(platform, admin, ws, "over", "secret-y" * (limit // 8) + "z")
    assert f"{limit + 1} bytes" in info.value.message and "secret-y" not in info.value.message
    wide = "€" * (limit // 3 + 1)  # three bytes each in UTF-8: fewer characters than the limit, more bytes
    with pytest.raises(ValidationError, match="25 KiB"):
        vault.set_secret(platform, admin, ws, "wide", wide)
    with pytest.raises(ValidationError, match="must be a string"):
        vault.set_secret(platform, admin, ws, "number", 5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="lone surrogate"):
        vault.set_secret(platform, admin, ws, "broken", "\ud800")
    for value in ("", "ünïcødé ✓ 🔑", "line one\nline two\r\n\x00"):
        vault.set_secret(platform, admin, ws, "kinds", value)
        assert vault.get_secret(platform, ws, "kinds").value == value


# encryption at rest


def test_values_are_stored_encrypted(platform: Platform, admin: Principal, ws: Scope) -> None:
    value = "canary-value-" + os.urandom(8).hex()
    vault.set_secret(platform, admin, ws, "canary", value)
    with platform.db.read() as session:
        row = session.scalars(select(SecretRow)).one()
        key = session.scalars(select(VaultKeyRow)).one()
    assert value.encode() not in row.ciphertext and len(row.nonce) == 12
    assert (key.key_version, row.key_version) == (1, 1) and len(key.wrapped_key) == 32 + 16
    if platform.db.is_sqlite:
        path = Path(platform.db.url.removeprefix("sqlite:///"))
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                assert value.encode() not in file.read_bytes()


def test_a_ciphertext_moved_onto_another_secret_is_refused(platform: Platform, admin: Principal, ws: Scope) -> None:
    vault.set_secrets(platform, admin, ws, {"source": "the-source-value", "target": "the-target-value"})
    with platform.db.write() as session:
        source = session.scalars(select(SecretRow).where(SecretRow.name == "source")).one()
        session.execute(
            update(SecretRow).where(SecretRow.name == "target").values(ciphertext=source.ciphertext, nonce=source.nonce)
        )
    with pytest.raises(VaultIntegrityError) as info:
        vault.get_secret(platform, ws, "target")
    assert "the-source-value" not in info.value.message
    assert vault.get_secret(platform, ws, "source").value == "the-source-value"


def test_another_master_key_cannot_read_the_vault(platform: Platform, admin: Principal, ws: Scope) -> None:
    vault.set_secret(platform, admin, ws, "sealed", "value")
    other_key = base64.b64encode(os.urandom(32)).decode()
    other = replace(platform, settings=Settings(home=platform.settings.home, master_key=other_key))
    with pytest.raises(MasterKeyError, match="master key"):
        vault.get_secret(other, ws, "sealed")
    with pytest.raises(MasterKeyError):
        vault.set_secret(other, admin, ws, "sealed", "new")
    assert vault.get_secret(platform, ws, "sealed").version == 1


def test_concurrent_sets_get_distinct_versions(platform: Platform, admin: Principal, ws: Scope) -> None:
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for j in range(3):
                vault.set_secret(platform, admin, ws, "busy", f"{i}-{j}")
        except BaseException as exc:  # reported below: a thread's exception would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [v.version for v in vault.list_versions(platform, ws, "busy")] == list(range(1, 19))


# the workspace's deletion


def test_deleting_a_workspace_keeps_its_vault_and_secrets_unless_asked(
    platform: Platform, admin: Principal, ws: Scope
) -> None:
    vault.set_secret(platform, admin, ws, "kept", "value")
    vault_id = vault.vault_of(platform, ws).id
    deleted = workspaces.delete_workspace(platform, "sub1", "rg1", "ws1")
    assert [r.kind for r in deleted.kept if r.id == vault_id] == [SupportingKind.VAULT]
    with platform.db.read() as session:
        orphans = {r.id: r for r in HierarchyRepository(session).list_orphaned_resources()}
    assert orphans[vault_id].status is ResourceStatus.ORPHANED
    assert rows(platform, SecretRow, vault_id) == 1 and rows(platform, VaultKeyRow, vault_id) == 1

    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    assert vault.list_secrets(platform, ws) == []  # a new workspace of that name has a new vault


def test_deleting_a_workspace_with_its_resources_removes_secrets_and_key(
    platform: Platform, admin: Principal, ws: Scope
) -> None:
    vault.set_secrets(platform, admin, ws, {"one": "1", "two": "2"})
    vault_id = vault.vault_of(platform, ws).id
    workspaces.delete_workspace(platform, "sub1", "rg1", "ws1", delete_dependent_resources=True)
    assert rows(platform, SecretRow, vault_id) == 0 and rows(platform, VaultKeyRow, vault_id) == 0


def test_deleting_a_resource_group_removes_its_vaults(platform: Platform, admin: Principal, ws: Scope) -> None:
    vault.set_secret(platform, admin, ws, "one", "1")
    vault_id = vault.vault_of(platform, ws).id
    workspaces.delete_resource_group(platform, "sub1", "rg1")
    assert rows(platform, SecretRow, vault_id) == 0 and rows(platform, VaultKeyRow, vault_id) == 0
