"""Jobs: source snapshots, submission, a job's state and reason, its log, and cancel.

Submitting needs ``workspaces/experiments/runs/submit/action`` (the snapshot upload too);
reading a job, its log or the snapshot limits ``.../runs/read``; cancelling ``.../runs/write``. The snapshot upload
streams the request body into a temporary file on a worker thread, as run files do.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Query, Request

from mlyard.api.jobs import JobLogOut, JobOut, JobSubmit, JobSubmitted, QueuePlaceOut, SnapshotLimitsOut, SnapshotOut
from mlyard.api.run_files import DIGEST_HEADER
from mlyard.api.tracking import RunOut
from mlyard.core import actions as A
from mlyard.core.entities.jobs import JobRequest, JobView
from mlyard.core.entities.tracking import RunStatus
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.datasets import dataset_input
from mlyard.server.routers.experiments import WS, where
from mlyard.server.routers.runs import run_out
from mlyard.server.streaming import pull_body
from mlyard.services import jobs as svc
from mlyard.services import runs, snapshots
from mlyard.services.scheduler import Scheduler


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


def get_scheduler(request: Request) -> Scheduler | None:
    scheduler: Scheduler | None = getattr(request.app.state, "scheduler", None)
    return scheduler


SchedulerDep = Annotated[Scheduler | None, Depends(get_scheduler)]


def wake(scheduler: Scheduler | None) -> None:
    """A new job, cancel or target: let this server's scheduler act now rather than at its next tick."""
    if scheduler is not None:
        scheduler.wake()


router = APIRouter(prefix="/api/v1", tags=["jobs"], dependencies=[Depends(_workspace_path)])
ONE = WS + "/runs/{runId}"
Submit = Annotated[AuthContext, authorize(A.RUNS_SUBMIT)]
Read = Annotated[AuthContext, authorize(A.RUNS_READ)]
Write = Annotated[AuthContext, authorize(A.RUNS_WRITE)]


def job_out(v: JobView) -> JobOut:
    j, q = v.job, v.queue
    return JobOut(
        run_id=j.run_id,
        experiment_name=j.experiment_name,
        status=j.status,
        status_reason=v.reason,
        compute_target=j.target_name,
        compute_type=j.compute_type,
        queue=QueuePlaceOut(position=q.position, waiting=q.waiting, busy=q.busy, slots=q.slots) if q else None,
        script=j.script,
        arguments=list(j.arguments),
        command=j.command,
        environment=j.environment,
        snapshot_id=j.snapshot_id,
        max_run_duration_seconds=j.max_run_duration_seconds,
        attempt=j.attempt,
        pid=j.pid,
        exit_code=j.exit_code,
        log_size=j.log_size,
        queued_utc=j.queued_at,
        preparing_utc=j.preparing_at,
        running_utc=j.running_at,
        finalizing_utc=j.finalizing_at,
        end_time_utc=j.ended_at,
        cancel_requested_utc=j.cancel_requested_at,
    )


@router.get(WS + "/snapshots/limits", response_model=SnapshotLimitsOut)
def snapshot_limits(auth: Read, platform: PlatformDep) -> SnapshotLimitsOut:
    """The size and file-count limits of a source snapshot, checked by the SDK before uploading."""
    limits = snapshots.limits(platform.settings)
    return SnapshotLimitsOut(max_bytes=limits.max_bytes, max_files=limits.max_files)


@router.post(WS + "/snapshots", response_model=SnapshotOut, status_code=201)
async def upload_snapshot(
    request: Request,
    auth: Submit,
    platform: PlatformDep,
    xxh128: Annotated[
        str | None, Header(alias=DIGEST_HEADER, description="The body's XXH3-128 (32 hex), verified on arrival.")
    ] = None,
) -> SnapshotOut:
    """Store a source snapshot: the raw body is a tar.gz of the source directory."""
    body = request.stream()

    def store() -> snapshots.Snapshot:
        return snapshots.upload(platform, *where(auth), pull_body(body), xxh128)

    made = await anyio.to_thread.run_sync(store)
    return SnapshotOut(snapshot_id=made.id, file_count=len(made.files), size=made.size, xxh128=made.xxh128)


@router.post(WS + "/experiments/{experimentName}/jobs", response_model=JobSubmitted, status_code=201)
def submit_job(
    experimentName: str, body: JobSubmit, auth: Submit, platform: PlatformDep, scheduler: SchedulerDep
) -> JobSubmitted:
    """Queue a run of a script (or a command) from a snapshot on a compute target."""
    request = JobRequest(
        snapshot_id=body.snapshot_id,
        compute_target=body.compute_target,
        script=body.script,
        arguments=tuple(body.arguments),
        command=body.command,
        environment=body.environment,
        max_run_duration_seconds=body.max_run_duration_seconds,
        output_folders=tuple(body.output_folders),
    )
    made = svc.submit(
        platform, auth.principal, *where(auth), experimentName, request, display_name=body.display_name,
        tags=body.tags, input_datasets=[dataset_input(i) for i in body.input_datasets],
    )  # fmt: skip
    wake(scheduler)
    run = runs.get_run(platform, *where(auth), made.job.run_id)
    return JobSubmitted(run=run_out(run), job=job_out(made))


@router.get(WS + "/jobs", response_model=list[JobOut])
def list_jobs(
    auth: Read,
    platform: PlatformDep,
    status: Annotated[list[RunStatus] | None, Query(description="Repeat for several.")] = None,
    computeTarget: str | None = None,
    top: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JobOut]:
    """The workspace's jobs, newest first, each with the reason it is where it is."""
    found = svc.list_jobs(platform, *where(auth), statuses=tuple(status or ()), compute_target=computeTarget, top=top)
    return [job_out(v) for v in found]


@router.get(ONE + "/job", response_model=JobOut)
def get_job(runId: str, auth: Read, platform: PlatformDep) -> JobOut:
    """A submitted run's job: status, why it is there (queue position and slots), process, times."""
    return job_out(svc.get_job(platform, *where(auth), runId))


@router.get(ONE + "/logs", response_model=JobLogOut)
def read_log(
    runId: str,
    auth: Read,
    platform: PlatformDep,
    offset: Annotated[int, Query(ge=0, description="The byte to read from (the last nextOffset).")] = 0,
    limit: Annotated[int, Query(ge=1, le=svc.MAX_LOG_READ)] = 256 * 1024,
) -> JobLogOut:
    """The job's log from ``offset``: poll with each answer's ``nextOffset`` until ``complete``."""
    got = svc.read_log(platform, *where(auth), runId, offset, limit)
    return JobLogOut(
        offset=got.offset,
        next_offset=got.next_offset,
        size=got.size,
        complete=got.complete,
        status=got.status,
        status_reason=got.reason,
        content=got.data.decode("utf-8", errors="replace"),
    )


@router.post(ONE + "/cancel", response_model=RunOut)
def cancel_run(runId: str, auth: Write, platform: PlatformDep, scheduler: SchedulerDep) -> RunOut:
    """Cancel a run: a queued job at once, a running one by stopping its process group."""
    run = svc.cancel(platform, *where(auth), runId)
    wake(scheduler)
    return run_out(run)
