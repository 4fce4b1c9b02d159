"""Table and repository for template deployments (their history, as Azure keeps it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.deployments import Deployment
from mlyard.core.names import name_key
from mlyard.store.base import Base


class DeploymentRow(Base):
    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("scope_key", "name_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope: Mapped[str] = mapped_column(Text)
    scope_key: Mapped[str] = mapped_column(String(512), index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    template: Mapped[dict[str, Any]]
    changes: Mapped[list[dict[str, Any]]]
    warnings: Mapped[list[str]]
    outputs: Mapped[dict[str, Any]]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    created_by: Mapped[str | None]

    def to_entity(self) -> Deployment:
        return Deployment(
            self.id,
            self.scope,
            self.name,
            self.status,
            list(self.changes),
            list(self.warnings),
            dict(self.outputs),
            self.error,
            self.created_at,
            self.updated_at,
            self.created_by,
        )


class DeploymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_row(self, scope_key: str, name: str) -> DeploymentRow | None:
        return self.session.scalar(
            select(DeploymentRow).where(DeploymentRow.scope_key == scope_key, DeploymentRow.name_key == name_key(name))
        )

    def list(self, scope_key: str) -> list[Deployment]:
        rows = self.session.scalars(
            select(DeploymentRow).where(DeploymentRow.scope_key == scope_key).order_by(DeploymentRow.created_at)
        )
        return [r.to_entity() for r in rows]

    def add(self, row: DeploymentRow) -> None:
        self.session.add(row)
        self.session.flush()
