"""Compute instances and notebooks on the wire: the Jupyter ticket, usage reports, notebook files."""

from __future__ import annotations

from datetime import datetime

from mlyard.api.base import WireModel


class JupyterTicketOut(WireModel):
    """Open ``url`` in a browser (within two minutes): it sets the session cookie and shows JupyterLab."""

    url: str
    expires_at: datetime


class UsageLineOut(WireModel):
    name: str
    sessions: int
    hours: float
    cost: float
    running: bool


class InstanceSessionOut(WireModel):
    """One stretch of time an instance ran; ``stopReason``: user, idle, schedule, restart, failed, lost, deleted."""

    instance: str
    owner: str | None
    vm_size: str
    price_per_hour: float
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: str | None
    hours: float


class UsageOut(WireModel):
    """Running hours and cost (hours times the size's ``price_per_hour``) of the workspace's instances."""

    since: datetime | None
    instances: list[UsageLineOut]
    users: list[UsageLineOut]
    workspace: UsageLineOut
    sessions: list[InstanceSessionOut]


class NotebookOut(WireModel):
    name: str
    size: int
    modified_utc: datetime


class NotebookListOut(WireModel):
    value: list[NotebookOut]


__all__ = ["InstanceSessionOut", "JupyterTicketOut", "NotebookListOut", "NotebookOut", "UsageLineOut", "UsageOut"]
