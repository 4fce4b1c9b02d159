"""Tables and repositories for users and their access tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.identity import AccessToken, User
from mlyard.core.names import name_key
from mlyard.store.base import Base


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str]
    email: Mapped[str | None]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]

    def to_entity(self) -> User:
        return User(self.id, self.username, self.display_name, self.email, self.is_active, self.created_at)


class AccessTokenRow(Base):
    """A bearer token. Only a SHA-256 digest is kept: tokens are 256-bit random strings, so a
    slow hash adds nothing, and a fast one lets every request find its token by index."""

    __tablename__ = "access_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    principal_id: Mapped[str] = mapped_column(String(36), index=True)
    # Which table principal_id points into: a user's token or a service principal's.
    principal_type: Mapped[str] = mapped_column(String(32), default="User", server_default="User")
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    # A job's token works only inside this scope (its run's workspace); None: wherever its
    # principal's roles reach.
    scope: Mapped[str | None] = mapped_column(String(400), default=None)

    def to_entity(self) -> AccessToken:
        return AccessToken(
            self.id,
            self.principal_id,
            self.name,
            self.created_at,
            self.expires_at,
            self.revoked_at,
            self.last_used_at,
        )


class IdentityRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_user_row(self, username: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.name_key == name_key(username)))

    def get_user_by_id(self, user_id: str) -> User | None:
        row = self.session.get(UserRow, user_id)
        return row.to_entity() if row else None

    def list_users(self) -> list[User]:
        return [r.to_entity() for r in self.session.scalars(select(UserRow).order_by(UserRow.name_key))]

    def count_users(self) -> int:
        return len(list(self.session.scalars(select(UserRow.id).limit(1))))

    def add(self, row: UserRow | AccessTokenRow) -> None:
        self.session.add(row)
        self.session.flush()

    def find_token(self, token_hash: str) -> AccessTokenRow | None:
        return self.session.scalar(select(AccessTokenRow).where(AccessTokenRow.token_hash == token_hash))

    def get_token_row(self, principal_id: str, token_id: str) -> AccessTokenRow | None:
        return self.session.scalar(
            select(AccessTokenRow).where(AccessTokenRow.id == token_id, AccessTokenRow.principal_id == principal_id)
        )

    def list_tokens(self, principal_id: str) -> list[AccessToken]:
        rows = self.session.scalars(
            select(AccessTokenRow)
            .where(AccessTokenRow.principal_id == principal_id)
            .order_by(AccessTokenRow.created_at)
        )
        return [r.to_entity() for r in rows]

    def revoke_token(self, token_id: str, when: datetime) -> None:
        self.session.execute(
            update(AccessTokenRow)
            .where(AccessTokenRow.id == token_id, AccessTokenRow.revoked_at.is_(None))
            .values(revoked_at=when)
        )

    def touch_token(self, token_id: str, when: datetime) -> None:
        self.session.execute(update(AccessTokenRow).where(AccessTokenRow.id == token_id).values(last_used_at=when))


__all__ = ["AccessTokenRow", "IdentityRepository", "UserRow"]
