"""Jobs on the wire: snapshots, a submission, a job's state and reason, slices of its log."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel
from mlyard.api.datasets import DatasetInputIn
from mlyard.api.tracking import RunOut
from mlyard.core.entities.tracking import RunStatus


class SnapshotLimitsOut(WireModel):
    max_bytes: int
    max_files: int


class SnapshotOut(WireModel):
    snapshot_id: str
    file_count: int
    size: int
    xxh128: str


class JobSubmit(RequestModel):
    snapshot_id: str
    compute_target: str = "local"
    script: str | None = Field(default=None, max_length=1024)
    arguments: list[str] = Field(default_factory=list)
    command: str | None = None
    environment: str | None = Field(default=None, max_length=255)
    max_run_duration_seconds: int | None = Field(default=None, ge=1)
    display_name: str | None = None
    tags: dict[str, str] | None = None
    output_folders: list[str] = Field(default_factory=list, max_length=100)
    input_datasets: list[DatasetInputIn] = Field(default_factory=list, max_length=50)


class QueuePlaceOut(WireModel):
    position: int
    waiting: int
    busy: int
    slots: int


class JobOut(WireModel):
    run_id: str
    experiment_name: str
    status: RunStatus
    status_reason: str
    compute_target: str
    compute_type: str
    queue: QueuePlaceOut | None
    script: str | None
    arguments: list[str]
    command: str | None
    environment: str | None
    snapshot_id: str
    max_run_duration_seconds: int | None
    attempt: int
    pid: int | None
    exit_code: int | None
    log_size: int
    queued_utc: datetime
    preparing_utc: datetime | None
    running_utc: datetime | None
    finalizing_utc: datetime | None
    end_time_utc: datetime | None
    cancel_requested_utc: datetime | None


class JobSubmitted(WireModel):
    run: RunOut
    job: JobOut


class JobLogOut(WireModel):
    """Text of the job's log from byte ``offset``; read on from ``nextOffset`` until ``complete``."""

    offset: int
    next_offset: int
    size: int
    complete: bool
    status: RunStatus
    status_reason: str
    content: str
