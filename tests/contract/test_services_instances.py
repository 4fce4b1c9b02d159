"""Compute instances through their services, on SQLite and PostgreSQL, without starting Jupyter:
the create rules of the backend, the lifecycle's refusals, usage sessions and their report, the
scheduler's look (a lost process, a schedule), and who may open an instance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mlyard.backends import default_backends
from mlyard.core.entities.compute import ComputeTarget, ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.entities.instances import StopReason
from mlyard.core.errors import AuthenticationError, AuthorizationError, ComputeStateConflict, ValidationError
from mlyard.core.ids import utcnow
from mlyard.core.scopes import Scope
from mlyard.services import (
    compute_instances,
    compute_targets,
    identity,
    instance_usage,
    rbac,
    subscriptions,
    workspaces,
)
from mlyard.services.compute_backends import BackendRegistry, TargetStatus
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer

WS = ("sub1", "rg1", "ws1")
RUNNING = TargetStatus(ProvisioningState.SUCCEEDED, "Running")
STOPPED = TargetStatus(ProvisioningState.SUCCEEDED, "Stopped")


@pytest.fixture
def backends(platform: Platform, admin: Principal) -> BackendRegistry:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, *WS)
    return default_backends(platform.settings)


def make(platform: Platform, backends: BackendRegistry, admin: Principal, name: str, **props: object) -> ComputeTarget:
    spec = ComputeTargetSpec(ComputeType.COMPUTE_INSTANCE, properties=dict(props))
    made = compute_targets.create_target(platform, backends, admin, *WS, name, spec)
    compute_targets.record_status(platform, made, RUNNING)  # as the backend's provision answers
    return compute_targets.get_target(platform, *WS, name)


def test_the_create_rules_and_the_lifecycle_refusals(
    platform: Platform, backends: BackendRegistry, admin: Principal
) -> None:
    backend = backends.get(ComputeType.COMPUTE_INSTANCE)
    filled = backend.validate(ComputeTargetSpec(ComputeType.COMPUTE_INSTANCE, properties={"sshPublicAccess": False}))
    assert (
        filled.vm_size == "small"
        and filled.max_concurrent_runs == 1
        and filled.properties == {"sshPublicAccess": False}
    )
    assert backend.validate(ComputeTargetSpec(ComputeType.COMPUTE_INSTANCE, "LARGE")).max_concurrent_runs == 4
    for spec, message in (
        (ComputeTargetSpec(ComputeType.COMPUTE_INSTANCE, "xl"), "small .1 cores, 4 GB, 0.05/hour.; medium"),
        (ComputeTargetSpec(ComputeType.COMPUTE_INSTANCE, properties={"gpu": 1}), "Unknown compute instance setting"),
        (ComputeTargetSpec(ComputeType.COMPUTE_INSTANCE, properties={"schedules": [{"action": "wake"}]}), "start"),
        (
            ComputeTargetSpec(ComputeType.COMPUTE_INSTANCE, properties={"idleTimeBeforeShutdownMinutes": True}),
            "minutes",
        ),
    ):
        with pytest.raises(ValidationError, match=message):
            backend.validate(spec)
    made = make(platform, backends, admin, "ci1")
    assert made.state == "Running"
    with pytest.raises(ComputeStateConflict, match="already Running"):
        compute_targets.request_operation(platform, *WS, "ci1", "start")
    assert compute_targets.request_operation(platform, *WS, "ci1", "stop").state == "Stopping"
    with pytest.raises(ComputeStateConflict, match="already Stopping"):
        compute_targets.request_operation(platform, *WS, "ci1", "stop")
    compute_targets.record_status(platform, compute_targets.get_target(platform, *WS, "ci1"), STOPPED)
    with pytest.raises(ComputeStateConflict, match="already Stopped"):
        compute_targets.request_operation(platform, *WS, "ci1", "stop")


def test_usage_counts_each_session_with_its_reason(
    platform: Platform, backends: BackendRegistry, admin: Principal
) -> None:
    ci1 = make(platform, backends, admin, "ci1")
    # stopped by its idle time: the reason asked for wins over the user's
    instance_usage.mark_pending_stop(platform, ci1.id, StopReason.IDLE)
    stopping = compute_targets.request_operation(platform, *WS, "ci1", "stop")
    compute_targets.record_status(platform, stopping, STOPPED)
    # started again, restarted, then its process found gone
    compute_targets.record_status(platform, compute_targets.request_operation(platform, *WS, "ci1", "start"), RUNNING)
    restarting = compute_targets.request_operation(platform, *WS, "ci1", "restart")
    compute_targets.record_status(platform, restarting, RUNNING)
    lost = TargetStatus(ProvisioningState.SUCCEEDED, "Stopped", "its process was gone")
    compute_targets.record_status(platform, compute_targets.get_target(platform, *WS, "ci1"), lost)
    make(platform, backends, admin, "ci2", idleTimeBeforeShutdownMinutes=30)
    compute_targets.delete_target(platform, *WS, "ci2")
    compute_targets.apply_pending(platform, backends, compute_targets.get_target(platform, *WS, "ci2"))
    assert instance_usage.close_orphans(platform) == 1

    later = utcnow() + timedelta(hours=2)
    report = instance_usage.usage(platform, *WS, now=later)
    reasons = [(s.target_name, s.stop_reason) for s in report.sessions]
    assert reasons == [
        ("ci1", StopReason.IDLE),
        ("ci1", StopReason.RESTART),
        ("ci1", StopReason.LOST),
        ("ci2", StopReason.DELETED),
    ]
    assert [line.key for line in report.instances] == ["ci1", "ci2"] and report.users[0].key == "root-admin"
    assert report.workspace.sessions == 4 and not report.workspace.running
    assert report.workspace.cost == pytest.approx(report.workspace.hours * 0.05, abs=1e-6)
    assert instance_usage.usage(platform, *WS, user="someone-else").workspace.sessions == 0
    assert instance_usage.usage(platform, *WS, user=admin.id).workspace.sessions == 4
    assert instance_usage.usage(platform, *WS, since=later).workspace.hours == 0


def test_the_scheduler_finds_a_lost_process_and_fires_schedules(
    platform: Platform, backends: BackendRegistry, admin: Principal
) -> None:
    make(platform, backends, admin, "lost")  # recorded Running, but no Jupyter was started
    daily = make(platform, backends, admin, "daily", schedules=[{"action": "start", "cron": "30 7 * * *"}])
    compute_targets.record_status(platform, daily, STOPPED)
    seven = datetime(2026, 11, 27, 7, 29, 30, tzinfo=UTC)
    compute_instances.check_instances(platform, backends, since=seven - timedelta(minutes=1), now=seven)
    gone = compute_targets.get_target(platform, *WS, "lost")
    assert gone.state == "Stopped" and "process was gone" in (gone.provisioning_error or "")
    assert compute_targets.get_target(platform, *WS, "daily").state == "Stopped"  # 07:30 has not come
    compute_instances.check_instances(platform, backends, since=seven, now=seven + timedelta(minutes=1))
    assert compute_targets.get_target(platform, *WS, "daily").state == "Starting"
    sessions = instance_usage.usage(platform, *WS).sessions
    assert [(s.target_name, s.stop_reason) for s in sessions if s.target_name == "lost"] == [("lost", StopReason.LOST)]


def test_only_the_owner_and_owners_open_an_instance(
    platform: Platform, backends: BackendRegistry, admin: Principal
) -> None:
    mine = make(platform, backends, admin, "mine")
    user = identity.create_user(platform.db, "bob", "a-long-password")
    scope = Scope(*WS)
    rbac.assign_role(platform.db, user.id, PrincipalType.USER, "Contributor", scope, created_by=None)
    bob = Principal(user.id, PrincipalType.USER, "bob", "test")
    with pytest.raises(AuthorizationError, match="belongs to another user"):
        compute_instances.authorize_proxy(platform, bob, "workspaces/notebooks/vm/read", mine.id)
    target, found = compute_instances.authorize_proxy(platform, admin, "workspaces/notebooks/vm/write", mine.id)
    assert target.id == mine.id and found == scope
    # the browser's ticket: a short token of the caller, redeemed once for a session token
    admin_user = identity.find_user(platform.db, "root-admin")
    assert admin_user is not None
    ticket = compute_instances.issue_ticket(platform, Authorizer(platform.db, admin), admin, *WS, "mine")
    secret = ticket.url.split("ticket=")[1]
    assert ticket.url.startswith(f"/api/v1/instances/{mine.id}/jupyter/open?")
    session, seconds = compute_instances.redeem_ticket(platform, mine.id, secret)
    assert seconds == 12 * 3600 and identity.authenticate_token(platform.db, session).limited_to == scope
    with pytest.raises(AuthenticationError):
        compute_instances.redeem_ticket(platform, mine.id, secret)
    with pytest.raises(AuthenticationError, match="not a ticket"):
        compute_instances.redeem_ticket(platform, mine.id, session)
    compute_targets.record_status(platform, compute_targets.get_target(platform, *WS, "mine"), STOPPED)
    with pytest.raises(ComputeStateConflict, match="is Stopped"):
        compute_instances.issue_ticket(platform, Authorizer(platform.db, admin), admin, *WS, "mine")
