"""Users, passwords and access tokens; turning a bearer token into a principal."""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from mlyard.core.entities.identity import AccessToken, Principal, PrincipalType, User
from mlyard.core.errors import AuthenticationError, TokenNotFound, UserAlreadyExists, ValidationError
from mlyard.core.ids import new_id, new_secret, utcnow
from mlyard.core.names import TOKEN_NAME, USER_NAME, name_key
from mlyard.core.scopes import Scope
from mlyard.services.auth_cache import cache_of
from mlyard.store.database import Database
from mlyard.store.identity import AccessTokenRow, IdentityRepository, UserRow
from mlyard.store.principals import ServicePrincipalRepository

TOKEN_PREFIX = "mly_"
MIN_PASSWORD_LENGTH = 8
_hasher = PasswordHasher()
_LOGIN_FAILED = "The user name or password is wrong."


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An argon2 hash of a password or client secret."""
    return str(_hasher.hash(password))


@functools.cache
def _dummy_hash() -> str:
    # Verifying against this keeps a wrong user name as slow as a wrong password. Made on first
    # use, not at import: hashing takes a tenth of a second that every server start would pay.
    return str(_hasher.hash("mlyard-timing-equaliser"))


def password_matches(stored: str | None, given: str) -> bool:
    """Argon2 verification that takes as long whether or not there is a stored hash."""
    try:
        _hasher.verify(stored or _dummy_hash(), given)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return stored is not None


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters.", target="password"
        )


def create_user(
    db: Database,
    username: str,
    password: str | None,
    *,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    USER_NAME.check(username, target="username")
    if password is not None:
        check_password_strength(password)
    with db.write() as session:
        repo = IdentityRepository(session)
        if repo.get_user_row(username) is not None:
            raise UserAlreadyExists(f"A user named '{username}' already exists.", target="username")
        row = UserRow(
            id=new_id(),
            username=username,
            name_key=name_key(username),
            display_name=display_name or username,
            email=email,
            password_hash=hash_password(password) if password is not None else None,
            is_active=True,
            created_at=utcnow(),
        )
        repo.add(row)
        return row.to_entity()


def authenticate_password(db: Database, username: str, password: str) -> User:
    with db.read() as session:
        row = IdentityRepository(session).get_user_row(username)
        stored = row.password_hash if row is not None and row.is_active else None
        if row is None or not password_matches(stored, password):
            raise AuthenticationError(_LOGIN_FAILED)
        return row.to_entity()


def create_token(db: Database, principal_id: str, name: str, ttl_days: int) -> tuple[AccessToken, str]:
    """A new personal access token for a user; the secret is returned once and stored only hashed."""
    TOKEN_NAME.check(name, target="name")
    if not 1 <= ttl_days <= 3650:
        raise ValidationError(
            "A token lives from 1 to 3650 days: choose expiresInDays in that range.", target="expiresInDays"
        )
    with db.write() as session:
        if IdentityRepository(session).get_user_by_id(principal_id) is None:
            raise ValidationError(
                "Only users have personal access tokens: a service principal gets short-lived tokens "
                "from POST /api/v1/oauth2/token with its client id and secret.",
                target="principal",
            )
        return issue_token(session, principal_id, PrincipalType.USER, name, timedelta(days=ttl_days))


def issue_token(
    session: Session,
    principal_id: str,
    principal_type: PrincipalType,
    name: str,
    lifetime: timedelta,
    *,
    scope: Scope | None = None,
) -> tuple[AccessToken, str]:
    """Store a new token (its SHA-256 only) in an open transaction; the secret is returned once.
    A ``scope`` limits the token to that scope (see :class:`mlyard.services.rbac.Authorizer`)."""
    secret = new_secret(TOKEN_PREFIX)
    now = utcnow()
    row = AccessTokenRow(
        id=new_id(),
        principal_id=principal_id,
        principal_type=principal_type.value,
        name=name,
        token_hash=hash_token(secret),
        created_at=now,
        expires_at=now + lifetime,
        revoked_at=None,
        last_used_at=None,
        scope=scope.path if scope is not None else None,
    )
    IdentityRepository(session).add(row)
    return row.to_entity(), secret


def issue_job_token(
    db: Database, principal_id: str, principal_type: PrincipalType, run_id: str, scope: Scope, lifetime: timedelta
) -> tuple[AccessToken, str]:
    """The token a job's process acts with: its submitter's, limited to ``scope`` (the run's
    workspace), revoked when the job ends (:func:`revoke_token_id`)."""
    with db.write() as session:
        return issue_token(session, principal_id, principal_type, f"job {run_id}", lifetime, scope=scope)


def revoke_token_id(db: Database, token_id: str) -> None:
    with db.write() as session:
        IdentityRepository(session).revoke_token(token_id, utcnow())


# A token's lastUsedAt is refreshed at most this often, so that reads stay reads.
TOUCH_INTERVAL = timedelta(seconds=60)


def authenticate_token(db: Database, secret: str) -> Principal:
    """The principal a bearer token stands for, from a cache of a few seconds (see
    :mod:`mlyard.services.auth_cache`: a change on this server is seen at once)."""
    if not secret.startswith(TOKEN_PREFIX):
        return _authenticate(db, secret, "")[0]
    hashed = hash_token(secret)
    principal, _expires = cache_of(db).get_or_load(
        "token", hashed, lambda: _authenticate(db, secret, hashed), valid=_unexpired
    )
    return principal


def cached_principal(db: Database, secret: str) -> Principal | None:
    """The token's principal if the cache holds it (no database I/O), else None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    found = cache_of(db).peek("token", hash_token(secret), _unexpired)
    return found[0] if found is not None else None


def _unexpired(found: tuple[Principal, datetime]) -> bool:
    return found[1] > utcnow()


def _authenticate(db: Database, secret: str, hashed: str) -> tuple[Principal, datetime]:
    """The token's principal and its expiry, read from the database (refreshing lastUsedAt)."""
    now = utcnow()
    with db.read() as session:
        repo = IdentityRepository(session)
        row = repo.find_token(hashed) if secret.startswith(TOKEN_PREFIX) else None
        if row is None:
            raise AuthenticationError(
                "The access token is not valid: sign in again with 'mlyard login'.", reason="UnknownToken"
            )
        token = row.to_entity()
        if (
            token.revoked_at is None
            and token.expires_at > now
            and (token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL)
        ):
            with db.write() as writer:
                IdentityRepository(writer).touch_token(token.id, now)
        if token.revoked_at is not None:
            raise AuthenticationError(
                "The access token was revoked: sign in again with 'mlyard login'.", reason="TokenRevoked"
            )
        if token.expires_at <= now:
            raise AuthenticationError(
                "The access token has expired: sign in again with 'mlyard login'.", reason="TokenExpired"
            )
        limit = Scope.parse(row.scope) if row.scope is not None else None
        if row.principal_type == PrincipalType.SERVICE_PRINCIPAL.value:
            sp = ServicePrincipalRepository(session).get_by_id(token.principal_id)
            if sp is None:
                raise AuthenticationError(
                    "The access token's service principal no longer exists.", reason="PrincipalGone"
                )
            sp_principal = Principal(
                sp.id, PrincipalType.SERVICE_PRINCIPAL, sp.display_name, "client_credentials", token.id, limit
            )
            return sp_principal, token.expires_at
        user = repo.get_user_by_id(token.principal_id)
        if user is None or not user.is_active:
            raise AuthenticationError(
                "The access token's user no longer exists or is disabled.", reason="PrincipalGone"
            )
        return Principal(user.id, PrincipalType.USER, user.username, "token", token.id, limit), token.expires_at


def list_tokens(db: Database, principal_id: str) -> list[AccessToken]:
    with db.read() as session:
        return IdentityRepository(session).list_tokens(principal_id)


def revoke_token(db: Database, principal_id: str, token_id: str) -> AccessToken:
    with db.write() as session:
        row = IdentityRepository(session).get_token_row(principal_id, token_id)
        if row is None:
            raise TokenNotFound(f"No token with id '{token_id}' belongs to you.", target="tokenId")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        return row.to_entity()


def get_user(db: Database, user_id: str) -> User:
    with db.read() as session:
        user = IdentityRepository(session).get_user_by_id(user_id)
    if user is None:
        raise AuthenticationError("Your user no longer exists.")
    return user


def has_users(db: Database) -> bool:
    with db.read() as session:
        return IdentityRepository(session).count_users() > 0


def find_user(db: Database, username: str) -> User | None:
    with db.read() as session:
        row = IdentityRepository(session).get_user_row(username)
        return row.to_entity() if row else None


__all__ = [
    "authenticate_password",
    "authenticate_token",
    "create_token",
    "create_user",
    "hash_password",
    "hash_token",
    "issue_job_token",
    "issue_token",
    "list_tokens",
    "name_key",
    "password_matches",
    "revoke_token",
    "revoke_token_id",
]
