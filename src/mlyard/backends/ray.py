"""The ``ray`` backend: jobs through the Ray Jobs API, on a head that mlyard owns or on an attached cluster.

A Ray target's properties say which:

- no ``address``: mlyard starts and owns a head on this host (:mod:`mlyard.backends.ray_head`)
  when a job needs it (at once when ``minNodes`` is 1 or more), stops it after
  ``idleSecondsBeforeScaledown`` without jobs (scale to zero, through :meth:`RayBackend.tend`)
  and when the target is deleted;
- ``address`` (the dashboard's, ``http://host:8265``): an existing cluster, checked at create.

A job on a cluster of this host runs in its own folder ``<home>/ray-jobs/<run id>/wd`` (the
snapshot, extracted): its entrypoint changes into it, so that ``./outputs`` lands where mlyard
uploads it from (Ray would otherwise run it in a copy of the folder), and its variables, the
job's token among them, come from a file there rather than through Ray's job table, which
anyone who reaches the dashboard can read. On a remote cluster the snapshot goes as the
``runtime_env`` working_dir and the variables as its ``env_vars``; the cluster's own ``python``
runs the job (environments are not shipped) and what it writes stays on the cluster.

Ray is imported inside the methods that talk to it: ``import mlyard`` and the server stay light.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlyard.backends import ray_entry, ray_head, ray_nodes
from mlyard.backends.local import remove_job_folder
from mlyard.backends.ray_head import Head
from mlyard.core.entities.compute import ComputeTarget, ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.errors import ComputeUnreachable, ValidationError
from mlyard.core.ids import utcnow
from mlyard.core.settings import Settings
from mlyard.services.compute_backends import Handle, JobLaunch, JobNotStarted, JobPoll, JobState, TargetStatus
from mlyard.services.ray_clusters import Cluster, check_spec

if TYPE_CHECKING:
    from ray.job_submission import JobSubmissionClient

# A cluster that stops answering fails its jobs only after this long (a dashboard restarting).
_UNREACHABLE_SECONDS = 30.0
# A head that min_nodes keeps up but that did not start is tried again after this long.
_START_RETRY_SECONDS = 30.0


class RayBackend:
    compute_type = ComputeType.RAY
    # What `update` may change after creation; the address stays what was attached.
    settable_properties = frozenset({"minNodes", "maxNodes", "idleSecondsBeforeScaledown"})
    kept_properties = frozenset({"address"})

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home
        self.root = settings.home / "ray-jobs"
        self.num_cpus = os.cpu_count() or 1
        self._guard = threading.Lock()
        self._head_locks: dict[str, threading.Lock] = {}
        self._heads: dict[str, Head] = {}
        self._in_use: dict[str, int] = {}
        self._last_busy: dict[str, float] = {}
        self._clients: dict[str, JobSubmissionClient] = {}
        self._silent_since: dict[str, float] = {}
        self._start_tried: dict[str, float] = {}

    # -- targets -------------------------------------------------------------------------------

    def validate(self, spec: ComputeTargetSpec) -> ComputeTargetSpec:
        checked = check_spec(spec)
        if not checked.properties["address"] and not ray_head.ray_installed():
            raise ValidationError(
                "Ray is not installed on the mlyard server, so it cannot start a Ray head: install it there "
                "(pip install 'mlyard[ray]'), or attach an existing cluster with address='http://HOST:8265'.",
                target="computeType",
            )
        return checked

    def provision(self, target: ComputeTarget) -> TargetStatus:
        cluster = Cluster.of(target)
        if cluster.address is not None:
            return TargetStatus(ProvisioningState.SUCCEEDED, properties=self._attach(cluster.address))
        if cluster.min_nodes > 0:
            return TargetStatus(ProvisioningState.SUCCEEDED, properties=self._ensure(target, None).properties())
        return TargetStatus(ProvisioningState.SUCCEEDED, properties=_stopped())

    def status(self, target: ComputeTarget) -> TargetStatus:
        cluster = Cluster.of(target)
        if cluster.address is not None:
            return TargetStatus(ProvisioningState.SUCCEEDED, properties=self._attach(cluster.address))
        head = self._heads.get(target.id) or Head.recorded(target.properties)
        alive = head is not None and ray_head.answers(head.dashboard_url)
        return TargetStatus(ProvisioningState.SUCCEEDED, properties=head.properties() if alive and head else _stopped())

    def start(self, target: ComputeTarget) -> TargetStatus:
        if Cluster.of(target).address is not None:
            return _not_ours(target)
        return TargetStatus(ProvisioningState.SUCCEEDED, properties=self._ensure(target, None).properties())

    def stop(self, target: ComputeTarget) -> TargetStatus:
        if Cluster.of(target).address is not None:
            return _not_ours(target)
        stopped = self._scale_down(target)
        assert stopped is not None  # only an idle scale-down gives way to a job
        return stopped

    def delete(self, target: ComputeTarget) -> None:
        if Cluster.of(target).owned:
            self._scale_down(target)
            with self._guard:
                for table in (self._head_locks, self._in_use, self._last_busy):
                    table.pop(target.id, None)

    def tend(self, target: ComputeTarget, active_jobs: int) -> Callable[[], TargetStatus | None] | None:
        """What an owned head needs now, given the jobs holding a slot on its target: its new
        address recorded (a job started it), or scaling to zero after its idle time."""
        cluster = Cluster.of(target)
        if not cluster.owned:
            return None
        now = time.monotonic()
        with self._guard:
            if active_jobs or self._in_use.get(target.id):
                self._last_busy[target.id] = now
            idle_for = now - self._last_busy.setdefault(target.id, now)
            live = self._heads.get(target.id)
        if live is not None and any(target.properties.get(k) != v for k, v in live.properties().items()):
            props = live.properties()
            return lambda: TargetStatus(ProvisioningState.SUCCEEDED, properties=props)
        running = live is not None or target.properties.get("head") == "Running"
        if cluster.min_nodes > 0 and not running and self._may_start(target.id, now):
            # min_nodes raised by an update: the head comes up without waiting for a job.
            return lambda: TargetStatus(ProvisioningState.SUCCEEDED, properties=self._ensure(target, None).properties())
        if cluster.min_nodes == 0 and running and not active_jobs and idle_for >= cluster.idle_seconds:
            return lambda: self._scale_down(target, idle=True)
        return None

    def _may_start(self, target_id: str, now: float) -> bool:
        with self._guard:
            if now - self._start_tried.get(target_id, -_START_RETRY_SECONDS) < _START_RETRY_SECONDS:
                return False
            self._start_tried[target_id] = now
            return True

    def nodes(self, target: ComputeTarget) -> list[dict[str, Any]]:
        """The cluster's nodes from Ray's state API; none while an owned head is scaled to zero."""
        cluster = Cluster.of(target)
        if cluster.address is not None:
            return ray_nodes.list_nodes(cluster.address)
        head = self._heads.get(target.id) or Head.recorded(target.properties)
        if head is None or not ray_head.answers(head.dashboard_url):
            return []
        return ray_nodes.list_nodes(head.dashboard_url)

    def _attach(self, address: str) -> dict[str, Any]:
        problem = ray_head.probe(address)
        if problem is not None:
            raise ComputeUnreachable(
                f"The Ray cluster at {address} does not answer: {problem}. Give the address of its dashboard "
                "(http://HOST:8265, where the Jobs API answers), and check that the cluster runs and that the "
                "mlyard server can reach it."
            )
        try:
            version = self._client(address).get_version()
        except Exception as exc:
            raise ComputeUnreachable(
                f"The Ray cluster at {address} answered, but not as Ray's Jobs API: {exc}"
            ) from None
        return {"head": "Attached", "rayVersion": str(version)}

    def _head_lock(self, target_id: str) -> threading.Lock:
        with self._guard:
            return self._head_locks.setdefault(target_id, threading.Lock())

    def _ensure(self, target: ComputeTarget, launch: JobLaunch | None) -> Head:
        """The target's head, started when it is not answering."""
        with self._head_lock(target.id):
            head = self._heads.get(target.id) or Head.recorded(target.properties)
            if head is not None and ray_head.answers(head.dashboard_url):
                self._heads[target.id] = head
                return head
            if launch is not None:
                launch.progress("preparing: starting Ray head")
                launch.log(f"[mlyard] starting the Ray head of target '{target.name}' (it was scaled to zero)")
            began = time.monotonic()
            folder = ray_head.temp_dir(self.home, target.id)
            size = ray_nodes.head_size(self.settings, target.vm_size, self.num_cpus)
            head = ray_head.start(
                target.id, folder, size.num_cpus, target.properties.get("dashboardUrl"), size.memory_bytes
            )
            with self._guard:
                self._heads[target.id] = head
                self._last_busy[target.id] = time.monotonic()
            if launch is not None:
                launch.log(f"[mlyard] Ray head up in {time.monotonic() - began:.1f} s at {head.dashboard_url}")
            return head

    def _scale_down(self, target: ComputeTarget, *, idle: bool = False) -> TargetStatus | None:
        with self._head_lock(target.id):
            if idle and self._in_use.get(target.id):
                return None  # a job is being started on it: it is not idle any more
            folder = ray_head.temp_dir(self.home, target.id)
            ray_head.stop(target.id, folder)
            shutil.rmtree(folder, ignore_errors=True)
            with self._guard:
                head = self._heads.pop(target.id, None)
            if head is not None:
                self._clients.pop(head.dashboard_url, None)
        return TargetStatus(ProvisioningState.SUCCEEDED, properties=_stopped(scaled_down=True))

    @contextlib.contextmanager
    def _using(self, target_id: str) -> Iterator[None]:
        """While a job is being started on a head, the head is not idle."""
        with self._guard:
            self._in_use[target_id] = self._in_use.get(target_id, 0) + 1
        try:
            yield
        finally:
            with self._guard:
                self._in_use[target_id] -= 1
                self._last_busy[target_id] = time.monotonic()

    def _client(self, address: str) -> JobSubmissionClient:
        with self._guard:
            client = self._clients.get(address)
        if client is None:
            for name, value in ray_head.RAY_VARIABLES.items():
                os.environ.setdefault(name, value)
            from ray.job_submission import JobSubmissionClient

            client = JobSubmissionClient(address)
            with self._guard:
                self._clients[address] = client
        return client

    # -- jobs ----------------------------------------------------------------------------------

    def submit(self, launch: JobLaunch) -> Handle:
        cluster = Cluster.of(launch.target)
        folder = self.root / launch.run_id
        remove_job_folder(folder)
        with self._using(launch.target.id):
            head = self._ensure(launch.target, launch) if cluster.owned else None
            address = head.dashboard_url if head is not None else str(cluster.address)
            try:
                client = self._client(address)
            except Exception as exc:
                raise ComputeUnreachable(f"The Ray cluster at {address} does not answer: {exc}") from None
            if launch.attempt > 1:  # an earlier attempt the server could not record
                with contextlib.suppress(Exception):
                    client.stop_job(_submission_id(launch.run_id, launch.attempt - 1))
            try:
                entrypoint, runtime_env, shown = ray_entry.prepare(launch, folder, cluster)
                if not launch.wanted():
                    raise JobNotStarted()
                sid = _submission_id(launch.run_id, launch.attempt)
                client.submit_job(
                    entrypoint=entrypoint,
                    submission_id=sid,
                    runtime_env=runtime_env,
                    metadata={"mlyardRunId": launch.run_id, "mlyardTarget": launch.target.name},
                )
            except BaseException as exc:
                remove_job_folder(folder)
                if isinstance(exc, (JobNotStarted, ValidationError, ComputeUnreachable)) or not isinstance(
                    exc, Exception
                ):
                    raise
                raise ComputeUnreachable(f"The Ray cluster at {address} refused the job: {exc}") from None
            handle: Handle = {"address": address, "submissionId": sid, "targetId": launch.target.id}
            if cluster.on_this_host:
                handle["folder"] = str(folder)
            if head is not None:
                session = (Path(head.temp_dir) / "session_latest").resolve()
                handle["logFile"] = str(session / "logs" / f"job-driver-{sid}.log")
            launch.log(f"[mlyard] submitted to Ray at {address} as job {sid}: {shown}")
            self._wait_started(client, handle, launch)
        return handle

    def _wait_started(self, client: JobSubmissionClient, handle: Handle, launch: JobLaunch) -> None:
        """Stay in Preparing while Ray keeps the job PENDING, saying what Ray says."""
        from ray.job_submission import JobStatus

        said, delay = "", 0.02
        while True:
            info = client.get_job_info(handle["submissionId"])
            if info.status is not JobStatus.PENDING:
                return
            reason = f"preparing: Ray job {handle['submissionId']} is PENDING" + (
                f" ({info.message})" if info.message else ""
            )
            if reason != said:
                launch.progress(reason)
                said = reason
            if not launch.wanted():
                self.cancel(handle, force=True)
                self.release(handle)
                raise JobNotStarted()
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def poll(self, handle: Handle) -> JobPoll:
        from ray.job_submission import JobStatus

        sid, address = str(handle["submissionId"]), str(handle["address"])
        try:
            info = self._client(address).get_job_info(sid)
        except Exception as exc:
            if "does not exist" in str(exc):
                return JobPoll(JobState.LOST, reason=f"the Ray cluster at {address} no longer knows job {sid}")
            now = time.monotonic()
            since = self._silent_since.setdefault(sid, now)
            if now - since < _UNREACHABLE_SECONDS:
                return JobPoll(JobState.RUNNING)
            return JobPoll(
                JobState.LOST, reason=f"the Ray cluster at {address} has not answered for {now - since:.0f} s: {exc}"
            )
        self._silent_since.pop(sid, None)
        if info.status in (JobStatus.PENDING, JobStatus.RUNNING):
            return JobPoll(JobState.RUNNING)
        if info.status is JobStatus.SUCCEEDED:
            return JobPoll(JobState.EXITED, exit_code=0)
        if info.status is JobStatus.STOPPED:
            return JobPoll(JobState.LOST, reason=f"Ray job {sid} was stopped on the cluster, not through mlyard")
        if info.driver_exit_code is not None:
            return JobPoll(JobState.EXITED, exit_code=int(info.driver_exit_code))
        return JobPoll(JobState.LOST, reason=f"Ray reported job {sid} FAILED: {info.message or 'no message'}")

    def cancel(self, handle: Handle, *, force: bool) -> None:
        # Ray sends SIGTERM to the job's processes, and SIGKILL a few seconds later by itself.
        with contextlib.suppress(Exception):
            self._client(str(handle["address"])).stop_job(str(handle["submissionId"]))

    def logs(self, handle: Handle, offset: int, limit: int) -> bytes:
        if handle.get("logFile"):
            try:
                with Path(handle["logFile"]).open("rb") as log:
                    log.seek(offset)
                    return log.read(limit)
            except OSError:
                return b""
        try:
            text = self._client(str(handle["address"])).get_job_logs(str(handle["submissionId"]))
        except Exception:
            return b""
        return text.encode()[offset : offset + limit]

    def working_folder(self, handle: Handle) -> Path | None:
        return Path(handle["folder"]) / "wd" if handle.get("folder") else None

    def release(self, handle: Handle) -> None:
        with contextlib.suppress(Exception):
            self._client(str(handle["address"])).delete_job(str(handle["submissionId"]))
        self._silent_since.pop(str(handle["submissionId"]), None)
        if handle.get("folder"):
            remove_job_folder(Path(handle["folder"]))


def _submission_id(run_id: str, attempt: int) -> str:
    return f"mlyard-{run_id}-{attempt}"


def _stopped(*, scaled_down: bool = False) -> dict[str, Any]:
    props: dict[str, Any] = {"head": "Stopped", "nodes": 0}
    if scaled_down:
        props["scaledDownAt"] = utcnow().isoformat()
    return props


def _not_ours(target: ComputeTarget) -> TargetStatus:
    return TargetStatus(
        ProvisioningState.SUCCEEDED,
        reason=f"'{target.name}' is an attached Ray cluster: its owner starts and stops it; mlyard did nothing.",
    )
