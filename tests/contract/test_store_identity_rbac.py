"""The identity and RBAC repositories on SQLite and PostgreSQL: round trips, uniqueness, cascades."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from tests.contract.store_rows import (
    REFUSED,
)

from mlyard.core.entities.identity import PrincipalType
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.core.scopes import Scope
from mlyard.store.database import Database
from mlyard.store.identity import AccessTokenRow, IdentityRepository, UserRow
from mlyard.store.rbac import RbacRepository, RoleAssignmentRow, RoleDefinitionRow

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
