"""Jobs: a submitted run's place in the queue, its process, and its log.

A job shares its run's id and status (Queued, Preparing, Running, Finalizing, then Completed,
Failed or Canceled). The job row is what the scheduler claims and watches; the run row is
what tracking shows. Both change in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mlyard.core.entities.tracking import RunStatus

ACTIVE_STATUSES = frozenset({RunStatus.PREPARING, RunStatus.RUNNING, RunStatus.FINALIZING})
"""A job in one of these holds a slot of its target."""

LOG_FILE = "user_logs/std_log.txt"
"""The run file that holds the job's log once it has finished (Azure ML v2's name)."""


@dataclass(frozen=True)
class JobRequest:
    """What a submission asks for (the run itself is made from the rest of the request)."""

    snapshot_id: str
    compute_target: str
    script: str | None = None
    arguments: tuple[str, ...] = ()
    command: str | None = None
    environment: str | None = None
    max_run_duration_seconds: int | None = None
    # Folders made under the working folder before the job starts (a v2 job's outputs/<name>).
    output_folders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Job:
    run_id: str
    workspace_id: str
    experiment_name: str
    target_id: str | None
    target_name: str
    compute_type: str
    status: RunStatus
    status_reason: str | None
    snapshot_id: str
    script: str | None
    arguments: tuple[str, ...]
    command: str | None
    output_folders: tuple[str, ...]
    environment: str | None
    max_run_duration_seconds: int | None
    attempt: int
    handle: dict[str, Any] | None
    exit_code: int | None
    submitted_by: str | None
    submitted_by_type: str
    token_id: str | None
    output_offset: int
    log_size: int
    log_sealed: bool
    queued_at: datetime
    preparing_at: datetime | None = None
    running_at: datetime | None = None
    finalizing_at: datetime | None = None
    ended_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    claimed_by: str | None = None

    @property
    def finished(self) -> bool:
        return self.status.terminal

    @property
    def pid(self) -> int | None:
        pid = (self.handle or {}).get("pid")
        return pid if isinstance(pid, int) else None


@dataclass(frozen=True)
class QueuePlace:
    """Where a queued job stands: ``position`` of ``waiting`` on its target, with its slots."""

    position: int
    waiting: int
    busy: int
    slots: int


@dataclass(frozen=True)
class JobView:
    """A job as shown: its record, the reason it is where it is, and its queue place if queued."""

    job: Job
    reason: str
    queue: QueuePlace | None = None


@dataclass(frozen=True)
class LogSlice:
    """Bytes of a job's log from ``offset``; ``complete`` once the job ended and all was read."""

    data: bytes
    offset: int
    next_offset: int
    size: int
    complete: bool
    status: RunStatus
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
