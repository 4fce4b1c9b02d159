"""Helpers of the identity and authorization service tests: users, role assignments, and the
whole database as one text (to show that a secret is stored only as a hash)."""

from __future__ import annotations

from sqlalchemy import select

from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.scopes import Scope
from mlyard.services import identity, rbac
from mlyard.store.database import METADATA, Database

PASSWORD = "correct horse battery"


def user(db: Database, name: str) -> Principal:
    made = identity.create_user(db, name, PASSWORD)
    return Principal(made.id, PrincipalType.USER, made.username, "test")


def assign(db: Database, who: Principal, role: str, scope: Scope) -> None:
    rbac.assign_role(db, who.id, who.type, role, scope, created_by=None)


def dump_database(db: Database) -> str:
    """Every value of every row of every table, as one text to search."""
    with db.read() as session:
        return "\n".join(repr(tuple(row)) for t in METADATA.sorted_tables for row in session.execute(select(t)))
