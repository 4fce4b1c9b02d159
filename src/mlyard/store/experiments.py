"""Table and repository of experiments.

An experiment belongs to its workspace (``ON DELETE CASCADE``) and is named uniquely in it by its
name key. Deleting one sets ``deleted_at``: its runs count as deleted from then on (see
:mod:`mlyard.store.runs`), and garbage collection purges it once it holds no run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Select, String, UniqueConstraint, bindparam, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.tracking import Experiment
from mlyard.core.names import name_key
from mlyard.store.base import Base


class ExperimentRow(Base):
    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(String(255))
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    tags: Mapped[dict[str, str]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    def to_entity(self) -> Experiment:
        return _experiment(self)


def _experiment(r: Any) -> Experiment:
    """An experiment of its row: an ``ExperimentRow``, or a plain row of its columns."""
    return Experiment(
        id=r.id,
        workspace_id=r.workspace_id,
        name=r.name,
        archived=r.archived,
        tags=dict(r.tags),
        created_at=r.created_at,
        updated_at=r.updated_at,
        deleted_at=r.deleted_at,
    )


def _experiment_query(include_deleted: bool, for_update: bool) -> Select[Any]:
    table = ExperimentRow.__table__
    query = select(*table.c).where(
        table.c.workspace_id == bindparam("workspace_id"), table.c.name_key == bindparam("name_key")
    )
    if not include_deleted:
        query = query.where(table.c.deleted_at.is_(None))
    return query.with_for_update() if for_update else query


# The statements of run creation, built once (building one costs more than running it here).
_EXPERIMENT_BY_NAME = {
    (include_deleted, for_update): _experiment_query(include_deleted, for_update)
    for include_deleted in (False, True)
    for for_update in (False, True)
}


class ExperimentRepository:
    """Reads and writes experiments; callers own the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_experiment(
        self, workspace_id: str, name: str, *, include_deleted: bool = False, for_update: bool = False
    ) -> Experiment | None:
        # A statement built once, of plain columns: run creation reads its experiment on every request.
        query = _EXPERIMENT_BY_NAME[include_deleted, for_update]
        row = self.session.execute(query, {"workspace_id": workspace_id, "name_key": name_key(name)}).first()
        return _experiment(row) if row else None

    def lock_experiment(self, experiment_id: str) -> Experiment | None:
        """Lock the experiment's row, which serializes the run numbering of one experiment on
        PostgreSQL (SQLite's BEGIN IMMEDIATE serializes every writer already)."""
        row = self.session.scalar(select(ExperimentRow).where(ExperimentRow.id == experiment_id).with_for_update())
        return row.to_entity() if row else None

    def list_experiments(self, workspace_id: str, archived: bool | None = None) -> list[Experiment]:
        query = select(ExperimentRow).where(
            ExperimentRow.workspace_id == workspace_id, ExperimentRow.deleted_at.is_(None)
        )
        if archived is not None:
            query = query.where(ExperimentRow.archived.is_(archived))
        return [r.to_entity() for r in self.session.scalars(query.order_by(ExperimentRow.name_key))]

    def add_experiment(self, row: ExperimentRow) -> Experiment:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()

    def update_experiment(self, experiment_id: str, **values: Any) -> None:
        self.session.execute(
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def expired_experiments(self, cutoff: datetime, *, after: str = "", limit: int = 500) -> list[str]:
        query = select(ExperimentRow.id).where(ExperimentRow.deleted_at < cutoff, ExperimentRow.id > after)
        return list(self.session.scalars(query.order_by(ExperimentRow.id).limit(limit)))
