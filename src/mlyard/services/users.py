"""Users, the administrator's side: list, show, delete, set a password; and changing one's own.

Creating a user is :func:`mlyard.services.identity.create_user`, shared with start-up.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from mlyard.core.entities.identity import User
from mlyard.core.errors import UserNotFound, ValidationError
from mlyard.services.identity import check_password_strength, hash_password, password_matches
from mlyard.services.principals import keep_a_root_owner, lock_directory, root_owners
from mlyard.store.database import Database
from mlyard.store.identity import IdentityRepository, UserRow
from mlyard.store.principals import forget_principal


def _row(session: Session, ref: str) -> UserRow:
    repo = IdentityRepository(session)
    row = repo.get_user_row(ref) or session.get(UserRow, ref)
    if row is None:
        raise UserNotFound(f"No user is named '{ref}': see 'mlyard ad user list'.", target="username")
    return row


def list_users(db: Database) -> list[User]:
    with db.read() as session:
        return IdentityRepository(session).list_users()


def get_user(db: Database, ref: str) -> User:
    """A user by name (any case) or id."""
    with db.read() as session:
        return _row(session, ref).to_entity()


def delete_user(db: Database, ref: str) -> User:
    """Delete a user with their tokens, role assignments and group memberships.

    Refused when they are the last one holding Owner at '/'.
    """
    with db.write() as session:
        lock_directory(session)
        row = _row(session, ref)
        before = root_owners(session)
        user = row.to_entity()
        forget_principal(session, row.id)
        session.delete(row)
        keep_a_root_owner(session, before, f"delete user '{user.username}'")
        return user


def set_password(db: Database, ref: str, password: str) -> User:
    """An administrator sets a user's password (no current password needed)."""
    check_password_strength(password)
    with db.write() as session:
        row = _row(session, ref)
        row.password_hash = hash_password(password)
        return row.to_entity()


def change_own_password(db: Database, user_id: str, current_password: str, new_password: str) -> User:
    """A user replaces their own password, proving the current one first."""
    check_password_strength(new_password)
    with db.write() as session:
        row = session.get(UserRow, user_id)
        if row is None:
            raise ValidationError(
                "Only users have passwords: a service principal resets its secret with "
                "'mlyard ad sp reset-secret' (by an administrator).",
                target="principal",
            )
        if not password_matches(row.password_hash, current_password):
            raise ValidationError("The current password is wrong.", target="currentPassword")
        row.password_hash = hash_password(new_password)
        return row.to_entity()


__all__ = ["change_own_password", "delete_user", "get_user", "list_users", "set_password"]
