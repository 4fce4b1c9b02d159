"""The ``computeinstance`` backend: a Jupyter server (JupyterLab) per instance on the server's host.

An instance has a folder ``<home>/instances/<target id>/``: ``handle.json`` (its pid and start
identity, port and token; readable by the server's OS user only), ``jupyter.log``, Jupyter's
config and runtime folders, and, with an S3 blob store, the local copy of the notebooks.

- **Start**: ``python jupyter_process.py`` (which applies the size's CPU affinity and memory
  limit, then becomes ``python -m jupyterlab``) in its own session, bound to 127.0.0.1 on a free
  port, with ``--allow-root`` when root, its root folder the workspace's notebooks folder
  (:mod:`mlyard.services.notebooks`) and ``base_url`` the proxy's prefix
  (:func:`proxy_prefix`), so that the links it writes work through mlyard's proxy. Its token is
  random, passed in its environment (not its command line, which ``ps`` shows), and never
  leaves the server: the proxy adds it to each request. Ready once ``/api/status`` answers.
- **Stop**: SIGTERM to its process group, SIGKILL after 10 s; an S3 copy is written back.
- **A restarted server** finds the instance again by pid *and* start identity
  (:mod:`mlyard.backends.processes`); one whose process is gone is reported Stopped with why.
- **Jobs** sent to an instance run as local processes of this host (:class:`LocalBackend`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from mlyard.backends import jupyter_process, processes
from mlyard.backends.jupyter_settings import check_properties, size_of
from mlyard.backends.local import SECRET_NAME, LocalBackend
from mlyard.core.entities.compute import ComputeTarget, ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.errors import ServiceUnavailable, ValidationError
from mlyard.core.settings import InstanceSize, Settings
from mlyard.services import notebooks
from mlyard.services.compute_backends import Handle, JobLaunch, JobPoll, SignIn, TargetStatus
from mlyard.storage import BlobStore, open_blob_store

_LAUNCHER = str(Path(jupyter_process.__file__).resolve())
_HOST = socket.gethostname()
STOP_GRACE_SECONDS = 10.0


# JupyterLab writes its token into every page it serves; the proxy adds the token to each request,
# so the page needs none, and the token never reaches a browser.
_SERVER_CONFIG = """\
def _no_token(handler, page_config):
    page_config["token"] = ""
    return page_config


c.ServerApp.tornado_settings = {"page_config_hook": _no_token}
"""


def proxy_prefix(target_id: str) -> str:
    """Where the server proxies the instance's Jupyter (and so Jupyter's own ``base_url``)."""
    return f"/api/v1/instances/{target_id}/jupyter/"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _app_module() -> str:
    return "jupyterlab" if importlib.util.find_spec("jupyterlab") is not None else "jupyter_server"


def size_limits(size: InstanceSize) -> list[str]:
    """The command prefix that applies a size's limits, then executes what follows it."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    chosen = ",".join(map(str, cpus[: size.cores]))
    memory = str(int(size.memory_gb * 1024**3))
    return [sys.executable, "-I", "-S", _LAUNCHER, "--cpus", chosen, "--memory-bytes", memory, "--"]


class JupyterBackend:
    compute_type = ComputeType.COMPUTE_INSTANCE
    # What `update` may change after creation (the scheduler's next look uses it).
    settable_properties = frozenset({"idleTimeBeforeShutdownMinutes", "schedules", "tags"})
    kept_properties = frozenset({"sshPublicAccess"})

    def __init__(self, settings: Settings, jobs: LocalBackend | None = None) -> None:
        self.settings = settings
        self.root = settings.home / "instances"
        self._jobs = jobs or LocalBackend(settings)
        self._blobs: BlobStore | None = None
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._lock = threading.Lock()

    # -- targets -------------------------------------------------------------------------------

    def validate(self, spec: ComputeTargetSpec) -> ComputeTargetSpec:
        size = size_of(self.settings, spec.vm_size or self.settings.instance_sizes[0].name)
        props = check_properties(spec.properties)
        runs = spec.max_concurrent_runs or size.cores
        if not 1 <= runs <= 1024:
            raise ValidationError("max_concurrent_runs is 1 to 1024.", target="maxConcurrentRuns")
        return ComputeTargetSpec(spec.compute_type, size.name, runs, spec.description, props)

    def provision(self, target: ComputeTarget) -> TargetStatus:
        # As Azure's: an instance runs once created.
        return self.start(target)

    def start(self, target: ComputeTarget) -> TargetStatus:
        return self.start_signed_in(target, None)

    def start_signed_in(self, target: ComputeTarget, sign_in: SignIn | None) -> TargetStatus:
        """Start the instance; with ``sign_in``, the SDK in its notebooks and terminals acts with
        the owner's token limited to the workspace (``Workspace.from_config()`` finds it)."""
        with self._lock:
            handle = self._handle(target.id)
            if handle is not None and self._alive(handle):
                return self._running(target, handle)
            return self._launch(target, sign_in)

    def stop(self, target: ComputeTarget) -> TargetStatus:
        handle = self._handle(target.id)
        if handle is not None:
            self._terminate(target.id, handle)
            folder = handle.get("notebooks")
            if handle.get("copy") and folder:
                notebooks.sync_up(self._blob_store(), target.workspace_id, Path(folder))
            (self.root / target.id / "handle.json").unlink(missing_ok=True)
        return TargetStatus(ProvisioningState.SUCCEEDED, "Stopped")

    def status(self, target: ComputeTarget) -> TargetStatus:
        handle = self._handle(target.id)
        if handle is not None and handle.get("host") not in (None, _HOST):
            return TargetStatus(
                ProvisioningState.SUCCEEDED, "Stopped", f"its Jupyter server ran on host '{handle['host']}'"
            )
        if handle is not None and self._alive(handle):
            return TargetStatus(ProvisioningState.SUCCEEDED, "Running")
        return TargetStatus(
            ProvisioningState.SUCCEEDED,
            "Stopped",
            "its Jupyter server's process was gone (killed, or the host restarted); start it again",
        )

    def delete(self, target: ComputeTarget) -> None:
        self.stop(target)
        shutil.rmtree(self.root / target.id, ignore_errors=True)

    # -- what the proxy and the scheduler ask ------------------------------------------------------

    def endpoint(self, target_id: str) -> tuple[str, str] | None:
        """``(http://127.0.0.1:PORT, token)`` of a running instance, or None."""
        handle = self._handle(target_id)
        if handle is None or handle.get("host") not in (None, _HOST) or not self._alive(handle):
            return None
        return f"http://127.0.0.1:{handle['port']}", str(handle["token"])

    def last_activity(self, target: ComputeTarget) -> datetime | None:
        """When a kernel or terminal of the instance last did something (now while one is busy);
        the start when none ever did; None when Jupyter does not answer."""
        found = self.endpoint(target.id)
        handle = self._handle(target.id)
        if found is None or handle is None:
            return None
        base, token = found
        prefix = base + str(handle["base_url"])
        headers = {"Authorization": f"token {token}"}
        latest = datetime.fromisoformat(str(handle["started_at"]))
        try:
            with httpx.Client(timeout=10, headers=headers) as client:
                # no_track_activity: these looks must not count as activity themselves.
                kernels = client.get(prefix + "api/kernels", params={"no_track_activity": "1"}).json()
                terminals = client.get(prefix + "api/terminals", params={"no_track_activity": "1"})
        except (httpx.HTTPError, ValueError):
            return None
        items = list(kernels) + (list(terminals.json()) if terminals.status_code == 200 else [])
        for item in items:
            if item.get("execution_state") == "busy":
                return datetime.now(UTC)
            stamp = item.get("last_activity")
            if stamp:
                latest = max(latest, datetime.fromisoformat(str(stamp).replace("Z", "+00:00")))
        return latest

    # -- the Jupyter process ---------------------------------------------------------------------

    def _blob_store(self) -> BlobStore:
        if self._blobs is None:
            options = {"endpoint_url": self.settings.s3_endpoint_url} if self.settings.s3_endpoint_url else {}
            self._blobs = open_blob_store(self.settings.storage_url, **options)
        return self._blobs

    def _notebooks(self, target: ComputeTarget, folder: Path) -> tuple[Path, bool]:
        """The folder Jupyter opens, and whether it is a local copy (an S3 blob store)."""
        blobs = self._blob_store()
        shared = notebooks.shared_folder(blobs, target.workspace_id)
        if shared is not None:
            return shared, False
        copy = folder / "notebooks"
        copy.mkdir(parents=True, exist_ok=True)
        notebooks.sync_down(blobs, target.workspace_id, copy)
        return copy, True

    def _launch(self, target: ComputeTarget, sign_in: SignIn | None = None) -> TargetStatus:
        size = size_of(self.settings, target.vm_size)
        folder = self.root / target.id
        for sub in ("config", "runtime", "data", "ipython", "home"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        root_dir, copy = self._notebooks(target, folder)
        (folder / "config" / "jupyter_server_config.py").write_text(_SERVER_CONFIG)
        token = os.urandom(24).hex()
        base_url = proxy_prefix(target.id)
        port = _free_port()
        command = [
            *size_limits(size),
            sys.executable,
            "-m",
            _app_module(),
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.base_url={base_url}",
            f"--ServerApp.root_dir={root_dir}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        ]
        env = {k: v for k, v in os.environ.items() if not SECRET_NAME.search(k)}
        env.update(
            JUPYTER_TOKEN=token,
            JUPYTER_CONFIG_DIR=str(folder / "config"),
            JUPYTER_RUNTIME_DIR=str(folder / "runtime"),
            JUPYTER_DATA_DIR=str(folder / "data"),
            IPYTHONDIR=str(folder / "ipython"),
            # The SDK in a notebook must not find the server's own credentials: its own are below.
            MLYARD_HOME=str(folder / "home"),
            PYTHONUNBUFFERED="1",
        )
        config = folder / "home" / "config.json"
        config.unlink(missing_ok=True)
        if sign_in is not None:
            env.update(sign_in.variables)
            config.write_text(json.dumps(sign_in.config, indent=2) + "\n")
        log_path = folder / "jupyter.log"
        with log_path.open("ab") as log:
            log.write(f"[mlyard] starting Jupyter for '{target.name}' on 127.0.0.1:{port}\n".encode())
            log.flush()
            child = subprocess.Popen(
                command,
                cwd=root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        handle: dict[str, Any] = {
            "pid": child.pid,
            "identity": processes.identity(child.pid) or "",
            "host": _HOST,
            "port": port,
            "token": token,
            "base_url": base_url,
            "notebooks": str(root_dir),
            "copy": copy,
            "started_at": datetime.now(UTC).isoformat(),
        }
        handle_path = folder / "handle.json"
        handle_path.touch(mode=0o600)
        handle_path.write_text(json.dumps(handle))
        self._children[target.id] = child
        self._wait_ready(target, handle, child, log_path)
        return self._running(target, handle)

    def _wait_ready(
        self, target: ComputeTarget, handle: dict[str, Any], child: subprocess.Popen[bytes], log_path: Path
    ) -> None:
        url = f"http://127.0.0.1:{handle['port']}{handle['base_url']}api/status"
        headers = {"Authorization": f"token {handle['token']}"}
        deadline = time.monotonic() + self.settings.jupyter_start_timeout_seconds
        while time.monotonic() < deadline:
            if child.poll() is not None:
                break
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, headers=headers, params={"no_track_activity": "1"}, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        self._terminate(target.id, handle)
        (self.root / target.id / "handle.json").unlink(missing_ok=True)
        tail = log_path.read_text(errors="replace").strip().splitlines()[-15:]
        why = (
            f"it exited with code {child.returncode}"
            if child.returncode is not None
            else f"it did not answer within {self.settings.jupyter_start_timeout_seconds:g} s"
        )
        raise ServiceUnavailable(
            f"The Jupyter server of '{target.name}' did not start: {why}. Its last lines:\n" + "\n".join(tail)
        )

    def _running(self, target: ComputeTarget, handle: dict[str, Any]) -> TargetStatus:
        base = str(handle["base_url"])
        apps = [
            {"displayName": "JupyterLab", "endpointUri": base + "lab"},
            {"displayName": "Jupyter", "endpointUri": base + "tree"},
        ]
        return TargetStatus(ProvisioningState.SUCCEEDED, "Running", properties={"applications": apps})

    def _handle(self, target_id: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = json.loads((self.root / target_id / "handle.json").read_text())
        except (OSError, ValueError):
            return None
        return found

    @staticmethod
    def _alive(handle: dict[str, Any]) -> bool:
        return handle.get("host") in (None, _HOST) and processes.is_alive(int(handle["pid"]), str(handle["identity"]))

    def _terminate(self, target_id: str, handle: dict[str, Any]) -> None:
        pid, ident = int(handle["pid"]), str(handle["identity"])
        processes.signal_group(pid, ident, signal.SIGTERM)
        child = self._children.pop(target_id, None)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and processes.group_exists(pid):
            if child is not None:
                child.poll()  # reap it, so that a zombie does not count as alive
            time.sleep(0.05)
        processes.kill_group(pid, ident)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=5)

    # -- jobs: local processes of this host ------------------------------------------------------

    def submit(self, launch: JobLaunch) -> Handle:
        """A job on an instance runs in the instance's size, as its kernels do (same CPUs, same
        per-process memory limit), through the same launcher."""
        size = size_of(self.settings, launch.target.vm_size)
        launch.log(
            f"[mlyard] the instance's size '{size.name}' applies: {size.cores} core(s), "
            f"{size.memory_gb:g} GB address space per process"
        )
        return self._jobs.submit(launch, prefix=size_limits(size))

    def poll(self, handle: Handle) -> JobPoll:
        return self._jobs.poll(handle)

    def cancel(self, handle: Handle, *, force: bool) -> None:
        self._jobs.cancel(handle, force=force)

    def logs(self, handle: Handle, offset: int, limit: int) -> bytes:
        return self._jobs.logs(handle, offset, limit)

    def working_folder(self, handle: Handle) -> Path | None:
        return self._jobs.working_folder(handle)

    def release(self, handle: Handle) -> None:
        self._jobs.release(handle)
