"""Row factories and checks shared by the store contract tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError

from mlyard.core.entities.hierarchy import ResourceStatus, SupportingKind
from mlyard.core.errors import Conflict
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.store.database import Database
from mlyard.store.datastores import DatastoreRepository, DatastoreRow
from mlyard.store.hierarchy import (
    HierarchyRepository,
    ResourceGroupRow,
    SubscriptionRow,
    SupportingResourceRow,
    WorkspaceRow,
)

CEST = timezone(timedelta(hours=2))
# What a unique or foreign-key violation surfaces as: the driver's error, or the store's 409 for it.
REFUSED = (IntegrityError, Conflict)


def subscription_row(sub_id: str = "Sub1", when: datetime | None = None) -> SubscriptionRow:
    return SubscriptionRow(
        subscription_id=sub_id,
        id_key=name_key(sub_id),
        display_name=f"{sub_id} display",
        tags={"team": "ml", "env": "test"},
        created_at=when or utcnow(),
        created_by="someone",
    )


def group_row(sub_id: str = "Sub1", name: str = "Group1") -> ResourceGroupRow:
    return ResourceGroupRow(
        id=new_id(),
        subscription_id=sub_id,
        name=name,
        name_key=name_key(name),
        location="local",
        tags={"cost": "42"},
        created_at=utcnow(),
        created_by=None,
    )


def workspace_row(group_id: str, name: str = "Ws1", when: datetime | None = None) -> WorkspaceRow:
    now = when or utcnow()
    return WorkspaceRow(
        id=new_id(),
        resource_group_id=group_id,
        name=name,
        name_key=name_key(name),
        location="local",
        friendly_name=f"{name} friendly",
        description="a description\nwith two lines",
        tags={"k": "v"},
        created_at=now,
        updated_at=now,
        created_by="creator",
    )


def resource_row(ws_id: str | None, kind: SupportingKind, name: str) -> SupportingResourceRow:
    return SupportingResourceRow(
        id=new_id(),
        workspace_id=ws_id,
        kind=kind.value,
        name=name,
        status=ResourceStatus.READY.value,
        location=f"file:///blobs/{name}",
        former_workspace=None,
        details={"nested": {"n": 1}, "list": [1, "two"]},
        created_at=utcnow(),
    )


def datastore_row(ws_id: str, name: str, default: bool = False) -> DatastoreRow:
    return DatastoreRow(
        id=new_id(),
        workspace_id=ws_id,
        name=name,
        name_key=name_key(name),
        datastore_type="workspaceblob",
        is_default=default,
        properties={"path": f"workspaces/{ws_id}/{name}", "n": 3},
        created_at=utcnow(),
    )


def make_tree(db: Database) -> tuple[str, str]:
    """Sub1 / Group1 / Ws1 with its four resources and two datastores: (group id, workspace id)."""
    with db.write() as session:
        repo = HierarchyRepository(session)
        repo.add_subscription(subscription_row())
        group = group_row()
        repo.add(group)
        ws = workspace_row(group.id)
        repo.add(ws)
        for kind in SupportingKind:
            repo.add(resource_row(ws.id, kind, f"ws1-{kind.value.lower()}"))
        ds = DatastoreRepository(session)
        ds.add(datastore_row(ws.id, "workspaceblobstore", default=True))
        ds.add(datastore_row(ws.id, "workspacefilestore"))
        return group.id, ws.id


def assert_aware_utc(value: datetime | None) -> None:
    assert value is not None
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0), value
