"""Compute instances: sizes, start/stop schedules and the sessions that usage is counted from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class StopReason(StrEnum):
    """Why a session of an instance ended."""

    USER = "user"
    IDLE = "idle"
    SCHEDULE = "schedule"
    RESTART = "restart"
    FAILED = "failed"
    LOST = "lost"  # its Jupyter process was gone (the host restarted, or it was killed)
    DELETED = "deleted"


@dataclass(frozen=True)
class InstanceSession:
    """One stretch of time an instance ran: what usage and cost are counted from."""

    id: str
    workspace_id: str
    target_id: str
    target_name: str
    owner: str | None
    vm_size: str
    cores: int
    price_per_hour: float
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: StopReason | None

    def hours(self, now: datetime) -> float:
        return max(0.0, ((self.stopped_at or now) - self.started_at).total_seconds() / 3600)


@dataclass(frozen=True)
class UsageLine:
    """Running hours and cost of one instance, user or workspace."""

    key: str
    sessions: int
    hours: float
    cost: float
    running: bool


@dataclass(frozen=True)
class UsageReport:
    instances: list[UsageLine]
    users: list[UsageLine]
    workspace: UsageLine
    sessions: list[InstanceSession]
