"""The ``local`` backend: jobs as process groups on the server's host.

A job gets a folder ``<home>/jobs/<run id>/``:

- ``wd/``: the snapshot, extracted; the job's working folder (``./outputs``, ``./logs`` made);
- ``std_log.txt``: its stdout and stderr, written by the processes themselves, so that the
  job keeps logging while no server runs (the scheduler copies it into the run's log);
- ``exit_code``: written by the launcher (:mod:`mlyard.backends.local_launcher`) when the
  command ends; ``handle.json``: the pid and identity of the launcher, the group's leader.

The process runs as the server's OS user: the job's token limits what it may do through the
API, not what it may read on this host. Variables whose names look like secrets (``*TOKEN*``,
``*SECRET*``, ``*PASSWORD*``, ``*_KEY``, ``AWS_*``, ``MLYARD_*``, ...) are not passed on from
the server's environment.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from mlyard.backends import local_launcher, processes
from mlyard.core.entities.compute import ComputeTarget, ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.entities.environments import PreparedEnvironment
from mlyard.core.errors import ComputeOperationNotSupported, ValidationError
from mlyard.core.settings import Settings
from mlyard.services.compute_backends import Handle, JobLaunch, JobNotStarted, JobPoll, JobState, TargetStatus

SECRET_NAME = re.compile(
    r"SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE|_KEY$|^AWS_|^AZURE_|^GOOGLE_|^PG|^MLYARD_", re.IGNORECASE
)
_LAUNCHER = str(Path(local_launcher.__file__).resolve())
_HOST = socket.gethostname()


def job_environment(
    base: dict[str, str], prepared: PreparedEnvironment, variables: dict[str, str], folder: Path
) -> dict[str, str]:
    """The job's variables: the server's, less what looks secret; the environment's; mlyard's."""
    env = {k: v for k, v in base.items() if not SECRET_NAME.search(k)}
    env.update(prepared.environment_variables)
    env.update(variables)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # The SDK inside the job must not find the server's saved credentials or config.
    env["MLYARD_HOME"] = str(folder / "home")
    # `python` and `python3` in a command are the environment's interpreter.
    env["PATH"] = os.pathsep.join([str(folder / "bin"), str(Path(prepared.python).parent), env.get("PATH", "")])
    return env


def python_shims(folder: Path, python: str) -> None:
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("python", "python3"):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(python)} "$@"\n')
        shim.chmod(0o755)


def working_folder(launch: JobLaunch, folder: Path) -> Path:
    """``folder/wd`` with the run's snapshot extracted and its output folders made (every backend
    that runs the script from a folder of this host); ``JobNotStarted`` if the run was canceled."""
    wd = folder / "wd"
    wd.mkdir(parents=True)
    launch.progress("preparing: extracting the snapshot")
    files = extract_snapshot(launch.snapshot(), folder, wd)
    for name in ("outputs", "logs", *launch.output_folders):
        (wd / name).mkdir(parents=True, exist_ok=True)
    launch.log(f"[mlyard] snapshot extracted: {files} file(s)")
    if not launch.wanted():
        raise JobNotStarted()
    return wd


def extract_snapshot(chunks: object, folder: Path, wd: Path) -> int:
    archive = folder / "snapshot.tar.gz"
    with archive.open("wb") as out:
        for chunk in chunks:  # type: ignore[attr-defined]  # an iterator of bytes
            out.write(chunk)
    with tarfile.open(archive, "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
        if hasattr(tarfile, "data_filter"):
            tar.extractall(wd, members=members, filter="data")
        else:  # Python before 3.11.4: the server checked every name at upload
            tar.extractall(wd, members=members)
    archive.unlink()
    return sum(1 for m in members if m.isfile())


def remove_job_folder(folder: Path) -> None:
    """Remove a job's folder, its read-only inputs (datasets given as mounts) included."""
    for root, _dirs, _files in os.walk(folder / "inputs"):
        with contextlib.suppress(OSError):
            os.chmod(root, 0o755)
    shutil.rmtree(folder, ignore_errors=True)


class LocalBackend:
    compute_type = ComputeType.LOCAL

    def __init__(self, settings: Settings) -> None:
        self.root = settings.home / "jobs"
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()
        # Called when a job's process ends, so that the scheduler finalizes it at once rather
        # than at its next look (a slot is freed ~50 ms sooner per job).
        self.on_exit: Callable[[], None] | None = None

    # -- targets -------------------------------------------------------------------------------

    def validate(self, spec: ComputeTargetSpec) -> ComputeTargetSpec:
        if spec.vm_size:
            raise ValidationError(
                "A local target runs on the server's host: it has no vm_size (leave it out).", target="vmSize"
            )
        if spec.max_concurrent_runs is not None and not 1 <= spec.max_concurrent_runs <= 1024:
            raise ValidationError("max_concurrent_runs is 1 to 1024.", target="maxConcurrentRuns")
        if spec.properties:
            raise ValidationError("A local target takes no properties.", target="properties")
        return spec

    def provision(self, target: ComputeTarget) -> TargetStatus:
        return TargetStatus(ProvisioningState.SUCCEEDED)

    def status(self, target: ComputeTarget) -> TargetStatus:
        return TargetStatus(ProvisioningState.SUCCEEDED)

    def start(self, target: ComputeTarget) -> TargetStatus:
        raise ComputeOperationNotSupported("A local target is always running: it cannot be started or stopped.")

    def stop(self, target: ComputeTarget) -> TargetStatus:
        raise ComputeOperationNotSupported("A local target is always running: it cannot be started or stopped.")

    def delete(self, target: ComputeTarget) -> None:
        return None

    # -- jobs ----------------------------------------------------------------------------------

    def submit(self, launch: JobLaunch, prefix: list[str] | None = None) -> Handle:
        """Prepare and start the job; ``prefix`` runs before its command (a size's limits)."""
        folder = self.root / launch.run_id
        self._stop_previous(folder)
        remove_job_folder(folder)
        try:
            command, shown, env = self._prepare(launch, folder)
        except BaseException:
            remove_job_folder(folder)  # nothing was started: nothing to keep
            raise
        with (folder / "std_log.txt").open("ab") as out:
            child = subprocess.Popen(
                [sys.executable, "-I", "-S", _LAUNCHER, str(folder / "exit_code"), *(prefix or []), *command],
                cwd=folder / "wd",
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        ident = processes.identity(child.pid) or ""
        handle: Handle = {"pid": child.pid, "identity": ident, "folder": str(folder), "host": _HOST}
        (folder / "handle.json").write_text(json.dumps(handle))
        with self._lock:
            self._children[child.pid] = child
        threading.Thread(target=self._wait, args=(child,), name=f"mlyard-wait-{child.pid}", daemon=True).start()
        launch.log(f"[mlyard] running: {shown} (process {child.pid})")
        return handle

    def _wait(self, child: subprocess.Popen[bytes]) -> None:
        child.wait()
        if self.on_exit is not None:
            self.on_exit()

    def _prepare(self, launch: JobLaunch, folder: Path) -> tuple[list[str], str, dict[str, str]]:
        """Extract the snapshot and get the interpreter: the command to start, how to show it, its variables."""
        working_folder(launch, folder)
        prepared = self._environment(launch)
        if not launch.wanted():
            raise JobNotStarted()
        python_shims(folder, prepared.python)
        (folder / "home").mkdir()
        env = job_environment(dict(os.environ), prepared, launch.variables, folder)
        inputs = launch.inputs(folder / "inputs")
        env.update(inputs.variables)
        if launch.script is not None:
            arguments = [inputs.apply(a) for a in launch.arguments]
            return (
                [prepared.python, launch.script, *arguments],
                shlex.join(["python", launch.script, *arguments]),
                env,
            )
        assert launch.command is not None
        command = inputs.apply(launch.command)
        return ["/bin/sh", "-c", command], command, env

    def _environment(self, launch: JobLaunch) -> PreparedEnvironment:
        asked = launch.environment_reference
        launch.progress(
            f"preparing: environment '{asked}' (built if needed; the build's output streams into the run's log)"
            if asked
            else "preparing: the server's own Python"
        )
        prepared = launch.environment(launch.log)
        name = f"'{prepared.name}:{prepared.version}'" if prepared.name else "the server's own Python"
        cached = "" if prepared.cache_hit else ", just built"
        launch.log(f"[mlyard] environment: {name} ({prepared.python}{cached})")
        return prepared

    def _stop_previous(self, folder: Path) -> None:
        """A previous attempt whose start the server could not record (it died meanwhile) is stopped."""
        with contextlib.suppress(OSError, ValueError, KeyError):
            old = json.loads((folder / "handle.json").read_text())
            processes.kill_group(int(old["pid"]), str(old["identity"]))

    def _reap(self, pid: int) -> None:
        with self._lock:
            child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            with self._lock:
                self._children.pop(pid, None)

    def poll(self, handle: Handle) -> JobPoll:
        pid, folder = int(handle["pid"]), Path(handle["folder"])
        if handle.get("host") not in (None, _HOST):
            return JobPoll(JobState.LOST, reason=f"its process ran on host '{handle['host']}', not on '{_HOST}'")
        self._reap(pid)
        code = self._exit_code(folder)
        if code is not None:
            return JobPoll(JobState.EXITED, exit_code=code)
        if processes.is_alive(pid, str(handle["identity"])):
            return JobPoll(JobState.RUNNING)
        code = self._exit_code(folder)  # it may have ended between the two looks
        if code is not None:
            return JobPoll(JobState.EXITED, exit_code=code)
        return JobPoll(
            JobState.LOST, reason="its process ended without leaving an exit code (killed, or the host restarted)"
        )

    @staticmethod
    def _exit_code(folder: Path) -> int | None:
        try:
            return int((folder / "exit_code").read_text().strip())
        except (OSError, ValueError):
            return None

    def cancel(self, handle: Handle, *, force: bool) -> None:
        sig = signal.SIGKILL if force else signal.SIGTERM
        processes.signal_group(int(handle["pid"]), str(handle["identity"]), sig)

    def logs(self, handle: Handle, offset: int, limit: int) -> bytes:
        try:
            with (Path(handle["folder"]) / "std_log.txt").open("rb") as log:
                log.seek(offset)
                return log.read(limit)
        except OSError:
            return b""

    def working_folder(self, handle: Handle) -> Path | None:
        return Path(handle["folder"]) / "wd"

    def release(self, handle: Handle) -> None:
        pid = int(handle["pid"])
        # What the script left running in its group goes with it.
        processes.kill_group(pid, str(handle["identity"]))
        with self._lock:
            child = self._children.pop(pid, None)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=5)
        deadline = time.monotonic() + 5
        while processes.group_exists(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        remove_job_folder(Path(handle["folder"]))
