"""Experiments and their runs: the run history of a workspace (metrics live in their own module)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    """Azure ML's run statuses, spelled as Azure spells them on the wire."""

    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    PROVISIONING = "Provisioning"
    STARTING = "Starting"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    CANCEL_REQUESTED = "CancelRequested"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"
    NOT_RESPONDING = "NotResponding"

    @property
    def terminal(self) -> bool:
        """Whether the run has finished: its status never changes again."""
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED})


class RunType(StrEnum):
    INTERACTIVE = "interactive"
    SCRIPT = "script"
    PIPELINE = "pipeline"
    AUTOML = "automl"


@dataclass(frozen=True)
class Experiment:
    id: str
    workspace_id: str
    name: str
    archived: bool
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class Run:
    """One run. ``id`` is 32 lowercase hex characters, so that it is an MLflow run id as well."""

    id: str
    workspace_id: str
    experiment_id: str
    experiment_name: str
    number: int  # from 1 within its experiment, as Azure's run number
    display_name: str | None
    status: RunStatus
    run_type: RunType
    parent_run_id: str | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    deleted_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status.terminal


@dataclass(frozen=True)
class RunPage:
    """One page of a run listing, and the cursor of the next page (None on the last)."""

    runs: list[Run]
    next_cursor: str | None
