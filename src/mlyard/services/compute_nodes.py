"""A cluster's nodes and their counts by state (Azure's ``AmlCompute.list_nodes()`` and
``get_status().node_state_counts``), read from the cluster itself at each request.

Only a backend with ``nodes(target)`` has them (Ray: its state API); asking another kind of
target is a 400 that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlyard.core.entities.compute import ComputeTarget, ProvisioningState
from mlyard.core.errors import ComputeOperationNotSupported
from mlyard.services import compute_targets
from mlyard.services.compute_backends import BackendRegistry
from mlyard.services.platform import Platform
from mlyard.store.jobs import JobRepository


@dataclass(frozen=True)
class Nodes:
    target: ComputeTarget
    nodes: list[dict[str, Any]]
    counts: dict[str, int]

    @property
    def current(self) -> int:
        return sum(1 for n in self.nodes if n["state"] == "ALIVE")


def list_nodes(
    p: Platform, backends: BackendRegistry, subscription_id: str, resource_group: str, workspace: str, name: str
) -> Nodes:
    target = compute_targets.get_target(p, subscription_id, resource_group, workspace, name)
    backend = backends.get(target.compute_type)
    reader = getattr(backend, "nodes", None)
    if reader is None:
        raise ComputeOperationNotSupported(
            f"Compute target '{target.name}' ({target.compute_type.value}) is not a cluster: it has no nodes to list.",
            target="computeName",
        )
    found: list[dict[str, Any]] = reader(target) if target.provisioning_state is ProvisioningState.SUCCEEDED else []
    with p.db.read() as session:
        active = JobRepository(session).active_counts().get(target.id, 0)
    return Nodes(target, found, _counts(found, active))


def _counts(nodes: list[dict[str, Any]], active_jobs: int) -> dict[str, int]:
    """Azure's names from Ray's states: an alive node is running while jobs hold the target's
    slots (one job a node, as slots are counted), idle otherwise; a dead one is unusable."""
    alive = sum(1 for n in nodes if n["state"] == "ALIVE")
    running = min(alive, active_jobs)
    return {
        "idleNodeCount": alive - running,
        "runningNodeCount": running,
        "preparingNodeCount": 0,
        "unusableNodeCount": sum(1 for n in nodes if n["state"] == "DEAD"),
        "leavingNodeCount": 0,
        "preemptedNodeCount": 0,
    }
