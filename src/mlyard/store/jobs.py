"""Tables and repository of jobs: the queue, each job's process handle, and its live log.

A job row shares its run's id (and goes with it: ``ON DELETE CASCADE``). The scheduler claims
a queued job with one conditional ``UPDATE ... WHERE status = 'Queued'``, so that no job is
dispatched twice whatever runs at the same time; later transitions are conditional on the
claim (``claimed_by``) so that a scheduler that lost its lead cannot overwrite its successor.

While a job runs, its log lives in ``job_log_chunks`` (appended with the offset of the job's
own output that each chunk covers, in one transaction); when the job ends the log becomes a
run file and the chunks go.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    delete,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from mlyard.core.entities.jobs import ACTIVE_STATUSES, Job, QueuePlace
from mlyard.core.entities.tracking import RunStatus
from mlyard.store.base import Base
from mlyard.store.runs import RunRow

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_target_id_queued_at", "status", "target_id", "queued_at"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    experiment_name: Mapped[str] = mapped_column(String(255))
    target_id: Mapped[str | None] = mapped_column(ForeignKey("compute_targets.id", ondelete="SET NULL"))
    target_name: Mapped[str] = mapped_column(String(64))
    compute_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    status_reason: Mapped[str | None] = mapped_column(Text)
    snapshot_id: Mapped[str] = mapped_column(String(36))
    script: Mapped[str | None] = mapped_column(String(1024))
    arguments: Mapped[list[str]]
    command: Mapped[str | None] = mapped_column(Text)
    output_folders: Mapped[list[str]]
    environment: Mapped[str | None] = mapped_column(String(255))
    max_run_duration_seconds: Mapped[int | None] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    handle: Mapped[dict[str, Any] | None]
    exit_code: Mapped[int | None] = mapped_column(Integer)
    submitted_by: Mapped[str | None] = mapped_column(String(64))
    submitted_by_type: Mapped[str] = mapped_column(String(32))
    token_id: Mapped[str | None] = mapped_column(String(36))
    output_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    log_size: Mapped[int] = mapped_column(BigInteger, default=0)
    log_sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    queued_at: Mapped[datetime]
    preparing_at: Mapped[datetime | None]
    running_at: Mapped[datetime | None]
    finalizing_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    cancel_requested_at: Mapped[datetime | None]

    def to_entity(self) -> Job:
        return Job(
            run_id=self.run_id,
            workspace_id=self.workspace_id,
            experiment_name=self.experiment_name,
            target_id=self.target_id,
            target_name=self.target_name,
            compute_type=self.compute_type,
            status=RunStatus(self.status),
            status_reason=self.status_reason,
            snapshot_id=self.snapshot_id,
            script=self.script,
            arguments=tuple(self.arguments),
            command=self.command,
            output_folders=tuple(self.output_folders),
            environment=self.environment,
            max_run_duration_seconds=self.max_run_duration_seconds,
            attempt=self.attempt,
            handle=dict(self.handle) if self.handle is not None else None,
            exit_code=self.exit_code,
            submitted_by=self.submitted_by,
            submitted_by_type=self.submitted_by_type,
            token_id=self.token_id,
            output_offset=self.output_offset,
            log_size=self.log_size,
            log_sealed=self.log_sealed,
            queued_at=self.queued_at,
            preparing_at=self.preparing_at,
            running_at=self.running_at,
            finalizing_at=self.finalizing_at,
            ended_at=self.ended_at,
            cancel_requested_at=self.cancel_requested_at,
            claimed_by=self.claimed_by,
        )


class JobLogChunkRow(Base):
    """A piece of a running job's log: bytes [start, end) of the log."""

    __tablename__ = "job_log_chunks"

    run_id: Mapped[str] = mapped_column(ForeignKey("jobs.run_id", ondelete="CASCADE"), primary_key=True)
    start: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    end: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class JobRepository:
    """Reads and writes jobs; callers own the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: JobRow) -> Job:
        self.session.add(row)
        self.session.flush()
        return row.to_entity()

    def get(self, run_id: str, *, for_update: bool = False) -> Job | None:
        query = select(JobRow).where(JobRow.run_id == run_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.scalar(query)
        return row.to_entity() if row else None

    def in_workspace(
        self,
        workspace_id: str,
        *,
        statuses: Collection[RunStatus] = (),
        target_id: str | None = None,
        limit: int = 100,
    ) -> list[Job]:
        query = select(JobRow).where(JobRow.workspace_id == workspace_id)
        if statuses:
            query = query.where(JobRow.status.in_([s.value for s in statuses]))
        if target_id is not None:
            query = query.where(JobRow.target_id == target_id)
        rows = self.session.scalars(query.order_by(JobRow.queued_at.desc(), JobRow.run_id.desc()).limit(limit))
        return [r.to_entity() for r in rows]

    def in_statuses(self, statuses: Iterable[RunStatus]) -> list[Job]:
        """Every job in those statuses, in every workspace (what a new scheduler takes over)."""
        values = [s.value for s in statuses]
        rows = self.session.scalars(select(JobRow).where(JobRow.status.in_(values)).order_by(JobRow.queued_at))
        return [r.to_entity() for r in rows]

    def watch(self, run_ids: Collection[str]) -> dict[str, tuple[datetime | None, RunStatus]]:
        """For jobs being watched: when a cancel was asked for, and their run's status."""
        if not run_ids:
            return {}
        rows = self.session.execute(
            select(JobRow.run_id, JobRow.cancel_requested_at, RunRow.status)
            .join(RunRow, RunRow.id == JobRow.run_id)
            .where(JobRow.run_id.in_(list(run_ids)))
        )
        return {run_id: (asked, RunStatus(status)) for run_id, asked, status in rows}

    def run_status(self, run_id: str) -> RunStatus | None:
        found = self.session.scalar(select(RunRow.status).where(RunRow.id == run_id))
        return RunStatus(found) if found is not None else None

    def by_ids(self, run_ids: Collection[str]) -> list[Job]:
        if not run_ids:
            return []
        return [r.to_entity() for r in self.session.scalars(select(JobRow).where(JobRow.run_id.in_(list(run_ids))))]

    # -- the queue ---------------------------------------------------------------------------

    def active_counts(self) -> dict[str, int]:
        """Jobs holding a slot, by target id."""
        rows = self.session.execute(
            select(JobRow.target_id, func.count()).where(JobRow.status.in_(_ACTIVE)).group_by(JobRow.target_id)
        )
        return {target: int(count) for target, count in rows if target is not None}

    def queued_targets(self) -> list[str]:
        rows = self.session.scalars(select(JobRow.target_id).where(JobRow.status == RunStatus.QUEUED.value).distinct())
        return [t for t in rows if t is not None]

    def next_queued(self, target_id: str, limit: int) -> list[str]:
        """The run ids first in line on the target (first in, first out)."""
        query = (
            select(JobRow.run_id)
            .where(JobRow.status == RunStatus.QUEUED.value, JobRow.target_id == target_id)
            .order_by(JobRow.queued_at, JobRow.run_id)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def queue_place(self, job: Job, slots: int) -> QueuePlace:
        queued = (JobRow.status == RunStatus.QUEUED.value) & (JobRow.target_id == job.target_id)
        ahead = self.session.scalar(
            select(func.count()).where(queued, tuple_(JobRow.queued_at, JobRow.run_id) < (job.queued_at, job.run_id))
        )
        waiting = self.session.scalar(select(func.count()).where(queued))
        busy = self.session.scalar(
            select(func.count()).where(JobRow.status.in_(_ACTIVE), JobRow.target_id == job.target_id)
        )
        return QueuePlace(int(ahead or 0) + 1, int(waiting or 0), int(busy or 0), slots)

    def has_pending(self, target_id: str) -> bool:
        statuses = [*_ACTIVE, RunStatus.QUEUED.value]
        found = self.session.scalar(
            select(JobRow.run_id).where(JobRow.target_id == target_id, JobRow.status.in_(statuses)).limit(1)
        )
        return found is not None

    # -- transitions -------------------------------------------------------------------------

    def claim(self, run_id: str, epoch: str, when: datetime, reason: str) -> bool:
        """Queued -> Preparing for this scheduler; False when another took it or it was canceled."""
        result = self.session.execute(
            update(JobRow)
            .where(JobRow.run_id == run_id, JobRow.status == RunStatus.QUEUED.value)
            .values(
                status=RunStatus.PREPARING.value,
                claimed_by=epoch,
                attempt=JobRow.attempt + 1,
                preparing_at=when,
                status_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def reclaim(self, run_id: str, epoch: str, reason: str) -> bool:
        """Take over a job that a previous scheduler left in Preparing (no process was started)."""
        result = self.session.execute(
            update(JobRow)
            .where(JobRow.run_id == run_id, JobRow.status == RunStatus.PREPARING.value, JobRow.handle.is_(None))
            .values(claimed_by=epoch, attempt=JobRow.attempt + 1, status_reason=reason)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def adopt(self, run_ids: Collection[str], epoch: str) -> None:
        if run_ids:
            self.session.execute(
                update(JobRow)
                .where(JobRow.run_id.in_(list(run_ids)))
                .values(claimed_by=epoch)
                .execution_options(synchronize_session=False)
            )

    def change(self, run_id: str, *, epoch: str | None = None, **values: Any) -> bool:
        """Change a job; with ``epoch``, only while that scheduler holds its claim."""
        query = update(JobRow).where(JobRow.run_id == run_id)
        if epoch is not None:
            query = query.where(JobRow.claimed_by == epoch)
        result = self.session.execute(query.values(**values).execution_options(synchronize_session=False))
        return bool(getattr(result, "rowcount", 0))

    def cancel_queued(self, run_id: str, when: datetime, reason: str) -> bool:
        result = self.session.execute(
            update(JobRow)
            .where(JobRow.run_id == run_id, JobRow.status == RunStatus.QUEUED.value)
            .values(status=RunStatus.CANCELED.value, ended_at=when, cancel_requested_at=when, status_reason=reason)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    # -- the live log ------------------------------------------------------------------------

    def append_log(self, run_id: str, data: bytes, output_offset: int | None = None) -> int:
        """Append ``data`` at the log's end (and record how much of the job's output is in it);
        answers the new size. The row lock keeps two appenders from taking the same offset."""
        row = self.session.scalar(select(JobRow).where(JobRow.run_id == run_id).with_for_update())
        if row is None:
            return 0
        if data:
            start = row.log_size
            self.session.add(JobLogChunkRow(run_id=run_id, start=start, end=start + len(data), data=data))
            row.log_size = start + len(data)
        if output_offset is not None:
            row.output_offset = output_offset
        self.session.flush()
        return row.log_size

    def log_chunks(self, run_id: str, offset: int, limit_bytes: int) -> list[tuple[int, bytes]]:
        """Chunks holding bytes at ``offset`` and after, up to about ``limit_bytes``."""
        out: list[tuple[int, bytes]] = []
        total = 0
        query = (
            select(JobLogChunkRow.start, JobLogChunkRow.data)
            .where(JobLogChunkRow.run_id == run_id, JobLogChunkRow.end > offset)
            .order_by(JobLogChunkRow.start)
        )
        for start, data in self.session.execute(query):
            out.append((int(start), bytes(data)))
            total += len(data)
            if total >= limit_bytes:
                break
        return out

    def drop_log_chunks(self, run_id: str) -> None:
        self.session.execute(delete(JobLogChunkRow).where(JobLogChunkRow.run_id == run_id))
