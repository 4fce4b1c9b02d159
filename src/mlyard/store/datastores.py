"""Table and repository for datastores (where a workspace's data lives)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.datastores import CredentialRef, Datastore, DatastoreType
from mlyard.core.names import name_key
from mlyard.store.base import Base


class DatastoreRow(Base):
    __tablename__ = "datastores"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name_key"),
        # At most one default per workspace, whatever two requests do at the same time.
        Index(
            "uq_datastores_default",
            "workspace_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str]
    name_key: Mapped[str]
    datastore_type: Mapped[str] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    properties: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(64), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    # The vault secret holding the credentials, and the version registered (never the value).
    secret_name: Mapped[str | None] = mapped_column(String(127), default=None)
    secret_version: Mapped[int | None] = mapped_column(default=None)

    def to_entity(self) -> Datastore:
        secret = (
            CredentialRef(self.secret_name, self.secret_version)
            if self.secret_name is not None and self.secret_version is not None
            else None
        )
        return Datastore(
            self.id,
            self.workspace_id,
            self.name,
            DatastoreType(self.datastore_type),
            self.is_default,
            dict(self.properties),
            self.created_at,
            self.created_by,
            self.updated_at,
            secret,
        )


class DatastoreRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, workspace_id: str) -> list[Datastore]:
        rows = self.session.scalars(
            select(DatastoreRow).where(DatastoreRow.workspace_id == workspace_id).order_by(DatastoreRow.name_key)
        )
        return [r.to_entity() for r in rows]

    def get_row(self, workspace_id: str, name: str) -> DatastoreRow | None:
        return self.session.scalar(
            select(DatastoreRow).where(
                DatastoreRow.workspace_id == workspace_id, DatastoreRow.name_key == name_key(name)
            )
        )

    def get(self, workspace_id: str, name: str) -> Datastore | None:
        row = self.get_row(workspace_id, name)
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

    def delete(self, row: DatastoreRow) -> None:
        self.session.delete(row)
        self.session.flush()

    def make_default(self, row: DatastoreRow) -> Datastore:
        """Make ``row`` its workspace's only default (the old one is cleared first, for the index)."""
        self.session.execute(
            update(DatastoreRow)
            .where(DatastoreRow.workspace_id == row.workspace_id, DatastoreRow.is_default, DatastoreRow.id != row.id)
            .values(is_default=False)
            .execution_options(synchronize_session="fetch")
        )
        row.is_default = True
        self.session.flush()
        return row.to_entity()
