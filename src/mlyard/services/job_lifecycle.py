"""One job's life on a backend: launch (prepare and start), log pumping, and the end.

The scheduler (:mod:`mlyard.services.scheduler`) decides *when*; this module does the work
and records each transition on the job and its run in one transaction. Transitions made
after a claim are conditional on it (``epoch``), so that a scheduler that lost its lead
cannot overwrite its successor's records.

The run's log: preparation lines and the environment build's output are appended as they
come (:class:`LogLines`); the job's own output is pumped from its backend a few times a
second while it is young, then less often; at the end the log becomes the run file
``user_logs/std_log.txt``, and ``./outputs`` and ``./logs`` become run files too.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import PrincipalType
from mlyard.core.entities.jobs import LOG_FILE, Job
from mlyard.core.entities.tracking import Run, RunStatus
from mlyard.core.errors import MlyardError, ValidationError
from mlyard.core.ids import utcnow
from mlyard.services import dataset_inputs, environments, identity, run_files, snapshots
from mlyard.services.compute_backends import ComputeBackend, Handle, JobLaunch, JobNotStarted, JobPoll, PreparedInputs
from mlyard.services.environment_build_output import BuildCanceled
from mlyard.services.job_log_files import LogFiles
from mlyard.services.job_outcome import PREFIX, outcome, tail
from mlyard.services.platform import Platform
from mlyard.store.compute import ComputeRepository
from mlyard.store.hierarchy import WorkspaceRow
from mlyard.store.jobs import JobRepository
from mlyard.store.runs import TrackingRepository

log = logging.getLogger("mlyard.scheduler")

PUMP_LIMIT = 1024 * 1024
_STAMPS = {RunStatus.PREPARING: "preparing_at", RunStatus.RUNNING: "running_at", RunStatus.FINALIZING: "finalizing_at"}


@dataclass
class Tracked:
    """A started job that this scheduler watches."""

    job: Job
    backend: ComputeBackend
    handle: Handle
    running_since: datetime
    output_offset: int
    last_pump: float = 0.0
    kill_reason: str | None = None  # "canceled" or "timeout" once its processes were told to stop
    kill_sent: float = 0.0
    forced: bool = False
    log_files: LogFiles = dataclasses.field(default_factory=LogFiles)  # ./logs uploaded while it runs

    @property
    def run_id(self) -> str:
        return self.job.run_id

    def pump_due(self, now: float) -> bool:
        """Young jobs are pumped at every tick (the first lines matter most); older ones less often."""
        age = (utcnow() - self.running_since).total_seconds()
        interval = 0.0 if age < 10 else 0.5 if age < 120 else 2.0
        return now - self.last_pump >= interval


def workspace_of(p: Platform, workspace_id: str) -> Workspace:
    with p.db.read() as session:
        row = session.get(WorkspaceRow, workspace_id)
        if row is None:
            raise ValidationError("The job's workspace was deleted.")
        return row.to_entity()


def transition(
    p: Platform,
    run_id: str,
    status: RunStatus,
    reason: str,
    *,
    epoch: str | None = None,
    error: dict[str, Any] | None = None,
    **job_values: Any,
) -> bool:
    """Move the job (and its run, unless the run already finished by its script's own hand or a
    cancel) to ``status``; False when ``epoch`` no longer holds the job's claim."""
    now = utcnow()
    with p.db.write() as session:
        jobs = JobRepository(session)
        stamp = "ended_at" if status.terminal else _STAMPS.get(status)
        values = {"status": status.value, "status_reason": reason, **job_values}
        if stamp is not None:
            values.setdefault(stamp, now)
        if not jobs.change(run_id, epoch=epoch, **values):
            return False
        current = jobs.run_status(run_id)
        if current is None or current.terminal:
            return True
        run_values: dict[str, Any] = {}
        if status.terminal:
            run_values = {"status": status.value, "ended_at": now}
            if error is not None:
                run_values["error"] = error
        elif current is not RunStatus.CANCEL_REQUESTED:
            run_values = {"status": status.value}
            if status is RunStatus.RUNNING:
                run_values["started_at"] = now
        if run_values:
            TrackingRepository(session).update_run(run_id, **run_values)
    return True


def append(p: Platform, run_id: str, data: bytes, output_offset: int | None = None) -> None:
    with p.db.write() as session:
        JobRepository(session).append_log(run_id, data, output_offset)


def note(p: Platform, run_id: str, text: str) -> None:
    """A line of mlyard's own in the run's log."""
    append(p, run_id, f"{PREFIX}{text}\n".encode())


class LogLines:
    """Lines for the run's log while it prepares, written at most every ``interval`` seconds (an
    environment build can print hundreds a second); the scheduler flushes what waits at each tick."""

    def __init__(self, p: Platform, run_id: str, interval: float = 0.2) -> None:
        self._p = p
        self._run_id = run_id
        self._interval = interval
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._pending: list[str] = []
        self._last = time.monotonic()

    def __call__(self, line: str) -> None:
        with self._lock:
            self._pending.append(line if line.endswith("\n") else line + "\n")
            due = time.monotonic() - self._last >= self._interval
        if due:
            self.flush()

    def flush(self) -> None:
        with self._writing:
            with self._lock:
                data, self._pending = "".join(self._pending).encode(), []
                self._last = time.monotonic()
            if data:
                append(self._p, self._run_id, data)


def _variables(p: Platform, job: Job, ws: Workspace, token: str | None) -> dict[str, str]:
    return {
        "MLYARD_RUN_ID": job.run_id,
        "AZUREML_RUN_ID": job.run_id,
        "MLYARD_EXPERIMENT_NAME": job.experiment_name,
        "MLYARD_SUBSCRIPTION_ID": ws.subscription_id,
        "MLYARD_RESOURCE_GROUP": ws.resource_group,
        "MLYARD_WORKSPACE_NAME": ws.name,
        "MLYARD_ENDPOINT": p.settings.job_endpoint,
        "MLYARD_TOKEN": token or "",
        "MLYARD_COMPUTE_TARGET": job.target_name,
    }


def _inputs(
    p: Platform, ws: Workspace, job: Job, folder: Path, log: Callable[[str], None], progress: Callable[[str], None]
) -> PreparedInputs:
    replacements, variables = dataset_inputs.materialise(p, ws, job.run_id, folder, log, progress)
    return PreparedInputs(replacements, variables)


def launch(
    p: Platform, backend: ComputeBackend, job: Job, epoch: str, lines: LogLines, wanted: Callable[[], bool]
) -> Tracked | None:
    """Prepare and start ``job`` (blocking: run it in a worker thread). None when the scheduler
    lost the job's claim meanwhile (whatever was started is stopped again)."""
    ws = workspace_of(p, job.workspace_id)
    with p.db.read() as session:
        target = ComputeRepository(session).get_by_id(job.target_id) if job.target_id else None
    if target is None:
        raise ValidationError(f"Compute target '{job.target_name}' was deleted before the job could start.")
    secret = None
    if job.submitted_by is not None:
        duration = job.max_run_duration_seconds
        lifetime = timedelta(seconds=duration + 3600) if duration else timedelta(hours=p.settings.job_token_ttl_hours)
        token, secret = identity.issue_job_token(
            p.db, job.submitted_by, PrincipalType(job.submitted_by_type), job.run_id, ws.scope, lifetime
        )
        with p.db.write() as session:
            JobRepository(session).change(job.run_id, token_id=token.id)

    def progress(reason: str) -> None:
        with p.db.write() as session:
            JobRepository(session).change(job.run_id, epoch=epoch, status_reason=reason)

    def environment(out: Callable[[str], None]) -> Any:
        try:
            return environments.prepare_python(
                p, ws.subscription_id, ws.resource_group, ws.name, job.environment, out, wanted
            )
        except BuildCanceled:  # canceled while its environment built: the build was stopped
            raise JobNotStarted() from None

    handle = backend.submit(
        JobLaunch(
            run_id=job.run_id,
            attempt=job.attempt,
            target=target,
            snapshot=lambda: snapshots.open_archive(p, ws.id, job.snapshot_id),
            script=job.script,
            arguments=job.arguments,
            command=job.command,
            output_folders=job.output_folders,
            environment=environment,
            variables=_variables(p, job, ws, secret),
            log=lines,
            progress=progress,
            wanted=wanted,
            environment_reference=job.environment,
            inputs=lambda folder: _inputs(p, ws, job, folder, lines, progress),
        )
    )
    lines.flush()
    pid = handle.get("pid")
    reason = f"running: process {pid} on target '{target.name}'" if pid else f"running on target '{target.name}'"
    if not transition(p, job.run_id, RunStatus.RUNNING, reason, epoch=epoch, handle=handle):
        backend.cancel(handle, force=True)
        backend.release(handle)
        return None
    with p.db.read() as session:
        started = JobRepository(session).get(job.run_id)
    assert started is not None
    return Tracked(started, backend, handle, started.running_at or utcnow(), started.output_offset)


def pump(p: Platform, t: Tracked) -> int:
    """Move what the job printed since the last time into the run's log; answers how many bytes."""
    data = t.backend.logs(t.handle, t.output_offset, PUMP_LIMIT)
    t.last_pump = time.monotonic()
    if data:
        t.output_offset += len(data)
        append(p, t.run_id, data, t.output_offset)
    return len(data)


# -- the end -------------------------------------------------------------------------------


def _writable(run: Run) -> Run:
    # The job's own outputs and log belong to the run even when its script completed the run
    # itself (Azure ML scripts often call run.complete()), which would refuse uploads.
    return dataclasses.replace(run, status=RunStatus.FINALIZING, deleted_at=None)


def _run(p: Platform, job: Job) -> Run:
    with p.db.read() as session:
        run = TrackingRepository(session).get_run(job.workspace_id, job.run_id)
    assert run is not None
    return run


def writable_run(p: Platform, workspace_id: str, run_id: str) -> Run:
    with p.db.read() as session:
        run = TrackingRepository(session).get_run(workspace_id, run_id)
    if run is None:
        raise ValidationError(f"Run '{run_id}' is gone.")
    return _writable(run)


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(PUMP_LIMIT):
            yield chunk


def upload_outputs(p: Platform, run: Run, folder: Path | None) -> tuple[int, list[str]]:
    """``./outputs`` and ``./logs`` of the job's folder as run files; (count, problems)."""
    count, problems = 0, []
    for sub in ("outputs", "logs"):
        base = folder / sub if folder is not None else None
        if base is None or not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.is_symlink():
                continue
            name = path.relative_to(folder).as_posix()  # type: ignore[arg-type]  # folder is set here
            try:
                run_files.upload(p, _writable(run), name, file_chunks(path), overwrite=True)
                count += 1
            except (MlyardError, OSError) as exc:
                problems.append(f"{name}: {exc}")
    return count, problems


def seal_log(p: Platform, run: Run) -> bool:
    """Copy the live log into the run file ``user_logs/std_log.txt``."""

    def chunks() -> Iterator[bytes]:
        offset = 0
        while True:
            with p.db.read() as session:
                got = JobRepository(session).log_chunks(run.id, offset, PUMP_LIMIT)
            if not got:
                return
            for start, data in got:
                piece = data[max(0, offset - start) :]
                offset += len(piece)
                yield piece

    try:
        run_files.upload(p, _writable(run), LOG_FILE, chunks(), overwrite=True)
    except MlyardError as exc:
        log.warning("run %s: its log stays in the database: %s", run.id, exc.message)
        return False
    return True


def conclude(
    p: Platform,
    job: Job,
    status: RunStatus,
    reason: str,
    error: dict[str, Any] | None,
    *,
    epoch: str | None,
    exit_code: int | None = None,
) -> None:
    """The last steps: the log becomes a run file, the final status, the token revoked."""
    note(p, job.run_id, reason)
    sealed = seal_log(p, _run(p, job))
    recorded = transition(
        p, job.run_id, status, reason, epoch=epoch, error=error, exit_code=exit_code, log_sealed=sealed
    )
    if recorded and sealed:
        with p.db.write() as session:
            JobRepository(session).drop_log_chunks(job.run_id)
    with p.db.read() as session:
        token_id = (JobRepository(session).get(job.run_id) or job).token_id
    if token_id is not None:
        identity.revoke_token_id(p.db, token_id)


def finalize(p: Platform, t: Tracked, poll: JobPoll, *, epoch: str | None, lost: str | None = None) -> None:
    """The job's processes ended: drain its output, upload its outputs, record how it ended."""
    while pump(p, t) >= PUMP_LIMIT:
        pass
    lines = tail(p, t.run_id)
    status, reason, error = outcome(t.kill_reason, t.job.max_run_duration_seconds, poll, lines, lost)
    transition(p, t.run_id, RunStatus.FINALIZING, "finalizing: uploading ./outputs and ./logs", epoch=epoch)
    with t.log_files.lock:  # a sync of ./logs under way ends first: its copy must not land after these
        count, problems = upload_outputs(p, _run(p, t.job), t.backend.working_folder(t.handle))
    for problem in problems:
        note(p, t.run_id, f"not uploaded: {problem}")
    if count:
        note(p, t.run_id, f"uploaded {count} file(s) from ./outputs and ./logs")
    # Released before the final status, so that a run seen finished has left nothing behind on
    # its host (its log is already in the database; the folder is not needed to seal it).
    try:
        t.backend.release(t.handle)
    except Exception:
        log.exception("run %s: releasing its processes and folder failed", t.run_id)
    conclude(p, t.job, status, reason, error, epoch=epoch, exit_code=poll.exit_code)
