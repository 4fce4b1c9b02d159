"""Changing targets after creation, a cluster's nodes, and the token of an instance's notebooks,
through their services, on SQLite and PostgreSQL (no Ray head or Jupyter is started here)."""

from __future__ import annotations

import pytest
from tests.contract.test_services_jobs import WS

from mlyard.backends import default_backends
from mlyard.core import actions as A
from mlyard.core.entities.compute import ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.errors import (
    AuthenticationError,
    ComputeOperationNotSupported,
    ComputeTargetNotFound,
    NotFound,
    ValidationError,
)
from mlyard.core.scopes import Scope
from mlyard.services import compute_instance_signin, compute_nodes, compute_targets, identity, subscriptions, workspaces
from mlyard.services.compute_backends import TargetStatus
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer


@pytest.fixture
def ws(platform: Platform, admin: Principal) -> tuple[str, str, str]:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws2")
    return WS


def test_a_ray_cluster_changes_its_nodes_and_idle_time_and_bad_changes_leave_it_as_it_was(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    backends = default_backends(platform.settings)
    props = {"minNodes": 0, "maxNodes": 2, "idleSecondsBeforeScaledown": 60}
    made = compute_targets.create_target(
        platform, backends, admin, *WS, "ray1", ComputeTargetSpec(ComputeType.RAY, properties=props)
    )
    assert made.max_concurrent_runs == 2

    def update(**properties: object) -> object:
        return compute_targets.update_target(platform, *WS, "ray1", properties=properties, backends=backends)

    changed = update(maxNodes=4, idleSecondsBeforeScaledown=30)
    target = compute_targets.get_target(platform, *WS, "ray1")
    assert changed == target
    assert target.properties["maxNodes"] == 4 and target.properties["idleSecondsBeforeScaledown"] == 30
    assert target.properties["minNodes"] == 0 and target.max_concurrent_runs == 4  # slots follow maxNodes
    with pytest.raises(ValidationError, match=r"minNodes \(5\) is above maxNodes \(4\)"):
        update(minNodes=5)
    with pytest.raises(ValidationError, match="cannot change address"):
        update(address="http://10.0.0.5:8265")
    with pytest.raises(ValidationError, match="maxNodes is a whole number"):
        update(maxNodes="many")
    with pytest.raises(ComputeTargetNotFound, match="'missing' was not found"):
        compute_targets.update_target(platform, *WS, "missing", properties={"maxNodes": 2}, backends=backends)
    assert compute_targets.get_target(platform, *WS, "ray1") == target  # nothing changed by the refusals
    # Slots set apart from maxNodes stay what they were set to.
    compute_targets.update_target(platform, *WS, "ray1", max_concurrent_runs=1)
    assert update(maxNodes=6).max_concurrent_runs == 1  # type: ignore[attr-defined]
    # idleSecondsBeforeScaledown set to None goes back to its default.
    assert update(idleSecondsBeforeScaledown=None).properties["idleSecondsBeforeScaledown"] == 1800  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="cannot change maxNodes"):
        compute_targets.update_target(platform, *WS, "local", properties={"maxNodes": 2}, backends=backends)


def test_an_instance_changes_idle_shutdown_and_schedules_after_creation(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    backends = default_backends(platform.settings)
    spec = ComputeTargetSpec(
        ComputeType.COMPUTE_INSTANCE,
        "small",
        properties={"idleTimeBeforeShutdownMinutes": 60, "sshPublicAccess": False},
    )
    compute_targets.create_target(platform, backends, admin, *WS, "ci1", spec)

    def update(**properties: object) -> dict[str, object]:
        changed = compute_targets.update_target(platform, *WS, "ci1", properties=properties, backends=backends)
        return changed.properties

    schedules = [{"action": "stop", "cron": "0 19 * * 1-5"}, {"action": "start", "cron": "0 8 * * 1-5"}]
    props = update(idleTimeBeforeShutdownMinutes=15, schedules=schedules)
    assert props["idleTimeBeforeShutdownMinutes"] == 15 and props["schedules"] == schedules
    assert props["sshPublicAccess"] is False  # kept as created
    with pytest.raises(ValidationError, match="minutes above 0"):
        update(idleTimeBeforeShutdownMinutes=-1)
    with pytest.raises(ValidationError, match="outside 0-59 in the minute field"):
        update(schedules=[{"action": "stop", "cron": "61 * * * *"}])
    with pytest.raises(ValidationError, match="cannot change sshPublicAccess"):
        update(sshPublicAccess=True)
    after = update(idleTimeBeforeShutdownMinutes=None, schedules=[])
    assert "idleTimeBeforeShutdownMinutes" not in after and after["schedules"] == []
    with pytest.raises(ComputeOperationNotSupported, match="not a cluster"):
        compute_nodes.list_nodes(platform, backends, *WS, "ci1")


def test_a_cluster_without_a_running_head_lists_no_nodes(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    backends = default_backends(platform.settings)
    spec = ComputeTargetSpec(ComputeType.RAY, properties={"maxNodes": 2})
    target = compute_targets.create_target(platform, backends, admin, *WS, "ray2", spec)
    found = compute_nodes.list_nodes(platform, backends, *WS, "ray2")  # still Creating: nothing asked of Ray
    assert found.nodes == [] and found.current == 0 and found.counts["idleNodeCount"] == 0
    compute_targets.record_status(
        platform, target, TargetStatus(ProvisioningState.SUCCEEDED, properties={"head": "Stopped"})
    )
    assert compute_nodes.list_nodes(platform, backends, *WS, "ray2").nodes == []  # scaled to zero
    with pytest.raises(ComputeTargetNotFound):
        compute_nodes.list_nodes(platform, backends, *WS, "nope")


def test_an_instance_token_is_its_owners_limited_to_the_workspace_and_revoked_when_it_stops(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    backends = default_backends(platform.settings)
    spec = ComputeTargetSpec(ComputeType.COMPUTE_INSTANCE, "small")
    target = compute_targets.create_target(platform, backends, admin, *WS, "ci2", spec)
    sign_in = compute_instance_signin.issue(platform, target)
    assert sign_in is not None
    assert sign_in.config == {
        "subscription_id": "sub1",
        "resource_group": "rg1",
        "workspace_name": "ws1",
        "endpoint": platform.settings.job_endpoint,
    }
    token = sign_in.variables["MLYARD_TOKEN"]
    principal = identity.authenticate_token(platform.db, token)
    assert principal.id == admin.id and principal.type is PrincipalType.USER
    authorizer = Authorizer(platform.db, principal)
    ws1, ws2 = (
        Scope.parse("/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1"),
        Scope.parse("/subscriptions/sub1/resourceGroups/rg1/workspaces/ws2"),
    )
    assert authorizer.can(A.COMPUTES_READ, ws1) and not authorizer.can(A.COMPUTES_READ, ws2)
    with pytest.raises(NotFound):  # the owner's other workspace is out of the token's reach
        authorizer.require(A.COMPUTES_READ, ws2)
    # A second start revokes the first token.
    again = compute_instance_signin.issue(platform, target)
    assert again is not None
    with pytest.raises(AuthenticationError, match="revoked"):
        identity.authenticate_token(platform.db, token)
    # Recorded as stopped (by hand, idle, schedule, lost): its token goes with it.
    compute_targets.record_status(platform, target, TargetStatus(ProvisioningState.SUCCEEDED, "Stopped"))
    with pytest.raises(AuthenticationError, match="revoked"):
        identity.authenticate_token(platform.db, again.variables["MLYARD_TOKEN"])
    names = [t.name for t in identity.list_tokens(platform.db, admin.id)]
    assert names.count(compute_instance_signin.token_name(target)) == 2
