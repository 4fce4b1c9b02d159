"""The datastore and deployment repositories on SQLite and PostgreSQL: round trips."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.contract.store_rows import (
    REFUSED,
    assert_aware_utc,
    datastore_row,
    make_tree,
)

from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.core.scopes import Scope
from mlyard.store.database import Database
from mlyard.store.datastores import DatastoreRepository
from mlyard.store.deployments import DeploymentRepository, DeploymentRow

# datastores and deployments


def test_datastores_round_trip(database: Database) -> None:
    _, ws_id = make_tree(database)
    with database.read() as session:
        repo = DatastoreRepository(session)
        assert [d.name for d in repo.list(ws_id)] == ["workspaceblobstore", "workspacefilestore"]
        blob = repo.get(ws_id, "WorkspaceBlobStore")
        assert blob is not None and blob.is_default and blob.workspace_id == ws_id
        assert blob.properties == {"path": f"workspaces/{ws_id}/workspaceblobstore", "n": 3}
        default = repo.get_default(ws_id)
        assert default == blob
        assert repo.get(ws_id, "nope") is None
        assert repo.list("no-such-workspace") == []
    with pytest.raises(REFUSED), database.write() as session:
        DatastoreRepository(session).add(datastore_row(ws_id, "WORKSPACEBLOBSTORE"))


def test_deployments_round_trip(database: Database) -> None:
    scope = Scope("Sub1", "G")
    now = utcnow()
    with database.write() as session:
        repo = DeploymentRepository(session)
        for i, name in enumerate(("first", "Second")):
            repo.add(
                DeploymentRow(
                    id=new_id(),
                    scope=scope.path,
                    scope_key=scope.key,
                    name=name,
                    name_key=name_key(name),
                    status="Succeeded",
                    template={"resources": [{"type": "workspaces", "name": name}]},
                    changes=[{"kind": "Create", "id": f"/x/{i}"}],
                    warnings=["careful"],
                    outputs={"id": {"type": "string", "value": "v"}},
                    error=None,
                    created_at=now + timedelta(seconds=i),
                    updated_at=now + timedelta(seconds=i),
                    created_by="admin",
                )
            )
    with database.read() as session:
        repo = DeploymentRepository(session)
        listed = repo.list(scope.key)
        assert [d.name for d in listed] == ["first", "Second"]
        d = listed[0]
        assert (d.scope, d.status, d.error, d.created_by) == (scope.path, "Succeeded", None, "admin")
        assert d.changes == [{"kind": "Create", "id": "/x/0"}]
        assert d.warnings == ["careful"] and d.outputs == {"id": {"type": "string", "value": "v"}}
        assert_aware_utc(d.created_at)
        row = repo.get_row(scope.key, "SECOND")
        assert row is not None and row.template == {"resources": [{"type": "workspaces", "name": "Second"}]}
        assert repo.get_row(scope.key, "third") is None
        assert repo.list("/subscriptions/other") == []
