"""How a Ray target's request is checked, how Azure's AmlCompute maps onto it, and how Ray's job
statuses become mlyard's (the end-to-end cases are in tests/e2e/test_ray_compute.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlyard import AmlCompute, RayCompute
from mlyard.backends import ray_head
from mlyard.core.entities.compute import ComputeTargetSpec, ComputeType
from mlyard.core.errors import ValidationError
from mlyard.core.settings import Settings
from mlyard.services.compute_backends import JobState
from mlyard.services.ray_clusters import check_spec


def spec(**properties: Any) -> ComputeTargetSpec:
    return ComputeTargetSpec(ComputeType.RAY, properties=properties)


def test_a_request_gets_azures_defaults_and_one_job_per_node() -> None:
    checked = check_spec(spec(maxNodes=3))
    assert checked.properties == {"address": None, "minNodes": 0, "maxNodes": 3, "idleSecondsBeforeScaledown": 1800}
    assert checked.max_concurrent_runs == 3
    assert check_spec(spec(address="10.0.0.5:8265/")).properties["address"] == "http://10.0.0.5:8265"


@pytest.mark.parametrize(
    ("properties", "says"),
    [
        ({"address": "ray://10.0.0.5:10001"}, "Ray client address"),
        ({"address": "http://host:8265/api"}, "not a Ray dashboard address"),
        ({"minNodes": 3, "maxNodes": 2}, "above maxNodes"),
        ({"maxNodes": 0}, "at least 1"),
        ({"maxNodes": True}, "whole number"),
        ({"idleSecondsBeforeScaledown": -1}, "at least 0"),
        ({"nodes": 2}, "not nodes"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(properties: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        check_spec(spec(**properties))


def test_amlcompute_as_azure_users_write_it_becomes_a_ray_cluster() -> None:
    config = AmlCompute.provisioning_configuration(
        vm_size="STANDARD_D2_V2", vm_priority="lowpriority", max_nodes=4, idle_seconds_before_scaledown=120
    )
    assert config.to_body() == {
        "computeType": "ray",
        "vmSize": "STANDARD_D2_V2",
        "properties": {"minNodes": 0, "maxNodes": 4, "idleSecondsBeforeScaledown": 120},
    }
    attach = RayCompute.attach_configuration("http://10.0.0.5:8265", max_concurrent_runs=8).to_body()
    assert attach["properties"]["address"] == "http://10.0.0.5:8265" and attach["maxConcurrentRuns"] == 8


def test_the_heads_folder_is_short_enough_for_rays_sockets(tmp_path: Path) -> None:
    assert ray_head.temp_dir(Path("/srv/ml"), "0123456789abcdef") == Path("/srv/ml/ray/01234567")
    long_home = tmp_path / ("x" * 80)
    folder = ray_head.temp_dir(long_home, "0123456789abcdef")
    assert len(str(folder)) <= 40 and folder != ray_head.temp_dir(long_home, "fedcba9876543210")


class Answers:
    """What Ray's Jobs API answers for one job (a stand-in for JobSubmissionClient.get_job_info)."""

    def __init__(self, status: str, exit_code: int | None = None, message: str = "") -> None:
        from ray.job_submission import JobDetails, JobStatus, JobType

        self.details = JobDetails(
            type=JobType.SUBMISSION,
            entrypoint="python train.py",
            status=JobStatus(status),
            message=message,
            driver_exit_code=exit_code,
        )

    def get_job_info(self, submission_id: str) -> Any:
        return self.details


@pytest.mark.skipif(not ray_head.ray_installed(), reason="needs ray")
@pytest.mark.parametrize(
    ("status", "exit_code", "message", "state", "code", "reason"),
    [
        ("PENDING", None, "", JobState.RUNNING, None, None),
        ("RUNNING", None, "", JobState.RUNNING, None, None),
        ("SUCCEEDED", 0, "", JobState.EXITED, 0, None),
        ("FAILED", 3, "exit code 3", JobState.EXITED, 3, None),
        ("FAILED", None, "runtime env setup failed", JobState.LOST, None, "runtime env setup failed"),
        ("STOPPED", None, "", JobState.LOST, None, "stopped on the cluster"),
    ],
)
def test_rays_statuses_become_mlyards(
    tmp_path: Path, status: str, exit_code: int | None, message: str, state: JobState, code: int | None, reason: str
) -> None:
    from mlyard.backends.ray import RayBackend

    backend = RayBackend(Settings(home=tmp_path))
    backend._clients["http://127.0.0.1:1"] = Answers(status, exit_code, message)  # type: ignore[assignment]
    polled = backend.poll({"address": "http://127.0.0.1:1", "submissionId": "mlyard-r-1"})
    assert (polled.state, polled.exit_code) == (state, code)
    assert reason is None or reason in str(polled.reason)
