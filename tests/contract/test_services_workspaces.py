"""Workspaces through the services, on SQLite and PostgreSQL: creation, supporting resources, deletion."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from typing import Any

import pytest
from tests.contract.hierarchy_helpers import blob_keys, everything, make_ws, orphans

from mlyard.core.entities.hierarchy import ResourceStatus, SupportingKind
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    InvalidName,
    NotFound,
    ResourceGroupNotFound,
    ServiceUnavailable,
    ValidationError,
    WorkspaceAlreadyExists,
    WorkspaceNotFound,
)
from mlyard.core.scopes import Scope
from mlyard.services import datastores, rbac, subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.services.workspaces import DEFAULT_BLOB_DATASTORE, DEFAULT_FILE_DATASTORE, storage_prefix
from mlyard.store.rbac import RbacRepository


@pytest.fixture
def group(platform: Platform, admin: Principal) -> Scope:
    subscriptions.create_subscription(platform, admin, "sub1", "Subscription one")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    return Scope("sub1", "rg1")


# workspaces


def test_workspace_lifecycle(platform: Platform, admin: Principal, group: Scope) -> None:
    ws = make_ws(platform, admin, "My-WS_1", friendly_name="Friendly", description="About it", tags={"t": "1"})
    assert (ws.subscription_id, ws.resource_group, ws.name) == ("sub1", "rg1", "My-WS_1")
    assert (ws.friendly_name, ws.description, ws.tags, ws.location) == ("Friendly", "About it", {"t": "1"}, "local")
    assert ws.created_by == admin.id and ws.created_at == ws.updated_at
    assert ws.scope == Scope("sub1", "rg1", "My-WS_1")

    got = workspaces.get_workspace(platform, "SUB1", "RG1", "my-ws_1")
    assert got == ws
    listed = workspaces.list_workspaces(platform, everything(platform, admin))
    assert [w.name for w in listed] == ["My-WS_1"]
    assert workspaces.list_workspaces(platform, everything(platform, admin), "sub1", "rg1") == listed
    assert workspaces.list_workspaces(platform, everything(platform, admin), "sub1") == listed
    assert workspaces.list_workspaces(platform, everything(platform, admin), "sub2") == []

    updated = workspaces.update_workspace(
        platform, "sub1", "rg1", "MY-WS_1", friendly_name="New", description="New text", tags={"u": "2"}
    )
    assert (updated.friendly_name, updated.description, updated.tags) == ("New", "New text", {"u": "2"})
    assert updated.updated_at >= ws.updated_at and updated.created_at == ws.created_at
    assert updated.id == ws.id
    assert workspaces.get_workspace(platform, "sub1", "rg1", "My-WS_1").friendly_name == "New"
    same = workspaces.update_workspace(platform, "sub1", "rg1", "My-WS_1", location="LOCAL")
    assert same.friendly_name == "New"

    deletion = workspaces.delete_workspace(platform, "sub1", "rg1", "my-ws_1")
    assert deletion.workspace.id == ws.id
    with pytest.raises(WorkspaceNotFound):
        workspaces.get_workspace(platform, "sub1", "rg1", "My-WS_1")
    assert workspaces.list_workspaces(platform, everything(platform, admin)) == []


def test_defaults_of_a_new_workspace(platform: Platform, admin: Principal, group: Scope) -> None:
    ws = make_ws(platform, admin)
    assert ws.friendly_name == "ws1" and ws.description == "" and ws.tags == {}
    assert ws.location == "local"  # the group's


def test_a_workspace_cannot_move(platform: Platform, admin: Principal, group: Scope) -> None:
    make_ws(platform, admin)
    with pytest.raises(ValidationError) as info:
        workspaces.update_workspace(platform, "sub1", "rg1", "ws1", location="elsewhere")
    assert info.value.target == "location"


def test_description_limit(platform: Platform, admin: Principal, group: Scope) -> None:
    with pytest.raises(ValidationError) as info:
        make_ws(platform, admin, description="x" * 2001)
    assert info.value.target == "description"
    make_ws(platform, admin, description="x" * 2000)
    with pytest.raises(ValidationError):
        workspaces.update_workspace(platform, "sub1", "rg1", "ws1", description="x" * 2001)


def test_every_workspace_gets_its_supporting_resources(platform: Platform, admin: Principal, group: Scope) -> None:
    ws = make_ws(platform, admin)
    assert len(ws.resources) == 4
    assert {r.kind for r in ws.resources} == set(SupportingKind)
    expected_status = {
        SupportingKind.STORAGE: ResourceStatus.READY,
        SupportingKind.VAULT: ResourceStatus.READY,
        SupportingKind.MONITORING: ResourceStatus.READY,
        SupportingKind.ENVIRONMENT_REGISTRY: ResourceStatus.CREATED_ON_FIRST_USE,
    }
    for kind, status in expected_status.items():
        res = ws.resource(kind)
        assert res is not None, kind
        assert res.status is status
        assert res.workspace_id == ws.id and res.former_workspace is None
        assert res.name.startswith("ws1")
    storage = ws.resource(SupportingKind.STORAGE)
    assert storage is not None
    assert storage.location == platform.blobs.url_for(storage_prefix(ws.id))
    assert len({r.name for r in ws.resources}) == 4
    # a second workspace gets its own
    other = make_ws(platform, admin, "ws2")
    assert not {r.id for r in other.resources} & {r.id for r in ws.resources}
    assert not {r.name for r in other.resources} & {r.name for r in ws.resources}


def test_every_workspace_gets_two_datastores(platform: Platform, admin: Principal, group: Scope) -> None:
    ws = make_ws(platform, admin)
    found = datastores.list_datastores(platform, "sub1", "rg1", "ws1")
    assert [(d.name, d.is_default, d.datastore_type) for d in found] == [
        (DEFAULT_BLOB_DATASTORE, True, "workspaceblob"),
        (DEFAULT_FILE_DATASTORE, False, "workspacefile"),
    ]
    assert DEFAULT_BLOB_DATASTORE == "workspaceblobstore" and DEFAULT_FILE_DATASTORE == "workspacefilestore"
    default = datastores.get_default_datastore(platform, "sub1", "rg1", "ws1")
    assert default.name == "workspaceblobstore" and default.workspace_id == ws.id
    assert datastores.get_datastore(platform, "sub1", "rg1", "WS1", "WorkspaceFileStore").name == "workspacefilestore"
    for d in found:
        assert d.properties["path"].startswith(storage_prefix(ws.id) + "/")


def test_every_workspace_gets_a_storage_marker(platform: Platform, admin: Principal, group: Scope) -> None:
    ws = make_ws(platform, admin)
    marker = json.loads(platform.blobs.get_bytes(f"{storage_prefix(ws.id)}/.workspace.json"))
    assert marker == {"workspace": "/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1", "id": ws.id}
    assert blob_keys(platform, storage_prefix(ws.id))


@pytest.mark.parametrize("bad", ["ab", "x" * 34, "-ws", "_ws", "w.s", "w s", "wś1"])
def test_bad_workspace_names(platform: Platform, admin: Principal, group: Scope, bad: str) -> None:
    with pytest.raises(InvalidName) as info:
        make_ws(platform, admin, bad)
    assert info.value.target == "workspaceName"
    assert "3 to 33" in info.value.message
    assert workspaces.list_workspaces(platform, everything(platform, admin)) == []
    assert blob_keys(platform) == []


def test_workspace_in_a_missing_resource_group(platform: Platform, admin: Principal, group: Scope) -> None:
    with pytest.raises(ResourceGroupNotFound) as info:
        workspaces.create_workspace(platform, admin, "sub1", "nogroup", "ws1")
    assert "'nogroup'" in info.value.message and info.value.target == "resourceGroupName"
    with pytest.raises(NotFound) as info2:
        workspaces.create_workspace(platform, admin, "nosub", "rg1", "ws1")
    assert "'nosub'" in info2.value.message
    assert blob_keys(platform) == []


def test_missing_workspace(platform: Platform, admin: Principal, group: Scope) -> None:
    for call in (
        lambda: workspaces.get_workspace(platform, "sub1", "rg1", "nope"),
        lambda: workspaces.update_workspace(platform, "sub1", "rg1", "nope", friendly_name="x"),
        lambda: workspaces.delete_workspace(platform, "sub1", "rg1", "nope"),
        lambda: datastores.list_datastores(platform, "sub1", "rg1", "nope"),
    ):
        with pytest.raises(WorkspaceNotFound) as info:
            call()
        assert "'nope'" in info.value.message and info.value.status == 404


def test_duplicate_workspace_leaves_the_first_intact(platform: Platform, admin: Principal, group: Scope) -> None:
    first = make_ws(platform, admin, "ws1", friendly_name="First", tags={"keep": "me"})
    blobs_before = blob_keys(platform)
    for name in ("ws1", "WS1", "Ws1"):
        with pytest.raises(WorkspaceAlreadyExists) as info:
            make_ws(platform, admin, name, friendly_name="Second")
        assert info.value.status == 409 and info.value.target == "workspaceName"
    again = workspaces.get_workspace(platform, "sub1", "rg1", "ws1")
    assert again == first
    assert len(datastores.list_datastores(platform, "sub1", "rg1", "ws1")) == 2
    assert blob_keys(platform) == blobs_before
    assert orphans(platform) == []


def test_the_same_workspace_name_in_two_groups(platform: Platform, admin: Principal, group: Scope) -> None:
    a = make_ws(platform, admin)
    subscriptions.create_resource_group(platform, admin, "sub1", "rg2")
    b = workspaces.create_workspace(platform, admin, "sub1", "rg2", "ws1")
    assert a.id != b.id
    assert [w.resource_group for w in workspaces.list_workspaces(platform, everything(platform, admin))] == [
        "rg1",
        "rg2",
    ]


class FailingBlobs:
    """A blob store that fails on the n-th write (delegating everything else)."""

    def __init__(self, inner: Any, fail_on: int) -> None:
        self.inner = inner
        self.fail_on = fail_on
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def put_bytes(self, key: str, data: bytes) -> None:
        self.writes += 1
        if self.writes == self.fail_on:
            raise ServiceUnavailable("the blob store is down")
        self.inner.put_bytes(key, data)


@pytest.mark.parametrize("fail_on", [1, 2])
def test_a_failed_blob_write_leaves_no_rows(platform: Platform, admin: Principal, group: Scope, fail_on: int) -> None:
    broken = replace(platform, blobs=FailingBlobs(platform.blobs, fail_on))
    with pytest.raises(ServiceUnavailable):
        workspaces.create_workspace(broken, admin, "sub1", "rg1", "ws1")
    with pytest.raises(WorkspaceNotFound):
        workspaces.get_workspace(platform, "sub1", "rg1", "ws1")
    assert orphans(platform) == []
    # and the name is free again
    ws = make_ws(platform, admin)
    assert len(ws.resources) == 4


# deleting


def test_delete_with_dependent_resources(platform: Platform, admin: Principal, group: Scope) -> None:
    ws = make_ws(platform, admin)
    keep = make_ws(platform, admin, "ws2")
    deletion = workspaces.delete_workspace(platform, "sub1", "rg1", "ws1", delete_dependent_resources=True)
    assert {r.kind for r in deletion.removed} == set(SupportingKind)
    assert deletion.kept == []
    assert orphans(platform) == []
    assert blob_keys(platform, storage_prefix(ws.id)) == []
    assert blob_keys(platform, storage_prefix(keep.id))  # the other workspace's storage stays
    with pytest.raises(WorkspaceNotFound):
        datastores.list_datastores(platform, "sub1", "rg1", "ws1")


def test_of_concurrent_deletes_one_wins_and_the_others_find_it_gone(
    platform: Platform, admin: Principal, group: Scope
) -> None:
    make_ws(platform, admin)
    start = threading.Barrier(6)
    outcomes: list[str] = []

    def delete() -> None:
        start.wait()
        try:
            workspaces.delete_workspace(platform, "sub1", "rg1", "ws1", delete_dependent_resources=True)
            outcomes.append("deleted")
        except WorkspaceNotFound:
            outcomes.append("not found")

    threads = [threading.Thread(target=delete) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["deleted"] + ["not found"] * 5


def test_delete_keeps_orphaned_resources_and_blobs(platform: Platform, admin: Principal, group: Scope) -> None:
    ws = make_ws(platform, admin)
    blobs_before = blob_keys(platform, storage_prefix(ws.id))
    deletion = workspaces.delete_workspace(platform, "sub1", "rg1", "ws1")
    assert deletion.removed == []
    assert {r.id for r in deletion.kept} == {r.id for r in ws.resources}
    kept = orphans(platform)
    assert {r.id for r in kept} == {r.id for r in ws.resources}
    for r in kept:
        assert r.workspace_id is None
        assert r.status is ResourceStatus.ORPHANED
        assert r.former_workspace == "/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1"
    assert blob_keys(platform, storage_prefix(ws.id)) == blobs_before
    # A new workspace of the same name is a new workspace, with new resources.
    again = make_ws(platform, admin)
    assert again.id != ws.id
    assert not {r.id for r in again.resources} & {r.id for r in kept}
    assert len(orphans(platform)) == 4


def test_deleting_a_resource_group_deletes_its_workspaces(platform: Platform, admin: Principal, group: Scope) -> None:
    a = make_ws(platform, admin, "ws1")
    b = make_ws(platform, admin, "ws2")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg2")
    c = workspaces.create_workspace(platform, admin, "sub1", "rg2", "ws3")
    deleted = workspaces.delete_resource_group(platform, "sub1", "RG1")
    assert sorted(d.workspace.name for d in deleted) == ["ws1", "ws2"]
    assert all(len(d.removed) == 4 and d.kept == [] for d in deleted)
    with pytest.raises(ResourceGroupNotFound):
        subscriptions.get_resource_group(platform, "sub1", "rg1")
    assert [w.id for w in workspaces.list_workspaces(platform, everything(platform, admin))] == [c.id]
    for ws in (a, b):
        assert blob_keys(platform, storage_prefix(ws.id)) == []
    assert blob_keys(platform, storage_prefix(c.id))
    assert orphans(platform) == []


def test_deleting_removes_the_assignments_under_the_scope(platform: Platform, admin: Principal, group: Scope) -> None:
    make_ws(platform, admin)
    user_scope = Scope("sub1", "rg1", "ws1")
    rbac.assign_role(platform.db, "someone", admin.type, "Reader", user_scope, created_by=admin.id)
    rbac.assign_role(platform.db, "someone", admin.type, "Reader", Scope("sub1", "rg1"), created_by=admin.id)
    workspaces.delete_workspace(platform, "sub1", "rg1", "ws1")
    with platform.db.read() as session:
        scopes = [a.scope for a in RbacRepository(session).list_assignments()]
    assert user_scope.path not in scopes
    assert Scope("sub1", "rg1").path in scopes
    workspaces.delete_resource_group(platform, "sub1", "rg1")
    with platform.db.read() as session:
        assert RbacRepository(session).list_assignments("/subscriptions/sub1/resourcegroups/rg1") == []
