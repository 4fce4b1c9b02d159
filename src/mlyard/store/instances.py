"""Table and repository of compute-instance sessions: one row per start, closed by its stop.

A session keeps the instance's name, size and price as they were, and outlives the instance,
so that a deleted instance's hours still count in the workspace's usage.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.compute import ComputeTarget, ComputeType
from mlyard.core.entities.instances import InstanceSession, StopReason
from mlyard.store.base import Base
from mlyard.store.compute import ComputeTargetRow


def instance_targets(session: Session) -> list[ComputeTarget]:
    """Every compute instance of every workspace (what the scheduler looks at)."""
    rows = session.scalars(
        select(ComputeTargetRow).where(ComputeTargetRow.compute_type == ComputeType.COMPUTE_INSTANCE.value)
    )
    return [r.to_entity() for r in rows]


class InstanceSessionRow(Base):
    __tablename__ = "instance_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    target_id: Mapped[str] = mapped_column(String(36), index=True)
    target_name: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(64))
    vm_size: Mapped[str] = mapped_column(String(64))
    cores: Mapped[int] = mapped_column(Integer)
    price_per_hour: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    # Set by whoever asks for a stop that is not the user's (idle shutdown, a schedule).
    pending_stop_reason: Mapped[str | None] = mapped_column(String(32))

    def to_entity(self) -> InstanceSession:
        return InstanceSession(
            id=self.id,
            workspace_id=self.workspace_id,
            target_id=self.target_id,
            target_name=self.target_name,
            owner=self.owner,
            vm_size=self.vm_size,
            cores=self.cores,
            price_per_hour=self.price_per_hour,
            started_at=self.started_at,
            stopped_at=self.stopped_at,
            stop_reason=StopReason(self.stop_reason) if self.stop_reason else None,
        )


class InstanceSessionRepository:
    """Reads and writes instance sessions; callers own the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: InstanceSessionRow) -> InstanceSession:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()

    def open_session(self, target_id: str) -> InstanceSessionRow | None:
        return self.session.scalar(
            select(InstanceSessionRow)
            .where(InstanceSessionRow.target_id == target_id, InstanceSessionRow.stopped_at.is_(None))
            .order_by(InstanceSessionRow.started_at.desc())
            .limit(1)
        )

    def open_sessions(self) -> list[InstanceSession]:
        rows = self.session.scalars(select(InstanceSessionRow).where(InstanceSessionRow.stopped_at.is_(None)))
        return [r.to_entity() for r in rows]

    def close(self, target_id: str, at: datetime, reason: StopReason | None) -> int:
        """End the target's open sessions; a reason asked for earlier (idle, schedule) wins over ``reason``."""
        closed = 0
        while (row := self.open_session(target_id)) is not None:
            row.stopped_at = at
            row.stop_reason = row.pending_stop_reason or (reason.value if reason else StopReason.USER.value)
            self.session.flush()
            closed += 1
        return closed

    def mark_pending_stop(self, target_id: str, reason: StopReason) -> None:
        self.session.execute(
            update(InstanceSessionRow)
            .where(InstanceSessionRow.target_id == target_id, InstanceSessionRow.stopped_at.is_(None))
            .values(pending_stop_reason=reason.value)
            .execution_options(synchronize_session=False)
        )

    def in_workspace(self, workspace_id: str, *, since: datetime | None = None) -> list[InstanceSession]:
        query = select(InstanceSessionRow).where(InstanceSessionRow.workspace_id == workspace_id)
        if since is not None:
            query = query.where((InstanceSessionRow.stopped_at.is_(None)) | (InstanceSessionRow.stopped_at >= since))
        rows = self.session.scalars(query.order_by(InstanceSessionRow.started_at))
        return [r.to_entity() for r in rows]
