"""A workspace's compute targets: list, show, create (through the backend of its type), change,
delete, and start/stop/restart for targets that have a lifecycle.

Creating and changing need ``workspaces/computes/write``, deleting ``.../delete``, each
lifecycle operation its own ``.../start|stop|restart/action``, reading ``.../read``. A create
or delete answers at once (``Creating``, ``Deleting``); the scheduler does the backend's work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from mlyard.api.compute import ComputeCreate, ComputeNodeOut, ComputeNodesOut, ComputeOut, ComputePatch
from mlyard.core import actions as A
from mlyard.core.entities.compute import ComputeTarget, ComputeTargetSpec
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.experiments import WS, where
from mlyard.server.routers.jobs import SchedulerDep, wake
from mlyard.services import compute_nodes
from mlyard.services import compute_targets as svc
from mlyard.services.compute_backends import BackendRegistry


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


def get_backends(request: Request) -> BackendRegistry:
    backends: BackendRegistry = request.app.state.backends
    return backends


BackendsDep = Annotated[BackendRegistry, Depends(get_backends)]
router = APIRouter(prefix="/api/v1", tags=["computes"], dependencies=[Depends(_workspace_path)])
COMPUTES = WS + "/computes"
ONE = COMPUTES + "/{computeName}"
Read = Annotated[AuthContext, authorize(A.COMPUTES_READ)]
Write = Annotated[AuthContext, authorize(A.COMPUTES_WRITE)]
Delete = Annotated[AuthContext, authorize(A.COMPUTES_DELETE)]
Start = Annotated[AuthContext, authorize(A.COMPUTES_START)]
Stop = Annotated[AuthContext, authorize(A.COMPUTES_STOP)]
Restart = Annotated[AuthContext, authorize(A.COMPUTES_RESTART)]


def compute_out(t: ComputeTarget, auth: AuthContext) -> ComputeOut:
    return ComputeOut(
        id=f"{auth.scope.path}/computes/{t.name}",
        name=t.name,
        compute_type=t.compute_type,
        provisioning_state=t.provisioning_state,
        provisioning_error=t.provisioning_error,
        state=t.state,
        vm_size=t.vm_size,
        max_concurrent_runs=t.max_concurrent_runs,
        description=t.description,
        properties=t.properties,
        created_by=t.created_by,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


@router.get(COMPUTES, response_model=list[ComputeOut])
def list_computes(auth: Read, platform: PlatformDep) -> list[ComputeOut]:
    """The workspace's compute targets, ``local`` included."""
    return [compute_out(t, auth) for t in svc.list_targets(platform, *where(auth))]


@router.get(ONE, response_model=ComputeOut)
def get_compute(computeName: str, auth: Read, platform: PlatformDep) -> ComputeOut:
    return compute_out(svc.get_target(platform, *where(auth), computeName), auth)


@router.put(ONE, response_model=ComputeOut, status_code=201)
def create_compute(
    computeName: str,
    body: ComputeCreate,
    auth: Write,
    platform: PlatformDep,
    backends: BackendsDep,
    scheduler: SchedulerDep,
) -> ComputeOut:
    """Create a target (``Creating``); its backend provisions it, then it is ``Succeeded`` or ``Failed``."""
    spec = ComputeTargetSpec(
        body.compute_type, body.vm_size, body.max_concurrent_runs, body.description, dict(body.properties)
    )
    made = svc.create_target(platform, backends, auth.principal, *where(auth), computeName, spec)
    wake(scheduler)
    return compute_out(made, auth)


@router.patch(ONE, response_model=ComputeOut)
def update_compute(
    computeName: str,
    body: ComputePatch,
    auth: Write,
    platform: PlatformDep,
    backends: BackendsDep,
    scheduler: SchedulerDep,
) -> ComputeOut:
    """Change slots, description, or the settings the target's kind lets change after creation."""
    changed = svc.update_target(
        platform,
        *where(auth),
        computeName,
        max_concurrent_runs=body.max_concurrent_runs,
        description=body.description,
        properties=body.properties,
        backends=backends,
    )
    wake(scheduler)
    return compute_out(changed, auth)


@router.get(ONE + "/nodes", response_model=ComputeNodesOut)
def list_compute_nodes(computeName: str, auth: Read, platform: PlatformDep, backends: BackendsDep) -> ComputeNodesOut:
    """A cluster's nodes as the cluster reports them now (Ray's state API), with counts by state."""
    found = compute_nodes.list_nodes(platform, backends, *where(auth), computeName)
    return ComputeNodesOut(
        value=[ComputeNodeOut.model_validate(n) for n in found.nodes],
        node_state_counts=found.counts,
        current_node_count=found.current,
    )


@router.delete(ONE, response_model=ComputeOut, status_code=202)
def delete_compute(computeName: str, auth: Delete, platform: PlatformDep, scheduler: SchedulerDep) -> ComputeOut:
    """Mark the target ``Deleting``; it is gone once its backend tore it down (then 404)."""
    marked = svc.delete_target(platform, *where(auth), computeName)
    wake(scheduler)
    return compute_out(marked, auth)


def _operation(platform: PlatformDep, auth: AuthContext, name: str, op: str, scheduler: SchedulerDep) -> ComputeOut:
    asked = svc.request_operation(platform, *where(auth), name, op)
    wake(scheduler)
    return compute_out(asked, auth)


@router.post(ONE + "/start", response_model=ComputeOut, status_code=202)
def start_compute(computeName: str, auth: Start, platform: PlatformDep, scheduler: SchedulerDep) -> ComputeOut:
    return _operation(platform, auth, computeName, "start", scheduler)


@router.post(ONE + "/stop", response_model=ComputeOut, status_code=202)
def stop_compute(computeName: str, auth: Stop, platform: PlatformDep, scheduler: SchedulerDep) -> ComputeOut:
    return _operation(platform, auth, computeName, "stop", scheduler)


@router.post(ONE + "/restart", response_model=ComputeOut, status_code=202)
def restart_compute(computeName: str, auth: Restart, platform: PlatformDep, scheduler: SchedulerDep) -> ComputeOut:
    return _operation(platform, auth, computeName, "restart", scheduler)
