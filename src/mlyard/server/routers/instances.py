"""Compute instances beyond the generic compute routes: opening one in a browser, and usage.

``POST .../computes/{name}/jupyter/open`` answers a URL with a two-minute ticket (the browser's
way in, :mod:`mlyard.services.compute_instances`); ``GET .../computeUsage`` reports running
hours and cost per instance, per user and for the workspace.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from mlyard.api.instances import InstanceSessionOut, JupyterTicketOut, UsageLineOut, UsageOut
from mlyard.core import actions as A
from mlyard.core.entities.instances import UsageLine
from mlyard.core.ids import utcnow
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.experiments import WS, where
from mlyard.services import compute_instances, instance_usage


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(prefix="/api/v1", tags=["compute instances"], dependencies=[Depends(_workspace_path)])
Open = Annotated[AuthContext, authorize(A.NOTEBOOK_VM_WRITE)]
Read = Annotated[AuthContext, authorize(A.COMPUTES_READ)]


@router.post(WS + "/computes/{computeName}/jupyter/open", response_model=JupyterTicketOut)
def open_jupyter(computeName: str, auth: Open, platform: PlatformDep) -> JupyterTicketOut:
    """A URL to open the instance's JupyterLab in a browser, valid once and for two minutes."""
    ticket = compute_instances.issue_ticket(platform, auth.authorizer, auth.principal, *where(auth), computeName)
    return JupyterTicketOut(url=ticket.url, expires_at=ticket.expires_at)


def _line(line: UsageLine) -> UsageLineOut:
    return UsageLineOut(name=line.key, sessions=line.sessions, hours=line.hours, cost=line.cost, running=line.running)


@router.get(WS + "/computeUsage", response_model=UsageOut)
def compute_usage(
    auth: Read,
    platform: PlatformDep,
    user: Annotated[str | None, Query(description="Only this user's instances (username or id).")] = None,
    since: Annotated[datetime | None, Query(description="Count only the time after this (ISO 8601).")] = None,
) -> UsageOut:
    """Running hours and cost of the workspace's compute instances."""
    now = utcnow()
    report = instance_usage.usage(platform, *where(auth), user=user, since=since, now=now)
    return UsageOut(
        since=since,
        instances=[_line(x) for x in report.instances],
        users=[_line(x) for x in report.users],
        workspace=_line(report.workspace),
        sessions=[
            InstanceSessionOut(
                instance=x.target_name,
                owner=x.owner,
                vm_size=x.vm_size,
                price_per_hour=x.price_per_hour,
                started_at=x.started_at,
                stopped_at=x.stopped_at,
                stop_reason=x.stop_reason.value if x.stop_reason else None,
                hours=round(x.hours(now), 4),
            )
            for x in report.sessions
        ],
    )
