"""Users, groups and service principals through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests.contract.identity_helpers import PASSWORD, dump_database, user

from mlyard.core import actions as A
from mlyard.core.entities.identity import Principal, PrincipalRef, PrincipalType
from mlyard.core.errors import (
    AuthenticationError,
    GroupAlreadyExists,
    GroupNotFound,
    InvalidName,
    LastOwner,
    MembershipCycle,
    PrincipalNotFound,
    ServicePrincipalAlreadyExists,
    ServicePrincipalNotFound,
    UserNotFound,
    ValidationError,
)
from mlyard.core.ids import utcnow
from mlyard.core.scopes import Scope
from mlyard.services import groups, identity, rbac, users
from mlyard.services import service_principals as sps
from mlyard.services.principals import principal_ids_of, resolve_principal
from mlyard.store.database import Database
from mlyard.store.identity import AccessTokenRow
from mlyard.store.principals import ServicePrincipalRow
from mlyard.store.rbac import RbacRepository

ROOT = Scope()
WS = Scope("sub1", "rg1", "ws1")
HOUR = timedelta(hours=1)


def group(db: Database, name: str) -> Principal:
    made = groups.create_group(db, name)
    return Principal(made.id, PrincipalType.GROUP, made.name, "test")


def assign(db: Database, who: Principal | PrincipalRef, role: str, scope: Scope) -> None:
    rbac.assign_role(db, who.id, who.type, role, scope, created_by=None)


def can(db: Database, who: Principal, action: str, scope: Scope = WS) -> bool:
    return rbac.Authorizer(db, who).can(action, scope)


def sp_principal(db: Database, secret_of: tuple[str, str]) -> Principal:
    client_id, secret = secret_of
    _, token = sps.exchange_secret(db, client_id, secret, ttl=HOUR)
    return identity.authenticate_token(db, token)


def new_sp(db: Database, name: str) -> tuple[str, str]:
    made, secret = sps.create_service_principal(db, name, secret_ttl_days=30, created_by=None)
    return made.client_id, secret


# users


def test_users_are_listed_shown_and_found_by_name_or_id(database: Database) -> None:
    alice = user(database, "Alice")
    user(database, "bob")
    assert [u.username for u in users.list_users(database)] == ["Alice", "bob"]
    assert users.get_user(database, "alice").id == alice.id
    assert users.get_user(database, alice.id).username == "Alice"
    with pytest.raises(UserNotFound, match="'carol'"):
        users.get_user(database, "carol")


def test_deleting_a_user_removes_tokens_assignments_and_memberships(database: Database) -> None:
    alice = user(database, "alice")
    team = group(database, "team")
    groups.add_member(database, "team", "alice")
    assign(database, alice, "Reader", WS)
    _, token = identity.create_token(database, alice.id, "laptop", 1)
    users.delete_user(database, "alice")
    with pytest.raises(AuthenticationError):
        identity.authenticate_token(database, token)
    assert groups.list_members(database, team.name) == []
    with database.read() as session:
        assert RbacRepository(session).assignments_of([alice.id]) == []
        assert session.scalars(select(AccessTokenRow).where(AccessTokenRow.principal_id == alice.id)).all() == []
    with pytest.raises(UserNotFound):
        users.delete_user(database, "alice")


def test_an_administrator_sets_a_password(database: Database) -> None:
    user(database, "alice")
    users.set_password(database, "alice", "a brand new password")
    assert identity.authenticate_password(database, "alice", "a brand new password").username == "alice"
    with pytest.raises(AuthenticationError):
        identity.authenticate_password(database, "alice", PASSWORD)
    with pytest.raises(ValidationError, match="too short"):
        users.set_password(database, "alice", "short")


def test_a_user_changes_their_own_password_with_the_current_one(database: Database) -> None:
    alice = user(database, "alice")
    with pytest.raises(ValidationError, match="current password is wrong") as caught:
        users.change_own_password(database, alice.id, "not it at all", "another long password")
    assert caught.value.target == "currentPassword"
    users.change_own_password(database, alice.id, PASSWORD, "another long password")
    identity.authenticate_password(database, "alice", "another long password")


def test_the_last_owner_at_the_root_cannot_be_deleted(database: Database, admin: Principal) -> None:
    with pytest.raises(LastOwner, match="Owner role at scope '/'"):
        users.delete_user(database, admin.name)
    assert users.get_user(database, admin.name).id == admin.id
    bob = user(database, "bob")
    assign(database, bob, "Owner", ROOT)
    users.delete_user(database, admin.name)
    with pytest.raises(LastOwner):
        users.delete_user(database, "bob")


def test_an_owner_below_the_root_or_of_another_role_is_deleted_freely(database: Database, admin: Principal) -> None:
    alice = user(database, "alice")
    assign(database, alice, "Owner", WS)
    assign(database, alice, "Contributor", ROOT)
    users.delete_user(database, "alice")


def test_owner_through_a_group_counts_and_is_protected(database: Database, admin: Principal) -> None:
    admins = group(database, "admins")
    assign(database, admins, "Owner", ROOT)
    groups.add_member(database, "admins", admin.name)
    with database.write() as session:  # the direct assignment goes; Owner now comes through the group
        RbacRepository(session).delete_assignments_under("/")
        assert session is not None
    assign(database, admins, "Owner", ROOT)
    with pytest.raises(LastOwner):
        groups.remove_member(database, "admins", admin.name)
    with pytest.raises(LastOwner):
        groups.delete_group(database, "admins")
    with pytest.raises(LastOwner):
        users.delete_user(database, admin.name)
    assert [m.name for m in groups.list_members(database, "admins")] == [admin.name]


# groups


def test_groups_are_created_listed_and_unique_without_regard_to_case(database: Database) -> None:
    made = groups.create_group(database, "IT Operations", "runs the machines")
    assert made.description == "runs the machines"
    with pytest.raises(GroupAlreadyExists):
        groups.create_group(database, "it operations")
    for bad in ("", " lead", "trail ", "a:b", "x" * 129):
        with pytest.raises(InvalidName):
            groups.create_group(database, bad)
    assert [g.name for g in groups.list_groups(database)] == ["IT Operations"]
    assert groups.get_group(database, made.id).name == "IT Operations"
    with pytest.raises(GroupNotFound, match="'nobody'"):
        groups.get_group(database, "nobody")


def test_members_are_users_service_principals_and_groups(database: Database) -> None:
    user(database, "alice")
    group(database, "team")
    group(database, "inner")
    new_sp(database, "ci-bot")
    for member in ("alice", "inner", "ci-bot", "alice"):
        groups.add_member(database, "team", member)
    members = groups.list_members(database, "TEAM")
    assert [(m.type, m.name) for m in members] == [
        (PrincipalType.USER, "alice"),
        (PrincipalType.GROUP, "inner"),
        (PrincipalType.SERVICE_PRINCIPAL, "ci-bot"),
    ]
    removed = groups.remove_member(database, "team", "ci-bot")
    assert removed.type is PrincipalType.SERVICE_PRINCIPAL
    with pytest.raises(PrincipalNotFound, match="not a direct member"):
        groups.remove_member(database, "team", "ci-bot")
    with pytest.raises(PrincipalNotFound):
        groups.add_member(database, "team", "nobody")
    with pytest.raises(GroupNotFound):
        groups.add_member(database, "nogroup", "alice")


def test_an_assignment_to_an_outer_group_reaches_a_member_of_an_inner_group(database: Database) -> None:
    alice = user(database, "alice")
    outer, middle = group(database, "outer"), group(database, "middle")
    group(database, "inner")
    groups.add_member(database, "outer", "middle")
    groups.add_member(database, "middle", "inner")
    groups.add_member(database, "inner", "alice")
    assert not can(database, alice, A.WORKSPACES_READ)
    assign(database, outer, "Reader", WS)
    assert can(database, alice, A.WORKSPACES_READ)
    assert not can(database, alice, A.WORKSPACES_WRITE)
    assert set(principal_ids_of(database, alice.id)) >= {alice.id, outer.id, middle.id}
    groups.remove_member(database, "middle", "inner")
    assert not can(database, alice, A.WORKSPACES_READ)


def test_deleting_a_group_ends_the_roles_it_gave(database: Database) -> None:
    alice = user(database, "alice")
    team = group(database, "team")
    groups.add_member(database, "team", "alice")
    assign(database, team, "Contributor", WS)
    assert can(database, alice, A.WORKSPACES_WRITE)
    groups.delete_group(database, "team")
    assert not can(database, alice, A.WORKSPACES_WRITE)
    with database.read() as session:
        assert RbacRepository(session).assignments_of([team.id]) == []


def test_a_cycle_is_refused_and_named(database: Database) -> None:
    for name in ("a", "b", "c"):
        group(database, name)
    groups.add_member(database, "a", "b")
    groups.add_member(database, "b", "c")
    with pytest.raises(MembershipCycle, match="'c' → 'a' → 'b' → 'c'"):
        groups.add_member(database, "c", "a")
    with pytest.raises(MembershipCycle, match="'a' → 'a'"):
        groups.add_member(database, "a", "a")
    assert [m.name for m in groups.list_members(database, "c")] == []
    groups.add_member(database, "a", "c")  # a diamond is no cycle


# service principals


def test_a_service_principal_secret_is_shown_once_and_stored_hashed(database: Database) -> None:
    made, secret = sps.create_service_principal(database, "ci-bot", secret_ttl_days=30, created_by="someone")
    assert len(secret) > 30 and made.client_id and made.created_by == "someone"
    with database.read() as session:
        stored = session.scalars(select(ServicePrincipalRow.secret_hash)).one()
    assert stored.startswith("$argon2")
    assert secret not in dump_database(database)
    with pytest.raises(ServicePrincipalAlreadyExists):
        sps.create_service_principal(database, "CI-Bot", secret_ttl_days=30, created_by=None)
    for ref in (made.client_id, made.client_id.upper(), made.id, "CI-BOT"):
        assert sps.get_service_principal(database, ref).id == made.id
    with pytest.raises(ServicePrincipalNotFound):
        sps.get_service_principal(database, "nobody")


def test_the_secret_is_exchanged_for_a_service_principal_token(database: Database) -> None:
    client_id, secret = new_sp(database, "ci-bot")
    token, access = sps.exchange_secret(database, client_id, secret, ttl=HOUR)
    assert timedelta(minutes=59) < token.expires_at - token.created_at <= HOUR
    principal = identity.authenticate_token(database, access)
    assert (principal.type, principal.name, principal.auth_method) == (
        PrincipalType.SERVICE_PRINCIPAL,
        "ci-bot",
        "client_credentials",
    )
    assert access not in dump_database(database)


@pytest.mark.parametrize("wrong", ["client_id", "client_secret"])
def test_a_wrong_client_id_or_secret_is_refused_alike(database: Database, wrong: str) -> None:
    client_id, secret = new_sp(database, "ci-bot")
    if wrong == "client_id":
        client_id = "00000000-0000-4000-8000-000000000000"
    else:
        secret += "x"
    with pytest.raises(AuthenticationError, match="client id or client secret is wrong"):
        sps.exchange_secret(database, client_id, secret, ttl=HOUR)


def test_an_expired_secret_and_an_expired_token_are_refused(database: Database) -> None:
    client_id, secret = new_sp(database, "ci-bot")
    _, access = sps.exchange_secret(database, client_id, secret, ttl=HOUR)
    with database.write() as session:
        session.execute(update(AccessTokenRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(AuthenticationError, match="expired"):
        identity.authenticate_token(database, access)
    with database.write() as session:
        session.execute(update(ServicePrincipalRow).values(secret_expires_at=utcnow() - timedelta(days=1)))
    with pytest.raises(AuthenticationError, match="reset-secret"):
        sps.exchange_secret(database, client_id, secret, ttl=HOUR)


def test_resetting_the_secret_ends_the_old_secret_and_its_tokens(database: Database) -> None:
    client_id, old = new_sp(database, "ci-bot")
    _, access = sps.exchange_secret(database, client_id, old, ttl=HOUR)
    _, new = sps.reset_secret(database, client_id, secret_ttl_days=30)
    assert new != old
    with pytest.raises(AuthenticationError):
        identity.authenticate_token(database, access)
    with pytest.raises(AuthenticationError):
        sps.exchange_secret(database, client_id, old, ttl=HOUR)
    sps.exchange_secret(database, client_id, new, ttl=HOUR)


def test_deleting_a_service_principal_cascades(database: Database) -> None:
    creds = new_sp(database, "ci-bot")
    bot = sp_principal(database, creds)
    group(database, "bots")
    groups.add_member(database, "bots", "ci-bot")
    assign(database, bot, "Reader", WS)
    _, access = sps.exchange_secret(database, *creds, ttl=HOUR)
    sps.delete_service_principal(database, "ci-bot")
    with pytest.raises(AuthenticationError):
        identity.authenticate_token(database, access)
    assert groups.list_members(database, "bots") == []
    with database.read() as session:
        assert RbacRepository(session).assignments_of([bot.id]) == []


def test_a_service_principal_holds_its_groups_roles(database: Database) -> None:
    bot = sp_principal(database, new_sp(database, "ci-bot"))
    readers = group(database, "readers")
    groups.add_member(database, "readers", "sp:ci-bot")
    assign(database, readers, "Reader", WS)
    assert can(database, bot, A.WORKSPACES_READ)
    assert not can(database, bot, A.WORKSPACES_WRITE)


def test_a_service_principal_has_no_personal_tokens_nor_password(database: Database) -> None:
    bot = sp_principal(database, new_sp(database, "ci-bot"))
    with pytest.raises(ValidationError, match="oauth2/token"):
        identity.create_token(database, bot.id, "pat", 1)
    with pytest.raises(ValidationError, match="reset-secret"):
        users.change_own_password(database, bot.id, "x", "a long new password")


# resolve_principal


def test_resolve_by_any_name_or_id(database: Database) -> None:
    alice = user(database, "alice")
    team = group(database, "Team")
    made, _ = sps.create_service_principal(database, "ci-bot", secret_ttl_days=30, created_by=None)
    assert resolve_principal(database, "ALICE") == PrincipalRef(alice.id, PrincipalType.USER, "alice")
    assert resolve_principal(database, alice.id).name == "alice"
    assert resolve_principal(database, "team") == PrincipalRef(team.id, PrincipalType.GROUP, "Team")
    assert resolve_principal(database, team.id).type is PrincipalType.GROUP
    for ref in ("ci-bot", made.client_id, made.id, "sp:ci-bot"):
        assert resolve_principal(database, ref) == PrincipalRef(made.id, PrincipalType.SERVICE_PRINCIPAL, "ci-bot")


def test_resolve_refuses_the_unknown_and_the_ambiguous(database: Database) -> None:
    with pytest.raises(PrincipalNotFound, match="'ghost'") as caught:
        resolve_principal(database, "ghost")
    assert caught.value.status == 404
    ops_user = user(database, "ops")
    ops_group = group(database, "ops")
    with pytest.raises(ValidationError, match="'user:ops', 'group:ops' or 'sp:ops'"):
        resolve_principal(database, "ops")
    assert resolve_principal(database, "user:ops").id == ops_user.id
    assert resolve_principal(database, "Group:OPS").id == ops_group.id
    with pytest.raises(PrincipalNotFound):
        resolve_principal(database, "sp:ops")
    with pytest.raises(PrincipalNotFound):
        resolve_principal(database, "user:")
