"""A Ray head that mlyard starts and owns on the server's host, one per Ray target without an address.

The head runs ``ray start --head`` bound to 127.0.0.1 on ports chosen here (every port Ray
would otherwise take by default, so that it never meets another head on the machine), with
its temporary folder of its own and two variables without which Ray hangs on Linux
(``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, ``RAY_USAGE_STATS_ENABLED=0``).

**Stopping it touches only this head.** ``ray stop`` stops every Ray process of the machine
(the tests' own head, a user's cluster), and Ray's workers leave the head's process group, so
neither serves. Every process of the head inherits the variable ``MLYARD_RAY_HEAD=<target id>``:
stopping sends SIGTERM, then SIGKILL, to exactly the processes that carry it or work in the
head's own folder (Ray starts its agents with variables of its own; Linux ``/proc``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlyard.backends.local import SECRET_NAME  # one rule for what mlyard's children never inherit
from mlyard.core.errors import ComputeUnreachable
from mlyard.core.ids import utcnow

MARKER = "MLYARD_RAY_HEAD"
RAY_VARIABLES = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
# Ray puts "session_<date>_<pid>/sockets/plasma_store" (about 62 characters) under its temporary
# folder, and a Unix socket's path holds at most 107 bytes.
_MAX_TEMP_DIR = 40
_PROC = Path("/proc")
_READY_TIMEOUT = 120.0


@dataclass(frozen=True)
class Head:
    """Where a running head answers; kept in the target's properties."""

    dashboard_url: str
    gcs_address: str
    temp_dir: str
    num_cpus: int
    started_at: str
    memory_bytes: int | None = None

    def properties(self) -> dict[str, Any]:
        return {
            "memoryBytes": self.memory_bytes,
            "head": "Running",
            "nodes": 1,
            "dashboardUrl": self.dashboard_url,
            "gcsAddress": self.gcs_address,
            "tempDir": self.temp_dir,
            "numCpus": self.num_cpus,
            "headStartedAt": self.started_at,
        }

    @staticmethod
    def recorded(properties: dict[str, Any]) -> Head | None:
        """The head that the target's properties say runs (it may have died since)."""
        if properties.get("head") != "Running" or not properties.get("dashboardUrl"):
            return None
        return Head(
            str(properties["dashboardUrl"]),
            str(properties.get("gcsAddress") or ""),
            str(properties.get("tempDir") or ""),
            int(properties.get("numCpus") or 1),
            str(properties.get("headStartedAt") or ""),
            int(properties["memoryBytes"]) if properties.get("memoryBytes") else None,
        )


def temp_dir(home: Path, target_id: str) -> Path:
    """The head's temporary folder: under the server's home when the path is short enough for
    Ray's sockets, else a short folder of the system's temporary space named after both."""
    under_home = home / "ray" / target_id[:8]
    if len(str(under_home)) <= _MAX_TEMP_DIR:
        return under_home
    digest = hashlib.sha256(f"{home}\0{target_id}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"mlyard-ray-{digest}"


def _free_port(preferred: int | None = None) -> int:
    if preferred:
        with contextlib.suppress(OSError), socket.socket() as sock:
            sock.bind(("127.0.0.1", preferred))
            return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_of(url: str | None) -> int | None:
    found = re.search(r":(\d+)/?$", url or "")
    return int(found.group(1)) if found else None


def answers(dashboard_url: str, timeout: float = 2.0) -> bool:
    """Whether the Jobs API of the head at ``dashboard_url`` answers."""
    try:
        with urllib.request.urlopen(f"{dashboard_url}/api/jobs/", timeout=timeout) as reply:
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def probe(address: str, timeout: float = 10.0) -> str | None:
    """Why the Ray dashboard at ``address`` does not answer (None when it does)."""
    try:
        with urllib.request.urlopen(f"{address}/api/version", timeout=timeout) as reply:
            return None if reply.status == 200 else f"HTTP {reply.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} from {address}/api/version"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return str(getattr(exc, "reason", None) or exc)


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def head_environment(target_id: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not SECRET_NAME.search(k)}
    env.update(RAY_VARIABLES)
    env[MARKER] = target_id
    # Jobs run `python` from the head's PATH unless told otherwise: the server's own first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def start(
    target_id: str, folder: Path, num_cpus: int, previous_url: str | None = None, memory_bytes: int | None = None
) -> Head:
    """Start the head and wait until its Jobs API answers; raise ComputeUnreachable with Ray's
    own last lines when it does not come up."""
    stop(target_id, folder)  # what is left of an earlier head of this target (a crash, a killed server)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    gcs, dashboard = _free_port(), _free_port(_port_of(previous_url))
    others = {
        name: _free_port()
        for name in (
            "ray-client-server-port",
            "dashboard-agent-listen-port",
            "dashboard-agent-grpc-port",
            "runtime-env-agent-port",
            "metrics-export-port",
            "node-manager-port",
            "object-manager-port",
        )
    }
    command = [
        sys.executable,
        "-m",
        "ray.scripts.scripts",
        "start",
        "--head",
        "--node-ip-address=127.0.0.1",
        f"--port={gcs}",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}",
        "--include-dashboard=true",
        f"--num-cpus={num_cpus}",
        *([f"--memory={memory_bytes}"] if memory_bytes else []),
        "--disable-usage-stats",
        f"--temp-dir={folder}",
        # Workers take random ports rather than a fixed range that another head may hold.
        "--min-worker-port=0",
        "--max-worker-port=0",
        *(f"--{name}={port}" for name, port in others.items()),
    ]
    url = f"http://127.0.0.1:{dashboard}"
    done = subprocess.run(
        command,
        env=head_environment(target_id),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
    )
    if done.returncode != 0:
        stop(target_id, folder)
        last = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ComputeUnreachable(f"The Ray head did not start (ray start exited with {done.returncode}):\n{last}")
    deadline = time.monotonic() + _READY_TIMEOUT
    while not answers(url):
        if time.monotonic() > deadline:
            stop(target_id, folder)
            raise ComputeUnreachable(
                f"The Ray head started but its Jobs API at {url} did not answer within {_READY_TIMEOUT:g} s; "
                f"Ray's logs are in {folder}/session_latest/logs."
            )
        time.sleep(0.2)
    return Head(url, f"127.0.0.1:{gcs}", str(folder), num_cpus, utcnow().isoformat(), memory_bytes)


def processes(target_id: str, folder: Path | None = None) -> list[int]:
    """The live processes of this target's head (and of the jobs it runs): those that carry its
    variable, and those working in its folder (Ray starts its agents with variables of its own)."""
    wanted = f"{MARKER}={target_id}".encode()
    inside = str(folder) if folder is not None else None
    found: list[int] = []
    if not _PROC.is_dir():
        return found
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            ours = wanted in (entry / "environ").read_bytes().split(b"\0")
            if not ours and inside is not None:
                where = os.readlink(entry / "cwd")
                ours = where == inside or where.startswith((inside + "/", inside + " "))
        except (OSError, IndexError):
            continue
        if ours and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def stop(target_id: str, folder: Path | None = None, grace: float = 3.0) -> int:
    """Stop every process of the head (SIGTERM, then SIGKILL after ``grace``); answers how many."""
    pids = processes(target_id, folder)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while processes(target_id, folder) and time.monotonic() < deadline:
        time.sleep(0.1)
    for _ in range(50):
        left = processes(target_id, folder)
        if not left:
            break
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    return len(pids)
