"""Table and repository of compute targets (names unique per workspace, without regard to case)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.compute import ComputeTarget, ComputeType, ProvisioningState
from mlyard.core.names import name_key
from mlyard.store.base import Base


class ComputeTargetRow(Base):
    __tablename__ = "compute_targets"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    compute_type: Mapped[str] = mapped_column(String(32))
    provisioning_state: Mapped[str] = mapped_column(String(32))
    provisioning_error: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(32))
    vm_size: Mapped[str | None] = mapped_column(String(64))
    max_concurrent_runs: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    properties: Mapped[dict[str, Any]]
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def to_entity(self) -> ComputeTarget:
        return ComputeTarget(
            id=self.id,
            workspace_id=self.workspace_id,
            name=self.name,
            compute_type=ComputeType(self.compute_type),
            provisioning_state=ProvisioningState(self.provisioning_state),
            provisioning_error=self.provisioning_error,
            state=self.state,
            vm_size=self.vm_size,
            max_concurrent_runs=self.max_concurrent_runs,
            description=self.description,
            properties=dict(self.properties),
            created_by=self.created_by,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )


class ComputeRepository:
    """Reads and writes compute targets; callers own the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def in_workspace(self, workspace_id: str) -> list[ComputeTarget]:
        rows = self.session.scalars(
            select(ComputeTargetRow)
            .where(ComputeTargetRow.workspace_id == workspace_id)
            .order_by(ComputeTargetRow.name_key)
        )
        return [r.to_entity() for r in rows]

    def get(self, workspace_id: str, name: str) -> ComputeTarget | None:
        row = self.session.scalar(
            select(ComputeTargetRow).where(
                ComputeTargetRow.workspace_id == workspace_id, ComputeTargetRow.name_key == name_key(name)
            )
        )
        return row.to_entity() if row else None

    def get_by_id(self, target_id: str) -> ComputeTarget | None:
        row = self.session.get(ComputeTargetRow, target_id)
        return row.to_entity() if row else None

    def add(self, row: ComputeTargetRow) -> ComputeTarget:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()

    def update(self, target_id: str, *, only_if_state: str | None = None, **values: Any) -> bool:
        """Change a target; with ``only_if_state``, only while its provisioning state is that one."""
        query = update(ComputeTargetRow).where(ComputeTargetRow.id == target_id)
        if only_if_state is not None:
            query = query.where(ComputeTargetRow.provisioning_state == only_if_state)
        result = self.session.execute(query.values(**values).execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def delete(self, target_id: str) -> None:
        row = self.session.get(ComputeTargetRow, target_id)
        if row is not None:
            self.session.delete(row)
            self.session.flush()

    def pending(self) -> list[ComputeTarget]:
        """Targets that wait for a backend's work: provisioning, deleting, starting or stopping."""
        rows = self.session.scalars(
            select(ComputeTargetRow).where(
                (ComputeTargetRow.provisioning_state.in_(["Creating", "Deleting"]))
                | (ComputeTargetRow.state.in_(["Starting", "Stopping", "Restarting"]))
            )
        )
        return [r.to_entity() for r in rows]
