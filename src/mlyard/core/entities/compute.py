"""Compute targets: where a workspace's jobs run (the server's own host, instances, Ray clusters)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from mlyard.core.names import NameRule

LOCAL_TARGET = "local"
"""Every workspace has this target: jobs run as child processes on the server's host."""

COMPUTE_NAME = NameRule(
    "compute target",
    2,
    24,
    re.compile(r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?"),
    "use 2 to 24 letters, digits or hyphens, starting with a letter and not ending with a hyphen",
)


class ComputeType(StrEnum):
    LOCAL = "local"
    COMPUTE_INSTANCE = "computeinstance"
    RAY = "ray"
    ATTACHED = "attached"


class ProvisioningState(StrEnum):
    """Azure's provisioning states; ``Deleting`` while a backend tears a target down."""

    CREATING = "Creating"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    DELETING = "Deleting"


@dataclass(frozen=True)
class ComputeTargetSpec:
    """What a create asks for; the backend of ``compute_type`` checks it and fills its defaults."""

    compute_type: ComputeType
    vm_size: str | None = None
    max_concurrent_runs: int | None = None
    description: str = ""
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ComputeTarget:
    id: str
    workspace_id: str
    name: str
    compute_type: ComputeType
    provisioning_state: ProvisioningState
    # Why provisioning failed (or what it is doing), in words a user can act on.
    provisioning_error: str | None
    # The runtime state of a target with a lifecycle (Running, Stopped, Starting, ...); None for local.
    state: str | None
    vm_size: str | None
    max_concurrent_runs: int
    description: str
    properties: dict[str, Any]
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def ready(self) -> bool:
        """Whether jobs may be dispatched to it now."""
        return self.provisioning_state is ProvisioningState.SUCCEEDED and self.state in (None, "Running")
