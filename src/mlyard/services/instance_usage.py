"""Usage of compute instances: every start and stop recorded, hours and cost reported.

A start opens a session (:func:`record_transition`, called whenever a target's new state is
recorded); a stop closes it with its reason: ``user``, or what was asked earlier by the
scheduler (``idle``, ``schedule``; :func:`mark_pending_stop`), ``restart``, ``failed``, ``lost``
(its process was gone) or ``deleted``. A session keeps the size's price as it was at the start.

:func:`usage` answers running hours and cost per instance, per user (the instance's owner, who
created it) and for the workspace, counting a running session up to now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime

from mlyard.core.entities.compute import ComputeTarget, ComputeType
from mlyard.core.entities.instances import InstanceSession, StopReason, UsageLine, UsageReport
from mlyard.core.ids import new_id, utcnow
from mlyard.core.settings import Settings
from mlyard.services.compute_backends import TargetStatus
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.compute import ComputeRepository
from mlyard.store.identity import IdentityRepository
from mlyard.store.instances import InstanceSessionRepository, InstanceSessionRow


def _price(settings: Settings, vm_size: str | None) -> tuple[str, int, float]:
    for size in settings.instance_sizes:
        if vm_size is not None and size.name.lower() == vm_size.lower():
            return size.name, size.cores, size.price_per_hour
    return vm_size or "unknown", 0, 0.0  # a size since removed from the catalogue costs nothing


def record_transition(p: Platform, target: ComputeTarget, status: TargetStatus) -> None:
    """Open or close the instance's session as its state changes from ``target.state`` to ``status``."""
    if target.compute_type is not ComputeType.COMPUTE_INSTANCE:
        return
    now = utcnow()
    with p.db.write() as session:
        repo = InstanceSessionRepository(session)
        running = repo.open_session(target.id) is not None
        if status.state == "Running":
            if running and target.state == "Restarting":
                repo.close(target.id, now, StopReason.RESTART)
                running = False
            if not running:
                name, cores, price = _price(p.settings, target.vm_size)
                repo.add(
                    InstanceSessionRow(
                        id=new_id(),
                        workspace_id=target.workspace_id,
                        target_id=target.id,
                        target_name=target.name,
                        owner=target.created_by,
                        vm_size=name,
                        cores=cores,
                        price_per_hour=price,
                        started_at=now,
                        stopped_at=None,
                        stop_reason=None,
                        pending_stop_reason=None,
                    )
                )
        elif running:
            reason = StopReason.FAILED if status.state == "Failed" else StopReason.USER
            if status.reason and status.state == "Stopped" and target.state not in ("Stopping", "Restarting"):
                reason = StopReason.LOST
            repo.close(target.id, now, reason)


def mark_pending_stop(p: Platform, target_id: str, reason: StopReason) -> None:
    with p.db.write() as session:
        InstanceSessionRepository(session).mark_pending_stop(target_id, reason)


def close_orphans(p: Platform) -> int:
    """Close the sessions of instances that were deleted meanwhile."""
    closed = 0
    with p.db.write() as session:
        repo = InstanceSessionRepository(session)
        targets = ComputeRepository(session)
        for open_one in repo.open_sessions():
            if targets.get_by_id(open_one.target_id) is None:
                closed += repo.close(open_one.target_id, utcnow(), StopReason.DELETED)
    return closed


def _line(key: str, sessions: list[InstanceSession], now: datetime) -> UsageLine:
    hours = sum(s.hours(now) for s in sessions)
    cost = sum(s.hours(now) * s.price_per_hour for s in sessions)
    return UsageLine(key, len(sessions), round(hours, 6), round(cost, 6), any(s.stopped_at is None for s in sessions))


def usage(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    *,
    user: str | None = None,
    since: datetime | None = None,
    now: datetime | None = None,
) -> UsageReport:
    """Hours and cost per instance, per user (by username where known) and for the workspace;
    ``since`` counts only the time after it, ``user`` only that user's instances."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    now = now or utcnow()
    with p.db.read() as session:
        found = InstanceSessionRepository(session).in_workspace(ws.id, since=since)
        people = IdentityRepository(session)
        names = {s.owner: _username(people, s.owner) for s in found}
    found = [replace(s, owner=names.get(s.owner) or s.owner) for s in found]
    if since is not None:
        found = [_clip(s, since) for s in found]
    if user is not None:
        wanted = {user, names.get(user) or user}  # a username, or an id
        found = [s for s in found if s.owner in wanted]
    by_instance: dict[str, list[InstanceSession]] = defaultdict(list)
    by_user: dict[str, list[InstanceSession]] = defaultdict(list)
    for s in found:
        by_instance[s.target_name].append(s)
        by_user[s.owner or "unknown"].append(s)
    return UsageReport(
        instances=[_line(k, v, now) for k, v in sorted(by_instance.items())],
        users=[_line(k, v, now) for k, v in sorted(by_user.items())],
        workspace=_line(ws.name, found, now),
        sessions=found,
    )


def _username(people: IdentityRepository, principal_id: str | None) -> str | None:
    if principal_id is None:
        return None
    user = people.get_user_by_id(principal_id)
    return user.username if user is not None else None


def _clip(s: InstanceSession, since: datetime) -> InstanceSession:
    return s if s.started_at >= since else replace(s, started_at=since)
