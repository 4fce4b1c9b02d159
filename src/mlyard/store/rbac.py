"""Tables and repositories for role definitions and role assignments."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from mlyard.core.entities.identity import PrincipalType
from mlyard.core.entities.rbac import RoleAssignment, RoleDefinition
from mlyard.core.names import name_key
from mlyard.store.base import Base


class RoleDefinitionRow(Base):
    __tablename__ = "role_definitions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text)
    actions: Mapped[list[str]]
    not_actions: Mapped[list[str]]
    assignable_scopes: Mapped[list[str]]
    is_custom: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]

    def to_entity(self) -> RoleDefinition:
        return RoleDefinition(
            self.id,
            self.name,
            self.description,
            tuple(self.actions),
            tuple(self.not_actions),
            tuple(self.assignable_scopes),
            self.is_custom,
            self.created_at,
        )


class RoleAssignmentRow(Base):
    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("principal_id", "role_definition_id", "scope_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    principal_id: Mapped[str] = mapped_column(String(36), index=True)
    principal_type: Mapped[str] = mapped_column(String(32))
    role_definition_id: Mapped[str] = mapped_column(ForeignKey("role_definitions.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    scope_key: Mapped[str] = mapped_column(String(512), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None]

    role: Mapped[RoleDefinitionRow] = relationship(lazy="joined")

    def to_entity(self) -> RoleAssignment:
        return RoleAssignment(
            self.id,
            self.principal_id,
            PrincipalType(self.principal_type),
            self.role_definition_id,
            self.role.name,
            self.scope,
            self.created_at,
            self.created_by,
        )


class RbacRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_role_row(self, name: str) -> RoleDefinitionRow | None:
        return self.session.scalar(select(RoleDefinitionRow).where(RoleDefinitionRow.name_key == name_key(name)))

    def list_roles(self) -> list[RoleDefinition]:
        rows = self.session.scalars(select(RoleDefinitionRow).order_by(RoleDefinitionRow.name_key))
        return [r.to_entity() for r in rows]

    def add(self, row: RoleDefinitionRow | RoleAssignmentRow) -> None:
        self.session.add(row)
        self.session.flush()

    def assignments_of(self, principal_ids: list[str]) -> list[tuple[str, RoleDefinition]]:
        """(scope key, role) for every assignment held by any of the principals."""
        rows = self.session.scalars(select(RoleAssignmentRow).where(RoleAssignmentRow.principal_id.in_(principal_ids)))
        return [(r.scope_key, r.role.to_entity()) for r in rows]

    def find_assignment(self, principal_id: str, role_id: str, scope_key: str) -> RoleAssignmentRow | None:
        return self.session.scalar(
            select(RoleAssignmentRow).where(
                RoleAssignmentRow.principal_id == principal_id,
                RoleAssignmentRow.role_definition_id == role_id,
                RoleAssignmentRow.scope_key == scope_key,
            )
        )

    def list_assignments(
        self,
        scope_key_prefix: str | None = None,
        *,
        principal_id: str | None = None,
        scope_keys: Iterable[str] = (),
    ) -> list[RoleAssignment]:
        """Assignments at or below the prefix (or also exactly at one of ``scope_keys``), optionally one principal's."""
        query = select(RoleAssignmentRow).order_by(RoleAssignmentRow.scope_key, RoleAssignmentRow.created_at)
        if scope_key_prefix is not None and scope_key_prefix != "/":
            query = query.where(
                (RoleAssignmentRow.scope_key == scope_key_prefix)
                | RoleAssignmentRow.scope_key.startswith(scope_key_prefix + "/", autoescape=True)
                | RoleAssignmentRow.scope_key.in_(list(scope_keys))
            )
        if principal_id is not None:
            query = query.where(RoleAssignmentRow.principal_id == principal_id)
        return [r.to_entity() for r in self.session.scalars(query)]

    def get_role_by_id(self, role_id: str) -> RoleDefinitionRow | None:
        return self.session.get(RoleDefinitionRow, role_id)

    def delete_role(self, row: RoleDefinitionRow) -> None:
        # Explicitly, not through the foreign key's cascade, so that both backends agree on the outcome.
        self.session.execute(delete(RoleAssignmentRow).where(RoleAssignmentRow.role_definition_id == row.id))
        self.session.delete(row)
        self.session.flush()

    def assignments_of_role(self, role_id: str) -> list[RoleAssignment]:
        query = select(RoleAssignmentRow).where(RoleAssignmentRow.role_definition_id == role_id)
        return [r.to_entity() for r in self.session.scalars(query.order_by(RoleAssignmentRow.scope_key))]

    def get_assignment_row(self, assignment_id: str) -> RoleAssignmentRow | None:
        return self.session.get(RoleAssignmentRow, assignment_id)

    def delete_assignment(self, row: RoleAssignmentRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def holders(self, role_id: str, scope_keys: Iterable[str]) -> set[str]:
        """Ids of the principals that hold the role directly at any of the scopes."""
        query = select(RoleAssignmentRow.principal_id).where(
            RoleAssignmentRow.role_definition_id == role_id, RoleAssignmentRow.scope_key.in_(list(scope_keys))
        )
        return set(self.session.scalars(query))

    def delete_assignments_under(self, scope_key: str) -> int:
        result = self.session.execute(
            delete(RoleAssignmentRow).where(
                (RoleAssignmentRow.scope_key == scope_key)
                | RoleAssignmentRow.scope_key.startswith(scope_key + "/", autoescape=True)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
