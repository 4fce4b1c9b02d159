"""Compute targets through their service, on SQLite and PostgreSQL: ``local`` made on first use,
the others created, changed and deleted through their backend's rules."""

from __future__ import annotations

import os

import pytest
from tests.contract.test_services_jobs import WS, submit

from mlyard.backends import default_backends
from mlyard.core.entities.compute import ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    ComputeOperationNotSupported,
    ComputeTargetAlreadyExists,
    ComputeTargetNotFound,
    ComputeTargetNotRemovable,
    ComputeTypeNotSupported,
    InvalidName,
    ValidationError,
)
from mlyard.services import compute_targets
from mlyard.services.platform import Platform


def test_compute_targets_local_made_on_first_use_and_the_rules_of_the_others(
    platform: Platform, admin: Principal, ws: tuple[str, str, str]
) -> None:
    backends = default_backends(platform.settings)
    listed = compute_targets.list_targets(platform, *WS)
    assert [t.name for t in listed] == ["local"] and listed[0].max_concurrent_runs == (os.cpu_count() or 1)
    assert compute_targets.get_target(platform, *WS, "LOCAL").id == listed[0].id
    spec = ComputeTargetSpec(ComputeType.LOCAL, max_concurrent_runs=1)
    compute_targets.create_target(platform, backends, admin, *WS, "cpu-1", spec)
    with pytest.raises(ComputeTargetAlreadyExists):
        compute_targets.create_target(platform, backends, admin, *WS, "CPU-1", spec)
    with pytest.raises(InvalidName):
        compute_targets.create_target(platform, backends, admin, *WS, "1-bad-", spec)
    with pytest.raises(ValidationError, match="vm_size"):
        compute_targets.create_target(
            platform, backends, admin, *WS, "big", ComputeTargetSpec(ComputeType.LOCAL, "large")
        )
    # 'attached' is a type with no backend yet (Kubernetes, in docs/compute.md).
    with pytest.raises(ComputeTypeNotSupported, match="'attached'"):
        compute_targets.create_target(platform, backends, admin, *WS, "k8s", ComputeTargetSpec(ComputeType.ATTACHED))
    with pytest.raises(ComputeTargetNotRemovable, match="local"):
        compute_targets.delete_target(platform, *WS, "local")
    with pytest.raises(ComputeOperationNotSupported):
        compute_targets.request_operation(platform, *WS, "local", "stop")
    assert compute_targets.update_target(platform, *WS, "local", max_concurrent_runs=3).max_concurrent_runs == 3
    submit(platform, admin, {"main.py": ""}, target="cpu-1")
    with pytest.raises(ComputeTargetNotRemovable, match="queued or running"):
        compute_targets.delete_target(platform, *WS, "cpu-1")
    compute_targets.create_target(platform, backends, admin, *WS, "cpu-2", spec)
    assert compute_targets.delete_target(platform, *WS, "cpu-2").provisioning_state is ProvisioningState.DELETING
    compute_targets.apply_pending(platform, backends, compute_targets.get_target(platform, *WS, "cpu-2"))
    with pytest.raises(ComputeTargetNotFound, match="it has: cpu-1, local"):
        compute_targets.get_target(platform, *WS, "cpu-2")
