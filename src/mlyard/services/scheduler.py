"""The scheduler: one thread in the server that dispatches queued jobs and watches running ones.

Each tick, while this server leads (:mod:`mlyard.services.leadership`):

1. **watch** the jobs it started: poll their backend, pump their output into the run's log,
   stop those whose cancel was asked for or whose ``max_run_duration_seconds`` ran out
   (SIGTERM to the process group, SIGKILL after ``job_cancel_grace_seconds``), and finalize
   those that ended (in a worker thread: uploading outputs may take a while);
2. **dispatch**: for each target, claim the oldest queued jobs (first in, first out) into its
   free slots (``max_concurrent_runs`` minus the jobs that hold one), each claim a conditional
   ``UPDATE ... WHERE status = 'Queued'``, and prepare and start each in a worker thread;
3. do the **target** work that waits (provision, start, stop, delete) in worker threads.

On becoming leader (a start, a restart, a replica taking over) it takes over what the last
leader left: a job whose process is still alive is adopted, one whose process ended while no
server watched is finalized with its exit code, one whose process is gone without one fails
with that reason, one left in Preparing (no process yet) is prepared again; queued jobs stay
queued. Stopping the server leaves running jobs running: the next start adopts them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial

from mlyard.core.entities.compute import ComputeTarget
from mlyard.core.entities.jobs import Job
from mlyard.core.entities.tracking import RunStatus
from mlyard.core.errors import MlyardError
from mlyard.core.ids import new_id, utcnow
from mlyard.services import compute_instances, compute_work, job_log_files
from mlyard.services.compute_backends import BackendRegistry, JobNotStarted, JobPoll, JobState
from mlyard.services.job_lifecycle import (
    LogLines,
    Tracked,
    conclude,
    finalize,
    launch,
    note,
    pump,
)
from mlyard.services.leadership import Lease, lease_for
from mlyard.services.platform import Platform
from mlyard.store.compute import ComputeRepository
from mlyard.store.jobs import JobRepository
from mlyard.store.runs import TrackingRepository

log = logging.getLogger("mlyard.scheduler")

RESTARTED = "the server restarted and the job's process was gone"


class Scheduler:
    def __init__(
        self,
        p: Platform,
        backends: BackendRegistry,
        *,
        lease: Lease | None = None,
        active_interval: float = 0.1,
        idle_interval: float = 1.0,
    ) -> None:
        self.p = p
        self.backends = backends
        self._lease = lease or lease_for(p.db, p.settings.home)
        self._active_interval = active_interval
        self._idle_interval = idle_interval
        self._epoch: str | None = None
        self._lock = threading.Lock()
        self._active: dict[str, Tracked] = {}
        self._preparing: dict[str, LogLines] = {}
        self._finishing: set[str] = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._dispatch_due = True
        self._last_dispatch = 0.0
        self._instance_watch = compute_instances.InstanceWatch(p, backends)
        self._target_work = compute_work.TargetWork(p, backends, self._spawn, self.wake)
        for kind in backends.types():  # a backend that knows when a job ends wakes the watch at once
            if hasattr(backends.get(kind), "on_exit"):
                setattr(backends.get(kind), "on_exit", self._wake.set)  # noqa: B010  # not in the Protocol

    # -- running -------------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="mlyard-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop scheduling; jobs keep running (the next leader adopts them)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._lease.release()
        self._epoch = None

    def wake(self) -> None:
        """Dispatch now (a job was submitted or a target changed) rather than at the next idle tick."""
        self._dispatch_due = True
        self._wake.set()

    @property
    def leading(self) -> bool:
        return self._epoch is not None

    def busy(self) -> bool:
        with self._lock:
            mine = bool(self._active or self._preparing or self._finishing)
        return mine or self._target_work.busy()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:
                if not self._stopping.is_set():
                    log.exception("scheduler tick failed; trying again")
            self._wake.wait(self._active_interval if self.busy() else self._idle_interval)
            self._wake.clear()

    def tick(self) -> None:
        """One round of watching, dispatching and target work (public for tests)."""
        if not self._lead():
            return
        self._watch()
        now = time.monotonic()
        if self._dispatch_due or now - self._last_dispatch >= self._idle_interval:
            self._dispatch_due = False
            self._last_dispatch = now
            self._dispatch()
            self._target_work.run_due()
            self._instance_watch.maybe_check(self._spawn)  # idle shutdown, schedules, lost processes
        with self._lock:
            writers = list(self._preparing.values())
        for lines in writers:
            lines.flush()

    def _lead(self) -> bool:
        if self._epoch is not None:
            if self._lease.holds():
                return True
            log.warning("this server no longer leads scheduling; its jobs are left to the new leader")
            self._epoch = None
            with self._lock:
                self._active.clear()
            return False
        if self._stopping.is_set() or not self._lease.acquire():
            return False
        self._epoch = new_id()
        log.info("this server leads scheduling")
        self._takeover(self._epoch)
        return True

    def _spawn(self, name: str, work: Callable[[], object]) -> None:
        threading.Thread(target=work, name=name, daemon=True).start()

    # -- taking over -----------------------------------------------------------------------------

    def _takeover(self, epoch: str) -> None:
        with self.p.db.read() as session:
            left = JobRepository(session).in_statuses([RunStatus.PREPARING, RunStatus.RUNNING, RunStatus.FINALIZING])
        for job in left:
            try:
                if job.handle is None:
                    self._prepare_again(job, epoch)
                else:
                    self._adopt(job, epoch)
            except Exception:
                log.exception("run %s: could not take it over", job.run_id)

    def _prepare_again(self, job: Job, epoch: str) -> None:
        reason = "preparing again: the server restarted before the job's process started"
        with self.p.db.write() as session:
            taken = JobRepository(session).reclaim(job.run_id, epoch, reason)
            again = JobRepository(session).get(job.run_id) if taken else None
        if again is not None:
            note(self.p, job.run_id, reason)
            self._start_worker(again, epoch)

    def _adopt(self, job: Job, epoch: str) -> None:
        assert job.handle is not None
        backend = self.backends.get(job.compute_type)
        with self.p.db.write() as session:
            JobRepository(session).adopt([job.run_id], epoch)
        t = Tracked(job, backend, job.handle, job.running_at or utcnow(), job.output_offset)
        if job.cancel_requested_at is not None:
            t.kill_reason = "canceled"
        poll = backend.poll(job.handle)
        if poll.state is JobState.RUNNING:
            note(self.p, job.run_id, "the server restarted; its process is still running and was adopted")
            with self._lock:
                self._active[job.run_id] = t
        else:
            self._finish(t, poll, lost=f"{RESTARTED} ({poll.reason})" if poll.reason else RESTARTED)

    # -- watching --------------------------------------------------------------------------------

    def _watch(self) -> None:
        with self._lock:
            watched = list(self._active.values())
        if not watched:
            return
        with self.p.db.read() as session:
            flags = JobRepository(session).watch([t.run_id for t in watched])
        grace = self.p.settings.job_cancel_grace_seconds
        for t in watched:
            try:
                if t.run_id not in flags:
                    self._forget(t)
                    continue
                poll = t.backend.poll(t.handle)
                if poll.state is not JobState.RUNNING:
                    self._finish(t, poll)
                    continue
                now = time.monotonic()
                if t.pump_due(now):
                    pump(self.p, t)
                if t.log_files.due(now):
                    self._sync_logs(t, now)
                asked, run_status = flags.get(t.run_id, (None, RunStatus.RUNNING))
                if t.kill_reason is None:
                    if asked is not None or run_status is RunStatus.CANCELED:
                        self._kill(t, "canceled", "cancel requested: SIGTERM sent to the job's processes")
                    elif self._timed_out(t):
                        seconds = t.job.max_run_duration_seconds
                        self._kill(t, "timeout", f"max_run_duration_seconds={seconds} reached: SIGTERM sent")
                elif not t.forced and now - t.kill_sent >= grace:
                    note(self.p, t.run_id, f"still running {grace:g} s after SIGTERM: SIGKILL sent")
                    t.backend.cancel(t.handle, force=True)
                    t.forced = True
            except Exception:
                log.exception("run %s: watching it failed", t.run_id)

    def _sync_logs(self, t: Tracked, now: float) -> None:
        t.log_files.last = now
        folder = t.backend.working_folder(t.handle)
        if folder is not None:
            sync = partial(job_log_files.sync, self.p, t.run_id, t.job.workspace_id, folder, t.log_files)
            self._spawn(f"mlyard-logs-{t.run_id[:8]}", sync)

    def _forget(self, t: Tracked) -> None:
        """The job's record is gone (its workspace or run was deleted for good): stop its processes."""
        log.warning("run %s: its record is gone; its processes are stopped", t.run_id)
        with self._lock:
            self._active.pop(t.run_id, None)
        t.backend.cancel(t.handle, force=True)
        t.backend.release(t.handle)

    def _timed_out(self, t: Tracked) -> bool:
        limit = t.job.max_run_duration_seconds
        return limit is not None and (utcnow() - t.running_since).total_seconds() >= limit

    def _kill(self, t: Tracked, why: str, message: str) -> None:
        t.kill_reason = why
        t.kill_sent = time.monotonic()
        note(self.p, t.run_id, message)
        force = self.p.settings.job_cancel_grace_seconds <= 0
        t.backend.cancel(t.handle, force=force)
        t.forced = force

    def _finish(self, t: Tracked, poll: JobPoll, lost: str | None = None) -> None:
        with self._lock:
            self._active.pop(t.run_id, None)
            self._finishing.add(t.run_id)
        epoch = self._epoch

        def work() -> None:
            try:
                finalize(self.p, t, poll, epoch=epoch, lost=lost)
            except Exception:
                if not self._stopping.is_set():
                    log.exception("run %s: finalizing it failed", t.run_id)
            finally:
                with self._lock:
                    self._finishing.discard(t.run_id)
                self.wake()

        self._spawn(f"mlyard-finish-{t.run_id[:8]}", work)

    # -- dispatching -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        epoch = self._epoch
        if epoch is None:
            return
        with self.p.db.read() as session:
            jobs = JobRepository(session)
            busy = jobs.active_counts()
            waiting = jobs.queued_targets()
            targets = {t: ComputeRepository(session).get_by_id(t) for t in waiting}
        for target_id, target in targets.items():
            if target is None or not target.ready:
                continue
            free = target.max_concurrent_runs - busy.get(target_id, 0)
            if free <= 0:
                continue
            with self.p.db.read() as session:
                first = JobRepository(session).next_queued(target_id, free)
            for run_id in first:
                claimed = self._claim(run_id, target, epoch)
                if claimed is not None:
                    self._start_worker(claimed, epoch)

    def _claim(self, run_id: str, target: ComputeTarget, epoch: str) -> Job | None:
        now = utcnow()
        with self.p.db.write() as session:
            jobs = JobRepository(session)
            if not jobs.claim(run_id, epoch, now, f"preparing: starting on target '{target.name}'"):
                return None
            if not (jobs.run_status(run_id) or RunStatus.QUEUED).terminal:
                TrackingRepository(session).update_run(run_id, status=RunStatus.PREPARING.value)
            return jobs.get(run_id)

    def _start_worker(self, job: Job, epoch: str) -> None:
        lines = LogLines(self.p, job.run_id)
        with self._lock:
            self._preparing[job.run_id] = lines
        self._spawn(f"mlyard-job-{job.run_id[:8]}", lambda: self._prepare(job, epoch, lines))

    def _wanted(self, run_id: str, epoch: str) -> bool:
        if self._stopping.is_set() or self._epoch != epoch:
            return False
        with self.p.db.read() as session:
            job = JobRepository(session).get(run_id)
        return job is not None and job.claimed_by == epoch and job.cancel_requested_at is None

    def _prepare(self, job: Job, epoch: str, lines: LogLines) -> None:
        try:
            backend = self.backends.get(job.compute_type)
            tracked = launch(self.p, backend, job, epoch, lines, lambda: self._wanted(job.run_id, epoch))
            if tracked is not None:
                with self._lock:
                    self._active[job.run_id] = tracked
        except JobNotStarted:
            self._not_started(job, epoch, lines)
        except Exception as exc:
            if self._stopping.is_set():
                return
            if not isinstance(exc, MlyardError):
                log.exception("run %s: preparing it failed", job.run_id)
            code = exc.code if isinstance(exc, MlyardError) else "PreparationFailed"
            message = exc.message if isinstance(exc, MlyardError) else f"{type(exc).__name__}: {exc}"
            self._safely(job, lambda: self._fail_preparing(job, epoch, lines, code, message))
        finally:
            with self._lock:
                self._preparing.pop(job.run_id, None)
            self.wake()

    def _not_started(self, job: Job, epoch: str, lines: LogLines) -> None:
        if self._stopping.is_set() or self._epoch != epoch:
            return  # the next leader prepares it again
        lines.flush()
        self._safely(
            job,
            lambda: conclude(
                self.p, job, RunStatus.CANCELED, "canceled: before its process started", None, epoch=epoch
            ),
        )

    def _fail_preparing(self, job: Job, epoch: str, lines: LogLines, code: str, message: str) -> None:
        lines.flush()
        error = {"code": code, "message": f"Preparing the job failed: {message}"}
        # The reason is one line; the error keeps the whole message (an installer's last lines).
        headline = message.strip().splitlines()[0] if message.strip() else code
        conclude(self.p, job, RunStatus.FAILED, f"failed while preparing: {headline}", error, epoch=epoch)

    def _safely(self, job: Job, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("run %s: recording its end failed", job.run_id)


__all__ = ["RESTARTED", "Scheduler"]
