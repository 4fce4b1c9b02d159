"""Service principals: an application's identity, a client id and a secret kept only hashed.

The secret is shown once, when made or reset. The application trades it for a short-lived
bearer token (OAuth2's client-credentials grant, :func:`exchange_secret`); resetting the
secret also ends every token issued for the old one.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from mlyard.core.entities.identity import AccessToken, PrincipalType, ServicePrincipal
from mlyard.core.errors import AuthenticationError, ServicePrincipalAlreadyExists, ServicePrincipalNotFound
from mlyard.core.ids import new_id, new_secret, utcnow
from mlyard.core.names import name_key
from mlyard.services.identity import hash_password, issue_token, password_matches
from mlyard.services.principals import SP_NAME, keep_a_root_owner, lock_directory, root_owners
from mlyard.store.database import Database
from mlyard.store.identity import AccessTokenRow
from mlyard.store.principals import ServicePrincipalRepository, ServicePrincipalRow, forget_principal

SECRET_PREFIX = "mlys_"
TOKEN_NAME = "client-credentials"
_BAD_CLIENT = "The client id or client secret is wrong."


def _row(session: Session, ref: str) -> ServicePrincipalRow:
    row = ServicePrincipalRepository(session).get_row(ref.strip())
    if row is None:
        raise ServicePrincipalNotFound(
            f"No service principal has the client id, id or name '{ref}': see 'mlyard ad sp list'.",
            target="clientId",
        )
    return row


def create_service_principal(
    db: Database, display_name: str, *, secret_ttl_days: int, created_by: str | None
) -> tuple[ServicePrincipal, str]:
    """A new service principal and its secret, returned this once."""
    SP_NAME.check(display_name, target="displayName")
    secret = new_secret(SECRET_PREFIX)
    now = utcnow()
    with db.write() as session:
        repo = ServicePrincipalRepository(session)
        if repo.get_row(display_name) is not None:
            raise ServicePrincipalAlreadyExists(
                f"A service principal named '{display_name}' already exists.", target="displayName"
            )
        row = ServicePrincipalRow(
            id=new_id(),
            display_name=display_name,
            name_key=name_key(display_name),
            client_id=str(uuid.uuid4()),
            secret_hash=hash_password(secret),
            secret_expires_at=now + timedelta(days=secret_ttl_days),
            created_at=now,
            created_by=created_by,
        )
        repo.add(row)
        return row.to_entity(), secret


def list_service_principals(db: Database) -> list[ServicePrincipal]:
    with db.read() as session:
        return ServicePrincipalRepository(session).list_service_principals()


def get_service_principal(db: Database, ref: str) -> ServicePrincipal:
    """By client id, id or display name."""
    with db.read() as session:
        return _row(session, ref).to_entity()


def delete_service_principal(db: Database, ref: str) -> ServicePrincipal:
    """Delete it with its tokens, role assignments and group memberships."""
    with db.write() as session:
        lock_directory(session)
        row = _row(session, ref)
        before = root_owners(session)
        sp = row.to_entity()
        forget_principal(session, row.id)
        ServicePrincipalRepository(session).delete(row)
        keep_a_root_owner(session, before, f"delete service principal '{sp.display_name}'")
        return sp


def reset_secret(db: Database, ref: str, *, secret_ttl_days: int) -> tuple[ServicePrincipal, str]:
    """A new secret, returned this once; the old secret and its tokens stop working at once."""
    secret = new_secret(SECRET_PREFIX)
    with db.write() as session:
        row = _row(session, ref)
        row.secret_hash = hash_password(secret)
        row.secret_expires_at = utcnow() + timedelta(days=secret_ttl_days)
        session.execute(delete(AccessTokenRow).where(AccessTokenRow.principal_id == row.id))
        return row.to_entity(), secret


def exchange_secret(db: Database, client_id: str, client_secret: str, *, ttl: timedelta) -> tuple[AccessToken, str]:
    """OAuth2 client credentials: a bearer token for a right client id and secret."""
    with db.read() as session:
        row = ServicePrincipalRepository(session).get_by_client_id(client_id.strip().lower())
        sp_id = row.id if row else None
        stored = row.secret_hash if row else None
    # Verified outside the write transaction (argon2 is slow on purpose), and even for an
    # unknown client id, so that timing does not tell which ids exist.
    if not password_matches(stored, client_secret) or row is None or sp_id is None:
        raise AuthenticationError(_BAD_CLIENT, target="client_id")
    if row.secret_expires_at <= utcnow():
        raise AuthenticationError(
            f"The client secret of service principal '{row.display_name}' expired on "
            f"{row.secret_expires_at:%Y-%m-%d}: an administrator makes a new one with "
            f"'mlyard ad sp reset-secret --id {row.client_id}'.",
            target="client_secret",
            reason="SecretExpired",
        )
    with db.write() as session:
        current = session.get(ServicePrincipalRow, sp_id)
        # The secret may have been reset (or the principal deleted) since it was verified.
        if current is None or current.secret_hash != stored:
            raise AuthenticationError(_BAD_CLIENT, target="client_id")
        return issue_token(session, sp_id, PrincipalType.SERVICE_PRINCIPAL, TOKEN_NAME, ttl)


__all__ = [
    "create_service_principal",
    "delete_service_principal",
    "exchange_secret",
    "get_service_principal",
    "list_service_principals",
    "reset_secret",
]
