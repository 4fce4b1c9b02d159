"""Table and repository for datastores (where a workspace's data lives)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.hierarchy import Datastore
from mlyard.core.names import name_key
from mlyard.store.base import Base


class DatastoreRow(Base):
    __tablename__ = "datastores"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str]
    name_key: Mapped[str]
    datastore_type: Mapped[str] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    properties: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]

    def to_entity(self) -> Datastore:
        return Datastore(
            self.id,
            self.workspace_id,
            self.name,
            self.datastore_type,
            self.is_default,
            dict(self.properties),
            self.created_at,
        )


class DatastoreRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, workspace_id: str) -> list[Datastore]:
        rows = self.session.scalars(
            select(DatastoreRow).where(DatastoreRow.workspace_id == workspace_id).order_by(DatastoreRow.name_key)
        )
        return [r.to_entity() for r in rows]

    def get(self, workspace_id: str, name: str) -> Datastore | None:
        row = self.session.scalar(
            select(DatastoreRow).where(
                DatastoreRow.workspace_id == workspace_id, DatastoreRow.name_key == name_key(name)
            )
        )
        return row.to_entity() if row else None

    def get_default(self, workspace_id: str) -> Datastore | None:
        row = self.session.scalar(
            select(DatastoreRow).where(DatastoreRow.workspace_id == workspace_id, DatastoreRow.is_default)
        )
        return row.to_entity() if row else None

    def add(self, row: DatastoreRow) -> Datastore:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()
