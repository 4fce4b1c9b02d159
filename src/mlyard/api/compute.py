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
