"""Compute targets of a workspace: ``local`` (made on first use), and those created through a backend.

Creating, starting, stopping and deleting only record what is asked (``Creating``,
``Starting``, ``Stopping``, ``Deleting``); the scheduler then does the backend's work in a
worker thread (:func:`apply_pending`) and records the answer, so that no request waits for a
Jupyter server or a Ray head to come up.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from mlyard.core.entities.compute import (
    COMPUTE_NAME,
    LOCAL_TARGET,
    ComputeTarget,
    ComputeTargetSpec,
    ComputeType,
    ProvisioningState,
)
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    ComputeOperationNotSupported,
    ComputeStateConflict,
    ComputeTargetAlreadyExists,
    ComputeTargetNotFound,
    ComputeTargetNotRemovable,
    Conflict,
    MlyardError,
    ValidationError,
)
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import name_key
from mlyard.core.settings import Settings
from mlyard.services import compute_instance_signin, instance_usage
from mlyard.services.compute_backends import BackendRegistry, ComputeBackend, SigningInBackend, TargetStatus
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.compute import ComputeRepository, ComputeTargetRow
from mlyard.store.jobs import JobRepository

log = logging.getLogger("mlyard.compute")

MAX_DESCRIPTION = 2000
# Operation -> the state that asks the scheduler for it.
OPERATIONS = {"start": "Starting", "stop": "Stopping", "restart": "Restarting"}
# Starting a running target twice, stopping a stopped one: a clear refusal (409), not a no-op.
_REFUSED = {
    *(("start", s) for s in ("Running", "Starting", "Restarting")),
    *(("stop", s) for s in ("Stopped", "Stopping")),
    *(("restart", s) for s in ("Starting", "Stopping", "Restarting")),
}


def local_slots(settings: Settings) -> int:
    """How many jobs the ``local`` target runs at once unless told otherwise: the host's cores."""
    return settings.local_max_concurrent_runs or os.cpu_count() or 1


def _local_row(p: Platform, workspace_id: str) -> ComputeTargetRow:
    now = utcnow()
    return ComputeTargetRow(
        id=new_id(),
        workspace_id=workspace_id,
        name=LOCAL_TARGET,
        name_key=name_key(LOCAL_TARGET),
        compute_type=ComputeType.LOCAL.value,
        provisioning_state=ProvisioningState.SUCCEEDED.value,
        provisioning_error=None,
        state=None,
        vm_size=None,
        max_concurrent_runs=local_slots(p.settings),
        description="Processes on the mlyard server's host.",
        properties={},
        created_by=None,
        created_at=now,
        updated_at=now,
    )


def _with_local(p: Platform, ws: Workspace) -> list[ComputeTarget]:
    """The workspace's targets, ``local`` made first if it is missing (two requests may race: the
    loser of the unique name finds the winner's row)."""
    with p.db.read() as session:
        found = ComputeRepository(session).in_workspace(ws.id)
    if any(t.name.lower() == LOCAL_TARGET for t in found):
        return found
    try:
        with p.db.write() as session:
            repo = ComputeRepository(session)
            if repo.get(ws.id, LOCAL_TARGET) is None:
                repo.add(_local_row(p, ws.id))
    except Conflict:
        pass
    with p.db.read() as session:
        return ComputeRepository(session).in_workspace(ws.id)


def list_targets(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> list[ComputeTarget]:
    return _with_local(p, get_workspace(p, subscription_id, resource_group, workspace))


def not_found(workspace: str, name: str, targets: list[ComputeTarget]) -> ComputeTargetNotFound:
    names = ", ".join(t.name for t in targets) or "none"
    return ComputeTargetNotFound(
        f"Compute target '{name}' was not found in workspace '{workspace}'; it has: {names}. "
        "Create it with ComputeTarget.create(ws, name, config) or 'mlyard compute create'.",
        target="computeTarget",
    )


def get_target(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> ComputeTarget:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    targets = _with_local(p, ws)
    for target in targets:
        if target.name.lower() == name.lower():
            return target
    raise not_found(ws.name, name, targets)


def create_target(
    p: Platform,
    backends: BackendRegistry,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    spec: ComputeTargetSpec,
) -> ComputeTarget:
    """Record a new target as ``Creating``; the scheduler provisions it through its backend."""
    COMPUTE_NAME.check(name, target="computeName")
    if len(spec.description) > MAX_DESCRIPTION:
        raise ValidationError(f"A description takes at most {MAX_DESCRIPTION} characters.", target="description")
    checked = backends.get(spec.compute_type).validate(spec)
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    existing = _with_local(p, ws)
    if any(t.name.lower() == name.lower() for t in existing):
        raise _exists(ws.name, name)
    now = utcnow()
    row = ComputeTargetRow(
        id=new_id(),
        workspace_id=ws.id,
        name=name,
        name_key=name_key(name),
        compute_type=checked.compute_type.value,
        provisioning_state=ProvisioningState.CREATING.value,
        provisioning_error=None,
        state=None,
        vm_size=checked.vm_size,
        max_concurrent_runs=checked.max_concurrent_runs or local_slots(p.settings),
        description=checked.description,
        properties=dict(checked.properties),
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    try:
        with p.db.write() as session:
            return ComputeRepository(session).add(row)
    except Conflict:
        raise _exists(ws.name, name) from None


def _exists(workspace: str, name: str) -> ComputeTargetAlreadyExists:
    return ComputeTargetAlreadyExists(
        f"Workspace '{workspace}' already has a compute target named '{name}': use it "
        "(ComputeTarget(ws, name)), or pick another name.",
        target="computeName",
    )


def update_target(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    *,
    max_concurrent_runs: int | None = None,
    description: str | None = None,
    properties: dict[str, Any] | None = None,
    backends: BackendRegistry | None = None,
) -> ComputeTarget:
    """Change a target after creation. ``properties`` are the settings its backend lets change
    (a Ray cluster's node counts and idle time, an instance's idle shutdown and schedules), checked
    by the backend as at create; a ``None`` value puts a setting back to its default."""
    target = get_target(p, subscription_id, resource_group, workspace, name)
    values: dict[str, Any] = {"updated_at": utcnow()}
    if max_concurrent_runs is not None:
        if not 1 <= max_concurrent_runs <= 1024:
            raise ValidationError("max_concurrent_runs is 1 to 1024.", target="maxConcurrentRuns")
        values["max_concurrent_runs"] = max_concurrent_runs
    if description is not None:
        if len(description) > MAX_DESCRIPTION:
            raise ValidationError(f"A description takes at most {MAX_DESCRIPTION} characters.", target="description")
        values["description"] = description
    if properties:
        if backends is None:
            raise ValidationError("This server cannot change a target's settings.", target="properties")
        values.update(_changed_settings(backends, target, properties, max_concurrent_runs))
    with p.db.write() as session:
        repo = ComputeRepository(session)
        repo.update(target.id, **values)
        updated = repo.get_by_id(target.id)
    assert updated is not None
    return updated


def _changed_settings(
    backends: BackendRegistry, target: ComputeTarget, changes: dict[str, Any], max_concurrent_runs: int | None
) -> dict[str, Any]:
    """The columns a settings change writes: the backend checks the whole new set, as at create."""
    backend = backends.get(target.compute_type)
    settable: frozenset[str] = getattr(backend, "settable_properties", frozenset())
    kept: frozenset[str] = getattr(backend, "kept_properties", frozenset())
    refused = sorted(set(changes) - settable)
    if refused:
        allowed = ", ".join(sorted(settable)) or "none"
        raise ValidationError(
            f"Compute target '{target.name}' ({target.compute_type.value}) cannot change {', '.join(refused)} "
            f"after creation; it can change: {allowed}.",
            target="properties",
        )
    asked = {k: v for k, v in target.properties.items() if k in settable | kept} | changes
    spec = ComputeTargetSpec(
        target.compute_type,
        target.vm_size,
        max_concurrent_runs or target.max_concurrent_runs,
        target.description,
        {k: v for k, v in asked.items() if v is not None},
    )
    checked = backend.validate(spec)
    merged = {k: v for k, v in target.properties.items() if k not in changes} | {
        k: v for k, v in checked.properties.items() if k in settable | kept and v is not None
    }
    values: dict[str, Any] = {"properties": merged}
    # A cluster runs one job per node unless told otherwise: its slots follow maxNodes while they did.
    old_max, new_max = target.properties.get("maxNodes"), merged.get("maxNodes")
    if max_concurrent_runs is None and old_max is not None and target.max_concurrent_runs == old_max:
        values["max_concurrent_runs"] = new_max
    return values


def delete_target(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> ComputeTarget:
    """Mark the target ``Deleting``; the scheduler tears it down and removes it. ``local`` stays,
    and a target with queued or running jobs is refused until they end or are canceled."""
    target = get_target(p, subscription_id, resource_group, workspace, name)
    if target.name.lower() == LOCAL_TARGET:
        raise ComputeTargetNotRemovable(
            "Every workspace keeps its 'local' target: it cannot be deleted.", target="computeName"
        )
    with p.db.write() as session:
        if JobRepository(session).has_pending(target.id):
            raise ComputeTargetNotRemovable(
                f"Compute target '{target.name}' has queued or running jobs: cancel them "
                "('mlyard job cancel RUN_ID') or wait for them to end, then delete it.",
                target="computeName",
            )
        repo = ComputeRepository(session)
        repo.update(target.id, provisioning_state=ProvisioningState.DELETING.value, updated_at=utcnow())
        updated = repo.get_by_id(target.id)
    assert updated is not None
    return updated


def request_operation(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str, operation: str
) -> ComputeTarget:
    """Ask for ``start``, ``stop`` or ``restart``; the scheduler calls the backend."""
    target = get_target(p, subscription_id, resource_group, workspace, name)
    if target.compute_type is ComputeType.LOCAL:
        raise ComputeOperationNotSupported(
            f"Compute target '{target.name}' runs jobs on the server's host: it has no {operation}.",
            target="operation",
        )
    if target.provisioning_state is not ProvisioningState.SUCCEEDED:
        raise Conflict(
            f"Compute target '{target.name}' is {target.provisioning_state.value}: it can {operation} "
            "once it is provisioned.",
            target="computeName",
        )
    if (operation, target.state) in _REFUSED:
        raise ComputeStateConflict(
            f"Compute target '{target.name}' is already {target.state}: it cannot {operation} now.",
            target="operation",
        )
    with p.db.write() as session:
        repo = ComputeRepository(session)
        repo.update(target.id, state=OPERATIONS[operation], updated_at=utcnow())
        updated = repo.get_by_id(target.id)
    assert updated is not None
    return updated


def apply_pending(p: Platform, backends: BackendRegistry, target: ComputeTarget) -> None:
    """Do what the target waits for (provision, start, stop, restart, delete) through its backend
    and record the outcome; a backend's error becomes the target's Failed state and reason."""
    provisioning = target.provisioning_state is not ProvisioningState.SUCCEEDED
    try:
        backend = backends.get(target.compute_type)
        if target.provisioning_state is ProvisioningState.DELETING:
            backend.delete(target)
            compute_instance_signin.revoke(p, target)
            with p.db.write() as session:
                ComputeRepository(session).delete(target.id)
            return
        if target.provisioning_state is ProvisioningState.CREATING:
            status = _start(p, backend, target) if isinstance(backend, SigningInBackend) else backend.provision(target)
        elif target.state == "Starting":
            status = _start(p, backend, target)
        elif target.state == "Stopping":
            status = backend.stop(target)
        elif target.state == "Restarting":
            backend.stop(target)
            status = _start(p, backend, target)
        else:
            return
    except Exception as exc:  # a backend's failure must not stop the scheduler: the target says what broke
        if not isinstance(exc, MlyardError):
            log.exception("compute target %s: the backend failed", target.id)
        reason = exc.message if isinstance(exc, MlyardError) else f"{type(exc).__name__}: {exc}"
        # A failed provisioning or deletion fails the target; a failed start or stop only its state.
        status = (
            TargetStatus(ProvisioningState.FAILED, reason=reason)
            if provisioning
            else TargetStatus(ProvisioningState.SUCCEEDED, state="Failed", reason=reason)
        )
    record_status(p, target, status)


def _start(p: Platform, backend: ComputeBackend, target: ComputeTarget) -> TargetStatus:
    """Start a target; an instance with a fresh sign-in for the SDK in its notebooks."""
    if isinstance(backend, SigningInBackend):
        return backend.start_signed_in(target, compute_instance_signin.issue(p, target))
    return backend.start(target)


def record_status(p: Platform, target: ComputeTarget, status: TargetStatus) -> None:
    # Starts and stops of instances are counted for usage (services/instance_usage.py).
    instance_usage.record_transition(p, target, status)
    if target.compute_type is ComputeType.COMPUTE_INSTANCE and status.state != "Running":
        compute_instance_signin.revoke(p, target)  # its notebooks' token ends with it
    with p.db.write() as session:
        ComputeRepository(session).update(
            target.id,
            provisioning_state=status.provisioning_state.value,
            provisioning_error=status.reason,
            state=status.state,
            properties={**target.properties, **status.properties},
            updated_at=utcnow(),
        )
