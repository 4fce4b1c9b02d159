"""Compute targets on the wire (Azure's names: ``computeType``, ``provisioningState``, ``vmSize``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel
from mlyard.core.entities.compute import ComputeType, ProvisioningState


class ComputeCreate(RequestModel):
    compute_type: ComputeType
    vm_size: str | None = Field(default=None, max_length=64)
    max_concurrent_runs: int | None = Field(default=None, ge=1, le=1024)
    description: str = Field(default="", max_length=2000)
    properties: dict[str, Any] = Field(default_factory=dict)


class ComputePatch(RequestModel):
    max_concurrent_runs: int | None = Field(default=None, ge=1, le=1024)
    description: str | None = Field(default=None, max_length=2000)
    # Settings the target's backend lets change (minNodes, maxNodes, idleSecondsBeforeScaledown;
    # idleTimeBeforeShutdownMinutes, schedules, tags); null puts one back to its default.
    properties: dict[str, Any] | None = None


class ComputeNodeOut(WireModel):
    """One node of a cluster, as Ray's state API reports it."""

    node_id: str
    address: str
    state: str
    is_head: bool
    resources: dict[str, float]
    state_message: str | None = None


class ComputeNodesOut(WireModel):
    value: list[ComputeNodeOut]
    # Azure's node_state_counts: idleNodeCount, runningNodeCount, unusableNodeCount, ...
    node_state_counts: dict[str, int]
    current_node_count: int


class ComputeOut(WireModel):
    id: str
    name: str
    compute_type: ComputeType
    provisioning_state: ProvisioningState
    provisioning_error: str | None
    state: str | None
    vm_size: str | None
    max_concurrent_runs: int
    description: str
    properties: dict[str, Any]
    created_by: str | None
    created_at: datetime
    updated_at: datetime
