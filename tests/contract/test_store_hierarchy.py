"""The hierarchy's repositories on SQLite and PostgreSQL: round trips, aware UTC datetimes, ON DELETE, uniqueness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import StatementError
from tests.contract.store_rows import (
    CEST,
    REFUSED,
    assert_aware_utc,
    group_row,
    make_tree,
    resource_row,
    subscription_row,
    workspace_row,
)

from mlyard.core.entities.hierarchy import ResourceStatus, SupportingKind
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import WorkspaceAlreadyExists
from mlyard.core.ids import new_id, utcnow
from mlyard.core.scopes import Scope
from mlyard.services import subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.store.database import Database
from mlyard.store.datastores import DatastoreRepository, DatastoreRow
from mlyard.store.hierarchy import (
    HierarchyRepository,
    SubscriptionRow,
    WorkspaceRow,
)
from mlyard.store.identity import AccessTokenRow, IdentityRepository, UserRow
from mlyard.store.rbac import RbacRepository

# hierarchy


def test_hierarchy_round_trip(database: Database) -> None:
    group_id, ws_id = make_tree(database)
    with database.read() as session:
        repo = HierarchyRepository(session)
        sub = repo.get_subscription_row("sub1")
        assert sub is not None
        entity = sub.to_entity()
        assert (entity.subscription_id, entity.display_name, entity.created_by) == ("Sub1", "Sub1 display", "someone")
        assert entity.tags == {"team": "ml", "env": "test"}
        assert [s.subscription_id for s in repo.list_subscriptions()] == ["Sub1"]

        group = repo.get_resource_group_row("SUB1", "group1")
        assert group is not None and group.id == group_id
        g = group.to_entity()
        assert (g.subscription_id, g.name, g.location, g.tags) == ("Sub1", "Group1", "local", {"cost": "42"})
        assert [x.name for x in repo.list_resource_groups("sub1")] == ["Group1"]
        assert [x.name for x in repo.list_resource_groups()] == ["Group1"]
        assert repo.list_resource_groups("other") == []
        assert repo.count_workspaces_in_group(group_id) == 1

        row = repo.get_workspace_row("sub1", "GROUP1", "ws1")
        assert row is not None and row.id == ws_id
        ws = row.to_entity()
        assert (ws.subscription_id, ws.resource_group, ws.name) == ("Sub1", "Group1", "Ws1")
        assert ws.description == "a description\nwith two lines"
        assert ws.friendly_name == "Ws1 friendly" and ws.tags == {"k": "v"} and ws.created_by == "creator"
        assert ws.scope == Scope("Sub1", "Group1", "Ws1")
        assert {r.kind for r in ws.resources} == set(SupportingKind)
        storage = ws.resource(SupportingKind.STORAGE)
        assert storage is not None and storage.workspace_id == ws_id
        assert storage.details == {"nested": {"n": 1}, "list": [1, "two"]}
        assert storage.status is ResourceStatus.READY

        assert [w.name for w in repo.list_workspaces()] == ["Ws1"]
        assert [w.name for w in repo.list_workspaces("SUB1")] == ["Ws1"]
        assert [w.name for w in repo.list_workspaces("sub1", "group1")] == ["Ws1"]
        assert repo.list_workspaces("sub1", "nogroup") == []
        assert repo.get_workspace_row("sub1", "group1", "ws2") is None
        assert repo.get_workspace_row("sub2", "group1", "ws1") is None


def test_lists_are_ordered_without_regard_to_case(database: Database) -> None:
    with database.write() as session:
        repo = HierarchyRepository(session)
        for sub in ("b-sub", "A-sub", "c-sub"):
            repo.add_subscription(subscription_row(sub))
        group = group_row("A-sub", "g")
        repo.add(group)
        for name in ("zeta", "Alpha", "beta"):
            repo.add(workspace_row(group.id, name))
    with database.read() as session:
        repo = HierarchyRepository(session)
        assert [s.subscription_id for s in repo.list_subscriptions()] == ["A-sub", "b-sub", "c-sub"]
        assert [w.name for w in repo.list_workspaces()] == ["Alpha", "beta", "zeta"]


# datetimes


def test_aware_utc_datetimes_come_back_aware(database: Database) -> None:
    written = datetime(2030, 5, 17, 14, 30, 15, 123456, tzinfo=CEST)
    with database.write() as session:
        repo = HierarchyRepository(session)
        repo.add_subscription(subscription_row("s", when=written))
        group = group_row("s", "g")
        repo.add(group)
        repo.add(workspace_row(group.id, "www", when=written))
    with database.read() as session:
        repo = HierarchyRepository(session)
        sub = repo.list_subscriptions()[0]
        assert_aware_utc(sub.created_at)
        assert sub.created_at == written
        assert sub.created_at == datetime(2030, 5, 17, 12, 30, 15, 123456, tzinfo=UTC)
        ws = repo.list_workspaces()[0]
        assert_aware_utc(ws.created_at)
        assert_aware_utc(ws.updated_at)
        assert ws.created_at == written
        assert_aware_utc(repo.list_resource_groups()[0].created_at)


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError) as info, database.write() as session:
        HierarchyRepository(session).add_subscription(subscription_row("s", when=datetime(2030, 1, 1)))
    assert "naive datetime" in str(info.value)
    with database.read() as session:
        assert HierarchyRepository(session).list_subscriptions() == []


def test_datetimes_of_every_entity_are_aware(database: Database) -> None:
    _, ws_id = make_tree(database)
    with database.write() as session:
        ident = IdentityRepository(session)
        user = UserRow(
            id=new_id(),
            username="u1",
            name_key="u1",
            display_name="U",
            email=None,
            password_hash=None,
            is_active=True,
            created_at=utcnow(),
        )
        ident.add(user)
        ident.add(
            AccessTokenRow(
                id=new_id(),
                principal_id=user.id,
                name="t",
                token_hash="0" * 64,
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(days=1),
                revoked_at=utcnow(),
                last_used_at=None,
            )
        )
    with database.read() as session:
        found_user = IdentityRepository(session).get_user_by_id(user.id)
        assert found_user is not None
        assert_aware_utc(found_user.created_at)
        token = IdentityRepository(session).list_tokens(user.id)[0]
        for value in (token.created_at, token.expires_at, token.revoked_at):
            assert_aware_utc(value)
        assert token.last_used_at is None
        for ds in DatastoreRepository(session).list(ws_id):
            assert_aware_utc(ds.created_at)
        for role in RbacRepository(session).list_roles():
            assert_aware_utc(role.created_at)


# ON DELETE


def test_deleting_a_workspace_row_cascades_and_sets_null(database: Database) -> None:
    """The database itself keeps the references straight, whoever deletes the row."""
    _, ws_id = make_tree(database)
    with database.write() as session:
        session.execute(delete(WorkspaceRow).where(WorkspaceRow.id == ws_id))
    with database.read() as session:
        assert DatastoreRepository(session).list(ws_id) == []  # CASCADE
        kept = HierarchyRepository(session).list_orphaned_resources()
        assert len(kept) == 4  # SET NULL
        assert all(r.workspace_id is None for r in kept)


def test_deleting_a_subscription_row_cascades_down(database: Database) -> None:
    make_tree(database)
    with database.write() as session:
        session.execute(delete(SubscriptionRow))
    with database.read() as session:
        repo = HierarchyRepository(session)
        assert repo.list_resource_groups() == []
        assert repo.list_workspaces() == []
        assert len(repo.list_orphaned_resources()) == 4
        assert session.scalars(select(DatastoreRow)).all() == []


def test_orphan_and_delete_resources(database: Database) -> None:
    _, ws_id = make_tree(database)
    with database.write() as session:
        orphaned = HierarchyRepository(session).orphan_resources(
            ws_id, "/subscriptions/Sub1/resourceGroups/G/workspaces/W"
        )
    assert len(orphaned) == 4
    assert all(r.status is ResourceStatus.ORPHANED and r.workspace_id is None for r in orphaned)
    assert {r.former_workspace for r in orphaned} == {"/subscriptions/Sub1/resourceGroups/G/workspaces/W"}
    with database.read() as session:
        assert {r.id for r in HierarchyRepository(session).list_orphaned_resources()} == {r.id for r in orphaned}

    _, ws2 = _second_workspace(database)
    with database.write() as session:
        removed = HierarchyRepository(session).delete_resources(ws2)
    assert len(removed) == 4
    with database.read() as session:
        row = HierarchyRepository(session).get_workspace_row("Sub1", "Group1", "Ws2")
        assert row is not None and row.to_entity().resources == ()


def _second_workspace(database: Database) -> tuple[str, str]:
    with database.write() as session:
        repo = HierarchyRepository(session)
        group = repo.get_resource_group_row("Sub1", "Group1")
        assert group is not None
        ws = workspace_row(group.id, "Ws2")
        repo.add(ws)
        for kind in SupportingKind:
            repo.add(resource_row(ws.id, kind, f"ws2-{kind.value.lower()}"))
        return group.id, ws.id


# uniqueness without regard to case, through the services


def test_case_insensitive_workspace_names_conflict(platform: Platform, admin: Principal) -> None:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    first = workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    with pytest.raises(WorkspaceAlreadyExists):
        workspaces.create_workspace(platform, admin, "SUB1", "RG1", "WS1")
    found = workspaces.get_workspace(platform, "Sub1", "Rg1", "Ws1")
    assert found.id == first.id and found.name == "ws1"


def test_the_database_backs_the_uniqueness_check(database: Database) -> None:
    """Two writers that both passed the service's check still cannot make two 'ws1's."""
    group_id, _ = make_tree(database)
    with pytest.raises(REFUSED), database.write() as session:
        HierarchyRepository(session).add(workspace_row(group_id, "WS1"))
    with pytest.raises(REFUSED), database.write() as session:
        HierarchyRepository(session).add(group_row("Sub1", "GROUP1"))
    with pytest.raises(REFUSED), database.write() as session:
        HierarchyRepository(session).add_subscription(subscription_row("SUB1"))
