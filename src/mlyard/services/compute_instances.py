"""Compute instances: who may open one, the browser's way in, and what the scheduler watches.

**Who.** An instance is personal, as Azure's are: its owner (who created it) and the
workspace's Owners (those who may assign roles there) may open its Jupyter; anyone else who
can see the workspace hears 403.

**The browser's way in.** A browser cannot send a bearer header, so opening is a handshake:
``POST .../computes/{name}/jupyter/open`` (bearer) answers a URL with a *ticket*, a token of
the caller limited to the workspace that lives two minutes; ``GET /api/v1/instances/{id}/jupyter/open
?ticket=...`` redeems it once (it is revoked) for a session token, also limited to the
workspace, set as an HttpOnly, SameSite=Strict cookie scoped to the instance's proxy path, and
redirects to JupyterLab. Both are ordinary access tokens: they appear in ``mlyard token list``
as ``jupyter <instance>`` and can be revoked there.

**The scheduler** (:func:`check_instances`, every ``instance_check_seconds``): an instance
recorded Running whose Jupyter process is gone is recorded Stopped with why (a lost session);
one idle longer than its ``idleTimeBeforeShutdownMinutes`` (no kernel or terminal activity) is
stopped, recorded as an idle stop; each start/stop schedule whose cron time came since the last
look starts or stops it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from mlyard.core import actions as A
from mlyard.core.cron import cron_matches
from mlyard.core.entities.compute import ComputeTarget, ComputeType, ProvisioningState
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import Principal
from mlyard.core.entities.instances import StopReason
from mlyard.core.errors import (
    AuthenticationError,
    AuthorizationError,
    ComputeOperationNotSupported,
    ComputeStateConflict,
    NotFound,
)
from mlyard.core.ids import utcnow
from mlyard.core.scopes import Scope
from mlyard.services import compute_targets, identity, instance_usage
from mlyard.services.compute_backends import BackendRegistry
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer
from mlyard.store.compute import ComputeRepository
from mlyard.store.hierarchy import WorkspaceRow
from mlyard.store.identity import IdentityRepository
from mlyard.store.instances import instance_targets

log = logging.getLogger("mlyard.instances")

TICKET_LIFETIME = timedelta(minutes=2)
SESSION_LIFETIME = timedelta(hours=12)
TICKET_PREFIX = "jupyter ticket "
SESSION_PREFIX = "jupyter "


class InstanceActivity(Protocol):
    """What the scheduler asks of the instances' backend beyond ``ComputeBackend``."""

    def last_activity(self, target: ComputeTarget) -> datetime | None: ...


@dataclass(frozen=True)
class Ticket:
    url: str
    expires_at: datetime


def proxy_path(target_id: str) -> str:
    return f"/api/v1/instances/{target_id}/jupyter/"


def instance_by_id(p: Platform, instance_id: str) -> tuple[ComputeTarget, Workspace]:
    """The instance and its workspace; 404 alike for a missing id and a target of another kind."""
    with p.db.read() as session:
        target = ComputeRepository(session).get_by_id(instance_id)
        row = session.get(WorkspaceRow, target.workspace_id) if target is not None else None
        ws = row.to_entity() if row is not None else None
    if target is None or ws is None or target.compute_type is not ComputeType.COMPUTE_INSTANCE:
        raise NotFound(f"There is no compute instance '{instance_id}'.", target="instanceId")
    return target, ws


def require_user(authorizer: Authorizer, principal: Principal, target: ComputeTarget, ws: Workspace) -> None:
    """Only the owner and the workspace's Owners open an instance."""
    if principal.id == target.created_by or authorizer.can(A.ROLE_ASSIGNMENTS_WRITE, ws.scope):
        return
    raise AuthorizationError(
        f"Compute instance '{target.name}' belongs to another user: only its owner and the workspace's "
        "Owners may open it.",
        target="computeName",
    )


def require_running(target: ComputeTarget) -> None:
    if target.provisioning_state is not ProvisioningState.SUCCEEDED or target.state != "Running":
        state = target.state or target.provisioning_state.value
        raise ComputeStateConflict(
            f"Compute instance '{target.name}' is {state}: start it ('mlyard compute start -n {target.name}') "
            "and open it again.",
            target="computeName",
        )


def issue_ticket(
    p: Platform,
    authorizer: Authorizer,
    principal: Principal,
    subscription_id: str,
    resource_group: str,
    ws: str,
    name: str,
) -> Ticket:
    target = compute_targets.get_target(p, subscription_id, resource_group, ws, name)
    if target.compute_type is not ComputeType.COMPUTE_INSTANCE:
        raise ComputeOperationNotSupported(
            f"Compute target '{target.name}' is not a compute instance: it has no Jupyter.", target="computeName"
        )
    workspace = instance_by_id(p, target.id)[1]
    require_user(authorizer, principal, target, workspace)
    require_running(target)
    with p.db.write() as session:
        token, secret = identity.issue_token(
            session, principal.id, principal.type, TICKET_PREFIX + target.name, TICKET_LIFETIME, scope=workspace.scope
        )
    return Ticket(f"{proxy_path(target.id)}open?ticket={secret}", token.expires_at)


def redeem_ticket(p: Platform, instance_id: str, ticket: str) -> tuple[str, int]:
    """Exchange a ticket (once) for a session token; answer it and its lifetime in seconds."""
    principal = identity.authenticate_token(p.db, ticket)
    target, ws = instance_by_id(p, instance_id)
    with p.db.write() as session:
        repo = IdentityRepository(session)
        row = repo.get_token_row(principal.id, principal.token_id or "")
        if row is None or row.name != TICKET_PREFIX + target.name:
            raise AuthenticationError("This is not a ticket to open this instance: open it again.", reason="BadTicket")
        repo.revoke_token(row.id, utcnow())
        _, secret = identity.issue_token(
            session, principal.id, principal.type, SESSION_PREFIX + target.name, SESSION_LIFETIME, scope=ws.scope
        )
    return secret, int(SESSION_LIFETIME.total_seconds())


def authorize_proxy(p: Platform, principal: Principal, action: str, instance_id: str) -> tuple[ComputeTarget, Scope]:
    """The one check of a proxied request: the action at the instance's workspace, then the owner rule."""
    target, ws = instance_by_id(p, instance_id)
    authorizer = Authorizer(p.db, principal)
    authorizer.require(action, ws.scope)
    require_user(authorizer, principal, target, ws)
    return target, ws.scope


# -- the scheduler's look ----------------------------------------------------------------------


class InstanceWatch:
    """Runs :func:`check_instances` for the scheduler every ``instance_check_seconds``, one at a time."""

    def __init__(self, p: Platform, backends: BackendRegistry) -> None:
        self.p = p
        self.backends = backends
        self._last: datetime | None = None
        self._running = threading.Lock()

    def maybe_check(self, spawn: Callable[[str, Callable[[], None]], None]) -> None:
        now = utcnow()
        last = self._last
        if last is not None and now - last < timedelta(seconds=self.p.settings.instance_check_seconds):
            return
        if not self._running.acquire(blocking=False):
            return
        self._last = now

        def work() -> None:
            try:
                check_instances(self.p, self.backends, last or now, now)
            except Exception:  # the next look tries again
                log.exception("looking at the compute instances failed")
            finally:
                self._running.release()

        spawn("mlyard-instances", work)


def check_instances(p: Platform, backends: BackendRegistry, since: datetime, now: datetime | None = None) -> None:
    """Lost processes, idle shutdown and schedules (times since ``since``, up to ``now``)."""
    now = now or utcnow()
    instance_usage.close_orphans(p)
    with p.db.read() as session:
        targets = instance_targets(session)
    if not targets:
        return
    backend = backends.get(ComputeType.COMPUTE_INSTANCE)
    for target in targets:
        if target.provisioning_state is not ProvisioningState.SUCCEEDED:
            continue
        try:
            if target.state == "Running":
                status = backend.status(target)
                if status.state != "Running":
                    compute_targets.record_status(p, target, status)
                    continue
                if _idle(p, backend, target, now):
                    continue
            _scheduled(p, target, since, now)
        except Exception:
            log.exception("compute instance %s: checking it failed", target.id)


def idle_minutes(target: ComputeTarget) -> float | None:
    value = target.properties.get("idleTimeBeforeShutdownMinutes")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _idle(p: Platform, backend: object, target: ComputeTarget, now: datetime) -> bool:
    minutes = idle_minutes(target)
    if minutes is None or not hasattr(backend, "last_activity"):
        return False
    last = backend.last_activity(target)
    if last is None or now - last < timedelta(minutes=minutes):
        return False
    log.info("compute instance %s: idle since %s, stopping it", target.id, last.isoformat())
    _request(p, target, "Stopping", StopReason.IDLE, f"stopping: idle for {minutes:g} minutes (no kernel activity)")
    return True


def _scheduled(p: Platform, target: ComputeTarget, since: datetime, now: datetime) -> None:
    schedules = target.properties.get("schedules") or []
    minute = since.replace(second=0, microsecond=0) + timedelta(minutes=1)
    due: list[str] = []
    while minute <= now and len(due) < 2:
        due += [s["action"] for s in schedules if s["action"] not in due and cron_matches(s["cron"], minute)]
        minute += timedelta(minutes=1)
        if minute - since > timedelta(hours=1):
            break  # a scheduler that was away long does not replay a day of schedules
    action = due[-1] if due else None
    if action == "start" and target.state in ("Stopped", "Failed", None):
        _request(p, target, "Starting", None, "starting: its schedule")
    elif action == "stop" and target.state == "Running":
        _request(p, target, "Stopping", StopReason.SCHEDULE, "stopping: its schedule")


def _request(p: Platform, target: ComputeTarget, state: str, reason: StopReason | None, why: str) -> None:
    if reason is not None:
        instance_usage.mark_pending_stop(p, target.id, reason)
    with p.db.write() as session:
        ComputeRepository(session).update(target.id, state=state, provisioning_error=why, updated_at=utcnow())
