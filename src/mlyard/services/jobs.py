"""Jobs: submitting a run to a compute target, what it waits for, cancelling it, reading its log.

A submission is a run (``RunType.SCRIPT``, Queued) and a job row that the scheduler
(:mod:`mlyard.services.scheduler`) claims when its target has a free slot. A waiting job always
says why: the reason of a queued one is computed when it is read (its place in its target's
line and the target's busy slots, or the target it waits for); later ones record theirs.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from sqlalchemy.orm import Session

from mlyard.core.entities.compute import ComputeTarget, ProvisioningState
from mlyard.core.entities.datasets import DatasetInput
from mlyard.core.entities.environments import parse_reference
from mlyard.core.entities.identity import Principal
from mlyard.core.entities.jobs import LOG_FILE, Job, JobRequest, JobView, LogSlice
from mlyard.core.entities.tracking import Run, RunStatus, RunType
from mlyard.core.errors import Conflict, JobNotFound, RunFileNotFound, ValidationError
from mlyard.core.ids import utcnow
from mlyard.services import compute_targets, dataset_inputs, environments, run_changes, run_files, runs, snapshots
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.compute import ComputeRepository
from mlyard.store.jobs import JobRepository, JobRow
from mlyard.store.runs import TrackingRepository

MAX_ARGUMENTS = 1000
MAX_COMMAND = 32 * 1024
MAX_LOG_READ = 1024 * 1024
_FOLDER = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


def environment_reference(text: str | None) -> str | None:
    """``name``, ``name:version`` or ``name@latest``, Azure's ``azureml:`` prefix dropped."""
    if text is None or not text.strip():
        return None
    bare = text.strip().removeprefix("azureml:")
    parse_reference(bare)
    return bare


def _check_request(request: JobRequest) -> JobRequest:
    if (request.script is None) == (request.command is None):
        raise ValidationError("A job runs either a script (with arguments) or a command: give exactly one.")
    if request.script is not None:
        path = PurePosixPath(request.script.replace("\\", "/"))
        if not request.script.strip() or path.is_absolute() or ".." in path.parts:
            raise ValidationError(
                f"The script '{request.script}' must be a path inside the source directory (relative, without '..').",
                target="script",
            )
    if request.command is not None and not (0 < len(request.command) <= MAX_COMMAND):
        raise ValidationError(f"A command takes 1 to {MAX_COMMAND} characters.", target="command")
    if len(request.arguments) > MAX_ARGUMENTS or sum(len(a) for a in request.arguments) > MAX_COMMAND:
        raise ValidationError(
            f"A job takes at most {MAX_ARGUMENTS} arguments, {MAX_COMMAND} characters in all.", target="arguments"
        )
    if request.max_run_duration_seconds is not None and request.max_run_duration_seconds < 1:
        raise ValidationError("max_run_duration_seconds must be at least 1.", target="maxRunDurationSeconds")
    for folder in request.output_folders:
        if not _FOLDER.fullmatch(folder) or ".." in folder.split("/"):
            raise ValidationError(f"'{folder}' is not a folder name for an output.", target="outputFolders")
    return request


def submit(
    p: Platform,
    actor: Principal,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    experiment_name: str,
    request: JobRequest,
    *,
    display_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    input_datasets: Sequence[DatasetInput] = (),
) -> JobView:
    """Queue a run of ``request`` on its target. Refused before anything is made: an unknown
    target (the message lists those that exist), a failed one, a missing snapshot or script,
    an unknown environment."""
    request = _check_request(request)
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    target = compute_targets.get_target(p, subscription_id, resource_group, workspace, request.compute_target)
    if target.provisioning_state in (ProvisioningState.FAILED, ProvisioningState.DELETING):
        raise Conflict(
            f"Compute target '{target.name}' is {target.provisioning_state.value}"
            f"{': ' + target.provisioning_error if target.provisioning_error else ''}; submit to another target.",
            target="computeTarget",
        )
    snapshot = snapshots.get_snapshot(p, ws.id, request.snapshot_id)
    script = str(PurePosixPath(request.script.replace("\\", "/"))) if request.script is not None else None
    if script is not None and not snapshot.has_file(script):
        scripts = sorted(name for name, _ in snapshot.files if name.endswith(".py"))[:20]
        raise ValidationError(
            f"Script '{script}' is not in the source directory that was submitted; its Python files are: "
            f"{', '.join(scripts) or 'none'}. Check the name, and that .amlignore or .gitignore does not leave it out.",
            target="script",
        )
    env = environment_reference(request.environment)
    if env is not None:
        ref = parse_reference(env)
        environments.environment_of(p, ws, ref.name, ref.version)
    inputs = dataset_inputs.resolve(p, ws, input_datasets)
    run = runs.create_runs(
        p, actor, subscription_id, resource_group, workspace, experiment_name,
        display_names=[display_name], tags=tags, run_type=RunType.SCRIPT, status=RunStatus.QUEUED,
    )[0]  # fmt: skip
    row = JobRow(
        run_id=run.id,
        workspace_id=ws.id,
        experiment_name=run.experiment_name,
        target_id=target.id,
        target_name=target.name,
        compute_type=target.compute_type.value,
        status=RunStatus.QUEUED.value,
        status_reason=None,
        snapshot_id=snapshot.id,
        script=script,
        arguments=list(request.arguments),
        command=request.command,
        output_folders=list(request.output_folders),
        environment=env,
        max_run_duration_seconds=request.max_run_duration_seconds,
        attempt=0,
        claimed_by=None,
        handle=None,
        exit_code=None,
        submitted_by=actor.id,
        submitted_by_type=actor.type.value,
        token_id=None,
        output_offset=0,
        log_size=0,
        log_sealed=False,
        queued_at=run.created_at,
    )
    try:
        with p.db.write() as session:
            JobRepository(session).add(row)
            dataset_inputs.record(session, ws, run, inputs)
    except Exception:
        # Without its job the run would wait forever: say so on the run.
        run_changes.update_run(
            p, subscription_id, resource_group, workspace, run.id, status=RunStatus.FAILED,
            error={"code": "SubmissionFailed", "message": "The job could not be recorded: submit again."},
        )  # fmt: skip
        raise
    return get_job(p, subscription_id, resource_group, workspace, run.id)


# -- reading -------------------------------------------------------------------------------


def _job(session: Session, run: Run) -> Job:
    job = JobRepository(session).get(run.id)
    if job is None:
        raise JobNotFound(
            f"Run '{run.id}' was not submitted as a job (it is a {run.run_type.value} run): it has no queue, "
            "process or job log.",
            target="runId",
        )
    return job


def view(session: Session, job: Job, *, scheduling: bool = True) -> JobView:
    """The job with the reason it is where it is (computed for a queued one)."""
    if job.status is not RunStatus.QUEUED:
        return JobView(job, job.status_reason or job.status.value.lower())
    target = ComputeRepository(session).get_by_id(job.target_id) if job.target_id else None
    if target is None:
        return JobView(
            job, f"queued: target '{job.target_name}' was deleted; cancel this run and submit it to another target"
        )
    if not target.ready:
        return JobView(job, f"queued: waiting for target '{target.name}' ({_target_state(target)})")
    place = JobRepository(session).queue_place(job, target.max_concurrent_runs)
    reason = (
        f"queued: position {place.position} of {place.waiting} on target '{target.name}' "
        f"({place.busy} of {place.slots} slots busy)"
    )
    if not scheduling:
        reason += "; this server does not schedule jobs (MLYARD_SCHEDULER=false), so another replica must"
    elif place.position <= place.slots - place.busy:
        reason += "; starting"
    return JobView(job, reason, place)


def _target_state(target: ComputeTarget) -> str:
    state = target.provisioning_state.value
    if target.provisioning_state is ProvisioningState.SUCCEEDED and target.state:
        state = target.state
        if target.state in ("Stopped", "Failed"):
            state += f": start it with 'mlyard compute start -n {target.name}'"
    if target.provisioning_error:
        state += f": {target.provisioning_error}"
    return state


def get_job(p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str) -> JobView:
    run = runs.get_run(p, subscription_id, resource_group, workspace, run_id)
    with p.db.read() as session:
        return view(session, _job(session, run), scheduling=p.settings.scheduler)


def list_jobs(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    *,
    statuses: tuple[RunStatus, ...] = (),
    compute_target: str | None = None,
    top: int = 100,
) -> list[JobView]:
    """The workspace's jobs, newest first."""
    if not 1 <= top <= runs.MAX_PAGE:
        raise ValidationError(f"A page holds 1 to {runs.MAX_PAGE} jobs ({top} asked).", target="top")
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    target_id = None
    if compute_target is not None:
        target_id = compute_targets.get_target(p, subscription_id, resource_group, workspace, compute_target).id
    with p.db.read() as session:
        found = JobRepository(session).in_workspace(ws.id, statuses=statuses, target_id=target_id, limit=top)
        return [view(session, job, scheduling=p.settings.scheduler) for job in found]


# -- cancelling ----------------------------------------------------------------------------


def cancel(p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str) -> Run:
    """Cancel a run: a queued job at once; a preparing or running one is marked CancelRequested
    and the scheduler stops its process group (SIGTERM, then SIGKILL after the grace period).
    A run that is not a job is simply marked Canceled; a finished one is left as it is."""
    run = runs.get_run(p, subscription_id, resource_group, workspace, run_id)
    now = utcnow()
    with p.db.write() as session:
        jobs = JobRepository(session)
        job = jobs.get(run.id, for_update=True)
        if job is not None and not job.finished:
            tracking = TrackingRepository(session)
            if jobs.cancel_queued(run.id, now, "canceled: before it started"):
                tracking.update_run(run.id, status=RunStatus.CANCELED.value, ended_at=now)
            elif job.cancel_requested_at is None:
                jobs.change(run.id, cancel_requested_at=now, status_reason="cancel requested: stopping its processes")
                if not run.status.terminal:
                    tracking.update_run(run.id, status=RunStatus.CANCEL_REQUESTED.value)
    if job is None and not run.status.terminal:
        return run_changes.update_run(p, subscription_id, resource_group, workspace, run.id, status=RunStatus.CANCELED)
    return runs.get_run(p, subscription_id, resource_group, workspace, run.id)


# -- the log -------------------------------------------------------------------------------


def read_log(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str, offset: int, limit: int
) -> LogSlice:
    """Up to ``limit`` bytes of the job's log from ``offset``: from the live log while it runs,
    from the run file ``user_logs/std_log.txt`` once it has ended."""
    if offset < 0 or not 1 <= limit <= MAX_LOG_READ:
        raise ValidationError(f"offset is 0 or more; limit 1 to {MAX_LOG_READ}.", target="offset")
    run = runs.get_run(p, subscription_id, resource_group, workspace, run_id)
    with p.db.read() as session:
        job = _job(session, run)
        shown = view(session, job, scheduling=p.settings.scheduler)
        chunks = [] if job.log_sealed else JobRepository(session).log_chunks(run.id, offset, limit)
    if job.log_sealed:
        data, size = _from_file(p, run, offset, limit)
    else:
        joined = b"".join(data for _, data in chunks)
        start = chunks[0][0] if chunks else offset
        data, size = joined[max(0, offset - start) :][:limit], job.log_size
    if not (job.finished and offset + len(data) >= size):
        data = whole_characters(data)
    next_offset = offset + len(data)
    complete = job.finished and next_offset >= size
    return LogSlice(data, offset, next_offset, size, complete, job.status, shown.reason)


def whole_characters(data: bytes) -> bytes:
    """``data`` without a UTF-8 character cut at its end (the next read starts with it)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    decoder.decode(data, final=False)
    pending = len(decoder.getstate()[0])
    return data[: len(data) - pending] if pending else data


def _from_file(p: Platform, run: Run, offset: int, limit: int) -> tuple[bytes, int]:
    try:
        info, stream = run_files.open_file(p, run, LOG_FILE)
    except RunFileNotFound:
        return b"", 0
    out = bytearray()
    position = 0
    for piece in stream:
        end = position + len(piece)
        if end > offset and len(out) < limit:
            out += piece[max(0, offset - position) :]
        position = end
        if len(out) >= limit:
            break
    if hasattr(stream, "close"):
        stream.close()
    return bytes(out[:limit]), info.size
