"""Identity through the services: users, passwords and access tokens, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from tests.contract.identity_helpers import PASSWORD, dump_database

from mlyard.core.entities.identity import PrincipalType
from mlyard.core.errors import (
    AuthenticationError,
    InvalidName,
    TokenNotFound,
    UserAlreadyExists,
    ValidationError,
)
from mlyard.core.ids import utcnow
from mlyard.services import identity
from mlyard.store.database import Database
from mlyard.store.identity import AccessTokenRow, UserRow

# identity: users and passwords


def test_create_user(database: Database) -> None:
    created = identity.create_user(database, "Jane.Doe", PASSWORD, display_name="Jane", email="jane@example.org")
    assert (created.username, created.display_name, created.email, created.is_active) == (
        "Jane.Doe",
        "Jane",
        "jane@example.org",
        True,
    )
    assert identity.find_user(database, "jane.doe") == created
    assert identity.get_user(database, created.id) == created
    assert identity.has_users(database)
    assert identity.create_user(database, "bob", None).display_name == "bob"


def test_no_users_at_first(database: Database) -> None:
    assert not identity.has_users(database)
    assert identity.find_user(database, "anyone") is None


def test_duplicate_user_without_regard_to_case(database: Database) -> None:
    first = identity.create_user(database, "alice", PASSWORD)
    with pytest.raises(UserAlreadyExists) as info:
        identity.create_user(database, "ALICE", "another password")
    assert info.value.status == 409 and info.value.target == "username"
    assert identity.authenticate_password(database, "alice", PASSWORD) == first


@pytest.mark.parametrize("password", ["", "short", "7chars!"])
def test_short_password_refused(database: Database, password: str) -> None:
    with pytest.raises(ValidationError) as info:
        identity.create_user(database, "alice", password)
    assert info.value.target == "password" and "8" in info.value.message
    assert identity.find_user(database, "alice") is None


def test_bad_user_name_refused(database: Database) -> None:
    with pytest.raises(InvalidName) as info:
        identity.create_user(database, "a b", PASSWORD)
    assert info.value.target == "username"


def test_authenticate_password(database: Database) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    assert identity.authenticate_password(database, "alice", PASSWORD) == alice
    assert identity.authenticate_password(database, "ALICE", PASSWORD) == alice
    identity.create_user(database, "nopass", None)
    messages = set()
    for name, password in (
        ("alice", "wrong password"),
        ("alice", PASSWORD.upper()),
        ("alice", ""),
        ("nobody", PASSWORD),
        ("nopass", ""),
        ("nopass", "mlyard-timing-equaliser"),  # the dummy hash's password opens nothing
    ):
        with pytest.raises(AuthenticationError) as info:
            identity.authenticate_password(database, name, password)
        assert info.value.status == 401
        messages.add(info.value.message)
    assert len(messages) == 1, messages  # the same answer whatever was wrong


def test_a_disabled_user_cannot_sign_in(database: Database) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    secret = identity.create_token(database, alice.id, "t", 1)[1]
    with database.write() as session:
        session.execute(update(UserRow).where(UserRow.id == alice.id).values(is_active=False))
    with pytest.raises(AuthenticationError) as info:
        identity.authenticate_password(database, "alice", PASSWORD)
    assert info.value.message == "The user name or password is wrong."
    with pytest.raises(AuthenticationError):
        identity.authenticate_token(database, secret)


def test_passwords_are_hashed(database: Database) -> None:
    identity.create_user(database, "alice", PASSWORD)
    with database.read() as session:
        stored = session.scalar(select(UserRow.password_hash))
    assert stored is not None and stored.startswith("$argon2")
    assert PASSWORD not in dump_database(database)


# identity: tokens


def test_tokens_create_list_revoke(database: Database) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    bob = identity.create_user(database, "bob", PASSWORD)
    token, secret = identity.create_token(database, alice.id, "laptop", 30)
    assert secret.startswith("mly_") and len(secret) > 40
    assert token.principal_id == alice.id and token.name == "laptop" and token.revoked_at is None
    assert timedelta(days=30) - timedelta(seconds=5) < token.expires_at - utcnow() <= timedelta(days=30)
    second, secret2 = identity.create_token(database, alice.id, "ci", 1)
    assert secret2 != secret
    assert [t.id for t in identity.list_tokens(database, alice.id)] == [token.id, second.id]
    assert identity.list_tokens(database, bob.id) == []

    principal = identity.authenticate_token(database, secret)
    assert (principal.id, principal.name, principal.token_id, principal.type) == (
        alice.id,
        "alice",
        token.id,
        PrincipalType.USER,
    )
    assert principal.auth_method == "token"

    with pytest.raises(TokenNotFound):
        identity.revoke_token(database, bob.id, token.id)  # not bob's
    with pytest.raises(TokenNotFound):
        identity.revoke_token(database, alice.id, "no-such-token")
    revoked = identity.revoke_token(database, alice.id, token.id)
    assert revoked.revoked_at is not None
    again = identity.revoke_token(database, alice.id, token.id)
    assert again.revoked_at == revoked.revoked_at  # revoking twice keeps the first time
    with pytest.raises(AuthenticationError) as info:
        identity.authenticate_token(database, secret)
    assert "revoked" in info.value.message
    assert identity.authenticate_token(database, secret2).token_id == second.id
    assert [t.revoked_at is not None for t in identity.list_tokens(database, alice.id)] == [True, False]


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_token_lifetime_limits(database: Database, days: int) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    with pytest.raises(ValidationError) as info:
        identity.create_token(database, alice.id, "t", days)
    assert info.value.target == "expiresInDays"


@pytest.mark.parametrize("name", ["", "bad\nname", "x" * 101])
def test_token_names(database: Database, name: str) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    with pytest.raises(InvalidName):
        identity.create_token(database, alice.id, name, 1)


def test_expired_token_refused(database: Database) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    token, secret = identity.create_token(database, alice.id, "short-lived", 1)
    assert identity.authenticate_token(database, secret).id == alice.id
    with database.write() as session:
        session.execute(
            update(AccessTokenRow)
            .where(AccessTokenRow.id == token.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(AuthenticationError) as info:
        identity.authenticate_token(database, secret)
    assert "expired" in info.value.message
    assert info.value.status == 401


@pytest.mark.parametrize("secret", ["", "mly_", "mly_not-a-real-token", "Bearer mly_x", "not-even-prefixed"])
def test_unknown_tokens_refused(database: Database, secret: str) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    identity.create_token(database, alice.id, "t", 1)
    with pytest.raises(AuthenticationError) as info:
        identity.authenticate_token(database, secret)
    if secret:
        assert secret not in info.value.message


def test_a_token_with_a_case_changed_secret_is_refused(database: Database) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    _, secret = identity.create_token(database, alice.id, "t", 1)
    flipped = secret[:4] + secret[4:].swapcase()
    if flipped != secret:
        with pytest.raises(AuthenticationError):
            identity.authenticate_token(database, flipped)


def test_using_a_token_records_when(database: Database) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    token, secret = identity.create_token(database, alice.id, "t", 1)
    identity.authenticate_token(database, secret)
    (listed,) = identity.list_tokens(database, alice.id)
    assert listed.last_used_at is not None and listed.last_used_at >= token.created_at


def test_a_token_is_stored_only_as_a_hash(database: Database) -> None:
    alice = identity.create_user(database, "alice", PASSWORD)
    token, secret = identity.create_token(database, alice.id, "laptop", 30)
    dump = dump_database(database)
    assert secret not in dump
    assert secret.removeprefix("mly_") not in dump
    assert hashlib.sha256(secret.encode()).hexdigest() in dump
    with database.read() as session:
        row = session.get(AccessTokenRow, token.id)
        assert row is not None and row.token_hash == identity.hash_token(secret)
