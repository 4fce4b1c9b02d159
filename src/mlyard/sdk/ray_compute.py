"""Ray clusters as compute targets: ``RayCompute``, and Azure ML's ``AmlCompute`` mapped onto one.

::

    config = RayCompute.provisioning_configuration(max_nodes=4, idle_seconds_before_scaledown=600)
    cluster = ComputeTarget.create(ws, "cpu-cluster", config)     # mlyard starts a Ray head when jobs come
    cluster.wait_for_completion(show_output=True)

    config = RayCompute.attach_configuration(address="http://10.0.0.5:8265")
    big = ComputeTarget.attach(ws, "big-ray", config)               # an existing cluster, checked now

Without an address the server starts and owns a Ray head on its host: when the first job
comes (at once with ``min_nodes`` of 1 or more), and stops it after
``idle_seconds_before_scaledown`` without jobs when ``min_nodes`` is 0. With an address it
attaches an existing cluster by its dashboard (Jobs API) address. ``AmlCompute`` takes Azure's
arguments. A ``vm_size`` of the server's size catalogue (``supported_vmsizes``) sets an owned
head's CPUs and memory; other names (Azure's) and ``vm_priority`` are recorded only.
``update()`` changes the node counts and idle time, ``list_nodes()`` and ``get_status()`` read
the nodes from Ray's state API.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ComputeUnreachable
from mlyard.sdk.compute import (
    ComputeTarget,
    ComputeTargetProvisioningConfiguration,
    register_compute_type,
    supported_vmsizes,
)

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace

DEFAULT_MAX_NODES = 4
DEFAULT_IDLE_SECONDS = 1800


class RayComputeProvisioningConfiguration(ComputeTargetProvisioningConfiguration):
    compute_type = "ray"

    def __init__(
        self,
        address: str | None = None,
        min_nodes: int = 0,
        max_nodes: int = DEFAULT_MAX_NODES,
        vm_size: str | None = None,
        idle_seconds_before_scaledown: int | None = None,
        max_concurrent_runs: int | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(max_concurrent_runs, description)
        self.address = address
        self.min_nodes = min_nodes
        self.max_nodes = max_nodes
        self.vm_size = vm_size
        self.idle_seconds_before_scaledown = idle_seconds_before_scaledown

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        if self.vm_size:
            body["vmSize"] = self.vm_size
        properties: dict[str, Any] = {"minNodes": self.min_nodes, "maxNodes": self.max_nodes}
        if self.address:
            properties["address"] = self.address
        if self.idle_seconds_before_scaledown is not None:
            properties["idleSecondsBeforeScaledown"] = self.idle_seconds_before_scaledown
        body["properties"] = properties
        return body


class RayComputeStatus(str):
    """What a cluster's ``get_status()`` answers: the provisioning state (it compares as that
    text, ``== "Succeeded"``) with the nodes as the cluster reports them now."""

    provisioning_state: str
    current_node_count: int
    node_state_counts: dict[str, int]
    errors: str | None

    def __new__(
        cls, provisioning_state: str, current: int, counts: dict[str, int], errors: str | None
    ) -> RayComputeStatus:
        status = super().__new__(cls, provisioning_state)
        status.provisioning_state = provisioning_state
        status.current_node_count = current
        status.node_state_counts = dict(counts)
        status.errors = errors
        return status

    def serialize(self) -> dict[str, Any]:
        return {
            "provisioningState": self.provisioning_state,
            "currentNodeCount": self.current_node_count,
            "nodeStateCounts": self.node_state_counts,
            "errors": self.errors,
        }


class RayCompute(ComputeTarget):
    """A Ray cluster: a head that mlyard owns (scaled to zero when idle), or an attached cluster."""

    _compute_type = "ray"

    @staticmethod
    def provisioning_configuration(
        address: str | None = None,
        min_nodes: int = 0,
        max_nodes: int = DEFAULT_MAX_NODES,
        vm_size: str | None = None,
        idle_seconds_before_scaledown: int | None = DEFAULT_IDLE_SECONDS,
        max_concurrent_runs: int | None = None,
        description: str | None = None,
    ) -> RayComputeProvisioningConfiguration:
        """``max_concurrent_runs`` defaults to ``max_nodes`` (one job per node at a time, as on AmlCompute)."""
        return RayComputeProvisioningConfiguration(
            address, min_nodes, max_nodes, vm_size, idle_seconds_before_scaledown, max_concurrent_runs, description
        )

    @staticmethod
    def attach_configuration(
        address: str, max_concurrent_runs: int | None = None, description: str | None = None
    ) -> RayComputeProvisioningConfiguration:
        """An existing Ray cluster by its dashboard address (``http://HOST:8265``)."""
        return RayComputeProvisioningConfiguration(
            address=address, max_concurrent_runs=max_concurrent_runs, description=description
        )

    def wait_for_completion(
        self,
        show_output: bool = False,
        is_delete_operation: bool = False,
        timeout_in_minutes: float = 30,
        min_node_count: int | None = None,
    ) -> None:
        """As ``ComputeTarget``'s; ``min_node_count`` is taken for Azure's scripts (a head starts with
        its first job)."""
        super().wait_for_completion(show_output, is_delete_operation, timeout_in_minutes)

    @property
    def address(self) -> str | None:
        """The attached cluster's dashboard address; None for a head that mlyard owns."""
        found = self.properties.get("address")
        return str(found) if found else None

    @property
    def dashboard_url(self) -> str | None:
        """Where the cluster's dashboard answers (an owned head's, while it runs)."""
        if self.address:
            return self.address
        found = self.properties.get("dashboardUrl")
        return str(found) if found and self.head_state == "Running" else None

    @property
    def head_state(self) -> str | None:
        """``Running`` or ``Stopped`` (scaled to zero) for an owned head; ``Attached`` for a cluster of its own."""
        found = self.properties.get("head")
        return str(found) if found else None

    @property
    def min_nodes(self) -> int:
        return int(self.properties.get("minNodes") or 0)

    @property
    def max_nodes(self) -> int:
        return int(self.properties.get("maxNodes") or 1)

    @property
    def idle_seconds_before_scaledown(self) -> int | None:
        found = self.properties.get("idleSecondsBeforeScaledown")
        return int(found) if found is not None else None

    def update(  # type: ignore[override]  # Azure's AmlCompute.update arguments
        self,
        min_nodes: int | None = None,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = None,
        max_concurrent_runs: int | None = None,
        description: str | None = None,
    ) -> None:
        """Change the node counts or the idle time (None: unchanged). Slots follow ``max_nodes``
        unless ``max_concurrent_runs`` was set apart from it; raising ``min_nodes`` above 0
        starts an owned head, lowering it to 0 lets it scale to zero after its idle time."""
        wanted = {
            "minNodes": min_nodes,
            "maxNodes": max_nodes,
            "idleSecondsBeforeScaledown": idle_seconds_before_scaledown,
        }
        properties = {k: v for k, v in wanted.items() if v is not None}
        self._patch(max_concurrent_runs, description, properties)

    def list_nodes(self) -> builtins.list[dict[str, Any]]:
        """The cluster's nodes now, from Ray's state API: ``nodeId``, ``address``, ``state``
        (ALIVE, DEAD), ``isHead``, ``resources``; none while an owned head is scaled to zero."""
        found = self.workspace._client.get(f"{self._path}/nodes")
        return list(found["value"])

    def get_status(self) -> RayComputeStatus:
        """The provisioning state with ``current_node_count`` and ``node_state_counts``."""
        self.refresh_state()
        errors = self.provisioning_errors
        try:
            found = self.workspace._client.get(f"{self._path}/nodes")
        except ComputeUnreachable as exc:  # the state is still worth answering
            return RayComputeStatus(self.provisioning_state, 0, {}, exc.message)
        return RayComputeStatus(
            self.provisioning_state, int(found["currentNodeCount"]), found["nodeStateCounts"], errors
        )

    @staticmethod
    def supported_vmsizes(workspace: Workspace, location: str | None = None) -> builtins.list[dict[str, Any]]:
        """The server's size catalogue (Azure's shape: ``name``, ``vCPUs``, ``memoryGB``, and
        ``pricePerHour``); a catalogue size sets an owned head's CPUs and memory."""
        return supported_vmsizes(workspace)

    def get_node_count(self) -> int:
        """Nodes up now: 1 while an owned head runs, 0 once it scaled to zero."""
        self.refresh_state()
        return int(self.properties.get("nodes") or 0)


class AmlCompute(RayCompute):
    """Azure ML's compute cluster, run as a Ray cluster that mlyard owns."""

    @staticmethod
    def provisioning_configuration(  # type: ignore[override]  # Azure's arguments, in Azure's order
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int = DEFAULT_MAX_NODES,
        idle_seconds_before_scaledown: int | None = DEFAULT_IDLE_SECONDS,
        tags: dict[str, str] | None = None,
        description: str | None = None,
    ) -> RayComputeProvisioningConfiguration:
        """``vm_priority`` and ``tags`` are accepted for Azure's scripts and not used."""
        return RayComputeProvisioningConfiguration(
            None, min_nodes, max_nodes, vm_size or None, idle_seconds_before_scaledown, None, description
        )


register_compute_type("ray", RayCompute)
