"""The repositories on SQLite and PostgreSQL: round trips, aware UTC datetimes, uniqueness, ON DELETE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, StatementError

from mlyard.core.entities.hierarchy import ResourceStatus, SupportingKind
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.errors import Conflict, WorkspaceAlreadyExists
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.core.scopes import Scope
from mlyard.services import subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.store.database import Database
from mlyard.store.datastores import DatastoreRepository, DatastoreRow
from mlyard.store.deployments import DeploymentRepository, DeploymentRow
from mlyard.store.hierarchy import (
    HierarchyRepository,
    ResourceGroupRow,
    SubscriptionRow,
    SupportingResourceRow,
    WorkspaceRow,
)
from mlyard.store.identity import AccessTokenRow, IdentityRepository, UserRow
from mlyard.store.rbac import RbacRepository, RoleAssignmentRow, RoleDefinitionRow

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


# identity


def test_identity_round_trip(database: Database) -> None:
    now = utcnow()
    with database.write() as session:
        repo = IdentityRepository(session)
        assert repo.count_users() == 0
        row = UserRow(
            id=new_id(),
            username="Jane.Doe",
            name_key=name_key("Jane.Doe"),
            display_name="Jane Doe",
            email="jane@example.org",
            password_hash="argon2-hash",
            is_active=True,
            created_at=now,
        )
        repo.add(row)
        token = AccessTokenRow(
            id=new_id(),
            principal_id=row.id,
            name="laptop",
            token_hash="a" * 64,
            created_at=now,
            expires_at=now + timedelta(days=30),
            revoked_at=None,
            last_used_at=None,
        )
        repo.add(token)
    with database.write() as session:
        IdentityRepository(session).touch_token(token.id, now + timedelta(minutes=1))
    with database.read() as session:
        repo = IdentityRepository(session)
        assert repo.count_users() == 1
        found = repo.get_user_row("JANE.DOE")
        assert found is not None
        user = found.to_entity()
        assert (user.username, user.display_name, user.email, user.is_active) == (
            "Jane.Doe",
            "Jane Doe",
            "jane@example.org",
            True,
        )
        assert user.created_at == now
        assert repo.get_user_by_id(row.id) == user
        assert repo.get_user_by_id("nobody") is None
        assert [u.username for u in repo.list_users()] == ["Jane.Doe"]
        by_hash = repo.find_token("a" * 64)
        assert by_hash is not None and by_hash.id == token.id
        assert repo.find_token("b" * 64) is None
        assert repo.get_token_row(row.id, token.id) is not None
        assert repo.get_token_row("someone-else", token.id) is None
        listed = repo.list_tokens(row.id)
        assert [t.name for t in listed] == ["laptop"]
        assert listed[0].expires_at == now + timedelta(days=30)
        assert listed[0].last_used_at == now + timedelta(minutes=1)
        assert listed[0].is_valid(now) and not listed[0].is_valid(now + timedelta(days=31))


def test_user_names_are_unique_without_regard_to_case(database: Database) -> None:
    def user(name: str) -> UserRow:
        return UserRow(
            id=new_id(),
            username=name,
            name_key=name_key(name),
            display_name=name,
            email=None,
            password_hash=None,
            is_active=True,
            created_at=utcnow(),
        )

    with database.write() as session:
        IdentityRepository(session).add(user("alice"))
    with pytest.raises(REFUSED), database.write() as session:
        IdentityRepository(session).add(user("ALICE"))


# rbac


def test_rbac_round_trip(database: Database) -> None:
    with database.write() as session:
        repo = RbacRepository(session)
        role = RoleDefinitionRow(
            id=new_id(),
            name="Custom Trainer",
            name_key=name_key("Custom Trainer"),
            description="Trains models.",
            actions=["workspaces/*/read", "workspaces/experiments/runs/submit/action"],
            not_actions=["workspaces/secrets/read"],
            assignable_scopes=["/subscriptions/Sub1"],
            is_custom=True,
            created_at=utcnow(),
        )
        repo.add(role)
        for scope in (Scope("Sub1"), Scope("Sub1", "G"), Scope("Sub1", "G", "W"), Scope("Sub10")):
            assignment = RoleAssignmentRow(
                id=new_id(),
                principal_id="p1",
                principal_type=PrincipalType.USER.value,
                role_definition_id=role.id,
                scope=scope.path,
                scope_key=scope.key,
                created_at=utcnow(),
                created_by="admin",
            )
            assignment.role = role
            repo.add(assignment)
    with database.read() as session:
        repo = RbacRepository(session)
        found = repo.get_role_row("custom trainer")
        assert found is not None
        entity = found.to_entity()
        assert entity.actions == ("workspaces/*/read", "workspaces/experiments/runs/submit/action")
        assert entity.not_actions == ("workspaces/secrets/read",)
        assert entity.assignable_scopes == ("/subscriptions/Sub1",)
        assert entity.is_custom
        assert entity.allows("workspaces/models/read") and not entity.allows("workspaces/secrets/read")
        assert "Custom Trainer" in [r.name for r in repo.list_roles()]
        held = repo.assignments_of(["p1", "p2"])
        assert sorted(key for key, _ in held) == [
            "/subscriptions/sub1",
            "/subscriptions/sub1/resourcegroups/g",
            "/subscriptions/sub1/resourcegroups/g/workspaces/w",
            "/subscriptions/sub10",
        ]
        assert all(r.name == "Custom Trainer" for _, r in held)
        assert repo.assignments_of(["p2"]) == []
        under = repo.list_assignments("/subscriptions/sub1")
        assert [a.scope for a in under] == [
            "/subscriptions/Sub1",
            "/subscriptions/Sub1/resourceGroups/G",
            "/subscriptions/Sub1/resourceGroups/G/workspaces/W",
        ]  # not /subscriptions/Sub10
        assert under[0].role_name == "Custom Trainer" and under[0].principal_type is PrincipalType.USER
        assert len(repo.list_assignments()) == len(repo.list_assignments("/")) == 4
        assert repo.find_assignment("p1", found.id, "/subscriptions/sub1") is not None
        assert repo.find_assignment("p1", found.id, "/subscriptions/sub2") is None
    with database.write() as session:
        assert RbacRepository(session).delete_assignments_under("/subscriptions/sub1/resourcegroups/g") == 2
    with database.read() as session:
        assert len(RbacRepository(session).list_assignments()) == 2


def test_scope_prefixes_with_like_wildcards_do_not_overmatch(database: Database) -> None:
    with database.write() as session:
        repo = RbacRepository(session)
        role = repo.get_role_row("Reader")
        assert role is not None
        for scope in (Scope("a_b"), Scope("axb"), Scope("a%b"), Scope("a%bc")):
            row = RoleAssignmentRow(
                id=new_id(),
                principal_id="p",
                principal_type="User",
                role_definition_id=role.id,
                scope=scope.path,
                scope_key=scope.key,
                created_at=utcnow(),
                created_by=None,
            )
            row.role = role
            repo.add(row)
    with database.read() as session:
        repo = RbacRepository(session)
        assert [a.scope for a in repo.list_assignments("/subscriptions/a_b")] == ["/subscriptions/a_b"]
        assert [a.scope for a in repo.list_assignments("/subscriptions/a%b")] == ["/subscriptions/a%b"]
    with database.write() as session:
        assert RbacRepository(session).delete_assignments_under("/subscriptions/a_b") == 1


def test_deleting_a_role_definition_cascades_to_its_assignments(database: Database) -> None:
    with database.write() as session:
        repo = RbacRepository(session)
        role = RoleDefinitionRow(
            id=new_id(),
            name="Temp",
            name_key="temp",
            description="",
            actions=["*/read"],
            not_actions=[],
            assignable_scopes=["/"],
            is_custom=True,
            created_at=utcnow(),
        )
        repo.add(role)
        row = RoleAssignmentRow(
            id=new_id(),
            principal_id="p",
            principal_type="User",
            role_definition_id=role.id,
            scope="/",
            scope_key="/",
            created_at=utcnow(),
            created_by=None,
        )
        row.role = role
        repo.add(row)
        role_id = role.id
    with database.write() as session:
        session.execute(delete(RoleDefinitionRow).where(RoleDefinitionRow.id == role_id))
    with database.read() as session:
        assert (
            session.scalars(select(RoleAssignmentRow).where(RoleAssignmentRow.role_definition_id == role_id)).all()
            == []
        )


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
