"""Tables and repository of runs.

Tags, parameters and properties of a run live in key/value tables keyed by (run_id, key),
not in a JSON column, because run search filters on them. Everything hangs off its workspace
with ``ON DELETE CASCADE``, so that deleting a workspace removes its run history in the same
statement.

A run counts as deleted when its own ``deleted_at`` is set or its experiment's is: entities carry
the earlier of the two, listings leave both out, and garbage collection (``services.retention``)
purges them for good through the repository's purge methods.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from mlyard.core.entities.tracking import Run, RunStatus, RunType
from mlyard.store.base import Base
from mlyard.store.experiments import ExperimentRepository, ExperimentRow

RUN_ID_LENGTH = 32
KEY_LENGTH = 250
_DELETED = text("deleted_at IS NOT NULL")  # a partial index: most runs are not deleted


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("experiment_id", "number"),
        Index("ix_runs_workspace_id_created_at", "workspace_id", "created_at"),
        # Garbage collection pages through deleted runs by (deleted_at, id) (revision 0009).
        Index("ix_runs_deleted_at_id", "deleted_at", "id", postgresql_where=_DELETED, sqlite_where=_DELETED),
    )

    id: Mapped[str] = mapped_column(String(RUN_ID_LENGTH), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    display_name: Mapped[str | None]
    status: Mapped[str] = mapped_column(String(32))
    run_type: Mapped[str] = mapped_column(String(32))
    parent_run_id: Mapped[str | None] = mapped_column(
        ForeignKey("runs.id", ondelete="CASCADE"), index=True, nullable=True
    )
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    error: Mapped[dict[str, Any] | None]
    deleted_at: Mapped[datetime | None]


class RunTagRow(Base):
    __tablename__ = "run_tags"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunParamRow(Base):
    __tablename__ = "run_params"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunPropertyRow(Base):
    __tablename__ = "run_properties"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


KeyValueRow = type[RunTagRow] | type[RunParamRow] | type[RunPropertyRow]

_RUNS = cast(Table, RunRow.__table__)
# Run creation numbers its run with one statement, built once (building one costs more than running it here).
_NUMBERING = select(func.max(_RUNS.c.number), exists().where(_RUNS.c.id == bindparam("run_id"))).where(
    _RUNS.c.experiment_id == bindparam("experiment_id")
)


def _run_values(run: Run) -> dict[str, Any]:
    """The ``runs`` row of a run entity: the one place that builds it (every creation path)."""
    return {
        "id": run.id, "workspace_id": run.workspace_id, "experiment_id": run.experiment_id, "number": run.number,
        "display_name": run.display_name, "status": run.status.value, "run_type": run.run_type.value,
        "parent_run_id": run.parent_run_id, "created_by": run.created_by, "created_at": run.created_at,
        "started_at": run.started_at, "ended_at": run.ended_at, "error": run.error, "deleted_at": run.deleted_at,
    }  # fmt: skip


# A run's columns, for queries that read plain rows (``to_runs`` takes them as it takes RunRow
# objects): a page of ORM objects costs more than its query.
RUN_COLUMNS = (
    RunRow.id, RunRow.workspace_id, RunRow.experiment_id, RunRow.number, RunRow.display_name, RunRow.status,
    RunRow.run_type, RunRow.parent_run_id, RunRow.created_by, RunRow.created_at, RunRow.started_at,
    RunRow.ended_at, RunRow.error, RunRow.deleted_at,
)  # fmt: skip


class TrackingRepository(ExperimentRepository):
    """Reads and writes runs, and (through its base) the experiments they belong to: one
    repository for both, because the services that track work read and write the two in one
    transaction. Callers own the transaction."""

    def next_run_number(self, experiment_id: str) -> int:
        return self.numbering(experiment_id)[0]

    def numbering(self, experiment_id: str, run_id: str | None = None) -> tuple[int, bool]:
        """The experiment's next run number, and whether any workspace has a run ``run_id``
        already (ids are global): one statement, read in the write transaction. Deleted runs
        count: a run number never names two runs."""
        highest, found = self.session.execute(_NUMBERING, {"experiment_id": experiment_id, "run_id": run_id}).one()
        return int(highest or 0) + 1, bool(found)

    def add_run(self, run: Run) -> None:
        """A new run with its tags, properties and parameters: Core inserts, one executemany per
        table (a new run has nothing to replace, and the unit of work would cost more than the rows)."""
        self.session.execute(insert(_RUNS), _run_values(run))  # the run first: its key/values refer to it
        for table, values in ((RunTagRow, run.tags), (RunPropertyRow, run.properties), (RunParamRow, run.params)):
            if values:
                self.session.execute(
                    insert(cast(Table, table.__table__)),
                    [{"run_id": run.id, "key": k, "value": v} for k, v in values.items()],
                )

    def get_run(self, workspace_id: str, run_id: str, *, for_update: bool = False) -> Run | None:
        query = select(RunRow).where(RunRow.workspace_id == workspace_id, RunRow.id == run_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalar(query)
        return self.to_runs([row])[0] if row else None

    def get_run_record(self, workspace_id: str, run_id: str) -> Run | None:
        """The run without its tags, properties and parameters (empty here), in one query: what
        a write to the run checks (status, deletion) and its metrics need."""
        from mlyard.store.run_rows import run_record  # run_rows reads this module's tables

        return run_record(self.session, workspace_id, run_id)

    def update_run(self, run_id: str, **values: Any) -> None:
        self.session.execute(
            update(RunRow).where(RunRow.id == run_id).values(**values).execution_options(synchronize_session=False)
        )

    def list_runs(
        self,
        workspace_id: str,
        *,
        experiment_id: str | None = None,
        parent_run_id: str | None = None,
        include_children: bool = False,
        statuses: Sequence[RunStatus] = (),
        run_type: RunType | None = None,
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, str | None] | None = None,
        include_deleted: bool = False,
        after: tuple[Any, ...] | None = None,
        limit: int = 100,
    ) -> list[Run]:
        """Newest first: by run number within one experiment, else by creation time. ``after`` is
        the sort key of the last run of the previous page (keyset paging)."""
        where: list[ColumnElement[bool]] = [RunRow.workspace_id == workspace_id]
        if experiment_id is not None:
            where.append(RunRow.experiment_id == experiment_id)
        if parent_run_id is not None:
            where.append(RunRow.parent_run_id == parent_run_id)
        elif not include_children:
            where.append(RunRow.parent_run_id.is_(None))
        if statuses:
            where.append(RunRow.status.in_([s.value for s in statuses]))
        if run_type is not None:
            where.append(RunRow.run_type == run_type.value)
        if not include_deleted:
            where.append(run_not_deleted(workspace_id))
        where += [_has(RunTagRow, k, v) for k, v in (tags or {}).items()]
        where += [_has(RunPropertyRow, k, v) for k, v in (properties or {}).items()]
        by_number = experiment_id is not None
        if after is not None:
            if by_number:
                where.append(RunRow.number < after[0])
            else:
                when, last_id = after
                where.append(or_(RunRow.created_at < when, and_(RunRow.created_at == when, RunRow.id < last_id)))
        order = [RunRow.number.desc()] if by_number else [RunRow.created_at.desc(), RunRow.id.desc()]
        rows = list(self.session.scalars(select(RunRow).where(*where).order_by(*order).limit(limit)))
        return self.to_runs(rows)

    # key/value tables
    def values(self, table: KeyValueRow, run_id: str) -> dict[str, str]:
        rows = self.session.execute(select(table.key, table.value).where(table.run_id == run_id).order_by(table.key))
        return {k: v for k, v in rows}

    def set_values(self, table: KeyValueRow, run_id: str, values: Mapping[str, str]) -> None:
        """Insert or replace each key's value (the caller enforces write-once where it applies)."""
        if not values:
            return
        self.session.execute(delete(table).where(table.run_id == run_id, table.key.in_(list(values))))
        self.session.add_all([table(run_id=run_id, key=k, value=v) for k, v in values.items()])
        self.session.flush()

    def remove_values(self, table: KeyValueRow, run_id: str, keys: Iterable[str]) -> None:
        self.session.execute(delete(table).where(table.run_id == run_id, table.key.in_(list(keys))))

    # purging for good (services.retention): keyset pages, children before their parents
    def deleted_runs(
        self, cutoff: datetime, *, after: tuple[datetime, str] | None = None, limit: int = 500
    ) -> list[tuple[datetime, str, str | None]]:
        """(deleted_at, id, parent id) of the runs deleted before ``cutoff`` in experiments that
        were not, in (deleted_at, id) order after ``after``."""
        expired_experiments = select(ExperimentRow.id).where(ExperimentRow.deleted_at < cutoff)
        where = [RunRow.deleted_at < cutoff, RunRow.experiment_id.not_in(expired_experiments)]
        if after is not None:
            when, last = after
            where.append(or_(RunRow.deleted_at > when, and_(RunRow.deleted_at == when, RunRow.id > last)))
        query = select(RunRow.deleted_at, RunRow.id, RunRow.parent_run_id).where(*where)
        rows = self.session.execute(query.order_by(RunRow.deleted_at, RunRow.id).limit(limit))
        return [(when, i, parent) for when, i, parent in rows if when is not None]

    def top_level_runs(self, experiment_id: str, *, after: int = 0, limit: int = 500) -> list[tuple[int, str]]:
        """(number, id) of the experiment's runs that have no parent, by number after ``after``."""
        where = (RunRow.experiment_id == experiment_id, RunRow.parent_run_id.is_(None), RunRow.number > after)
        query = select(RunRow.number, RunRow.id).where(*where).order_by(RunRow.number).limit(limit)
        return [(n, i) for n, i in self.session.execute(query)]

    def expired_among(self, run_ids: Collection[str], cutoff: datetime) -> set[str]:
        query = select(RunRow.id).where(RunRow.id.in_(list(run_ids)), _expired(cutoff))
        return set(self.session.scalars(query))

    def parents(self, run_ids: Collection[str]) -> dict[str, str | None]:
        query = select(RunRow.id, RunRow.parent_run_id).where(RunRow.id.in_(list(run_ids)))
        return {i: parent for i, parent in self.session.execute(query)}

    def with_children(self, run_ids: Collection[str]) -> set[str]:
        query = select(RunRow.parent_run_id).where(RunRow.parent_run_id.in_(list(run_ids))).distinct()
        return {parent for parent in self.session.scalars(query) if parent is not None}

    def child_ids(self, parent_run_id: str, *, after: str = "", limit: int = 500) -> list[str]:
        query = select(RunRow.id).where(RunRow.parent_run_id == parent_run_id, RunRow.id > after)
        return list(self.session.scalars(query.order_by(RunRow.id).limit(limit)))

    def runs_by_id(self, run_ids: Collection[str]) -> list[Run]:
        rows = self.session.scalars(select(RunRow).where(RunRow.id.in_(list(run_ids))).order_by(RunRow.id))
        return self.to_runs(list(rows))

    def delete_runs(self, run_ids: Collection[str]) -> None:
        """Delete the runs and their key/values (their children first: the foreign key cascades)."""
        ids = list(run_ids)
        for table in (RunTagRow, RunParamRow, RunPropertyRow):
            self.session.execute(delete(table).where(table.run_id.in_(ids)))
        self.session.execute(delete(RunRow).where(RunRow.id.in_(ids)))

    def delete_empty_experiments(self, experiment_ids: Collection[str], cutoff: datetime) -> int:
        """Delete those of the experiments still deleted before ``cutoff`` that hold no run any more."""
        empty = ~exists().where(RunRow.experiment_id == ExperimentRow.id)
        query = select(ExperimentRow.id).where(ExperimentRow.id.in_(list(experiment_ids)), empty)
        doomed = list(self.session.scalars(query.where(ExperimentRow.deleted_at < cutoff)))
        if doomed:
            self.session.execute(delete(ExperimentRow).where(ExperimentRow.id.in_(doomed)))
        return len(doomed)

    def deletion_times(self, run_id: str) -> tuple[datetime | None, datetime | None]:
        """When the run itself was deleted and when its experiment was (None: not deleted)."""
        found = self.session.execute(
            select(RunRow.deleted_at, ExperimentRow.deleted_at)
            .join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
            .where(RunRow.id == run_id)
        ).first()
        return (found[0], found[1]) if found else (None, None)

    def to_runs(self, rows: Sequence[Any]) -> list[Run]:
        """Entities of run rows (RunRow objects, or plain rows of ``RUN_COLUMNS``): see
        :func:`mlyard.store.run_rows.to_runs`."""
        from mlyard.store.run_rows import to_runs  # run_rows reads this module's tables

        return to_runs(self.session, rows)


def _expired(cutoff: datetime) -> ColumnElement[bool]:
    """The run, or its experiment, was deleted before ``cutoff``."""
    expired_experiments = select(ExperimentRow.id).where(ExperimentRow.deleted_at < cutoff)
    return or_(RunRow.deleted_at < cutoff, RunRow.experiment_id.in_(expired_experiments))


def run_not_deleted(workspace_id: str) -> ColumnElement[bool]:
    """Neither the run nor its experiment is deleted (for listings and searches of the
    workspace's runs). Said as membership in the workspace's live experiments, not as NOT
    EXISTS a deleted one: PostgreSQL estimates that hardly any run passes such an anti-join
    (against a table of one live experiment) and scans every run instead of walking the
    order's index, 1.5 s at 100,000 runs. (A run's experiment is one of its workspace's.)"""
    live = select(ExperimentRow.id).where(
        ExperimentRow.workspace_id == workspace_id, ExperimentRow.deleted_at.is_(None)
    )
    return and_(RunRow.deleted_at.is_(None), RunRow.experiment_id.in_(live))


def _has(table: KeyValueRow, key: str, value: str | None) -> ColumnElement[bool]:
    """The run has ``key`` (with ``value`` when given)."""
    cond = [table.run_id == RunRow.id, table.key == key]
    if value is not None:
        cond.append(table.value == value)
    return exists().where(*cond)
