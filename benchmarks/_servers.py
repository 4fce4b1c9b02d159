"""The servers the benchmarks talk to: ``mlyard up`` and ``mlflow server``, each a subprocess.

Each server runs in its own process group on a free port of 127.0.0.1, with a throw-away
folder for its database, files and log. :func:`start` times the start from the spawn until the
health endpoint answers; :meth:`Server.rss_mb` sums the resident memory of the whole process
tree (MLflow's default set-up is a parent, four uvicorn workers, a job runner and its queue
consumers); :meth:`Server.wait_idle` waits for the tree to settle after a start.
:meth:`Server.stop` sends SIGTERM to the group it made, then SIGKILL if needed.

Bytecode: this machine's environment sets ``PYTHONDONTWRITEBYTECODE=1``, so a source checkout
would be compiled again at every start, which no installed package is. The servers run with
that variable removed and ``PYTHONPYCACHEPREFIX`` pointing into the benchmark's folder: the
first start compiles, later starts load bytecode as after a ``pip install``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ADMIN_PASSWORD = "benchmark-password"
START_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A started server: its process group, address, folder and how long it took to answer."""

    kind: str
    process: subprocess.Popen[bytes]
    endpoint: str
    folder: Path
    log_path: Path
    started_in: float

    def rss_mb(self) -> float:
        """Resident memory of the server's process and all its descendants, in MB (10^6 bytes)."""
        return sum(_rss_kb(pid) for pid in _tree(self.process.pid)) * 1024 / 1e6

    def cpu_seconds(self) -> float:
        """CPU time (user and system) used so far by the server's process tree."""
        return sum(_cpu_ticks(pid) for pid in _tree(self.process.pid)) / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, timeout: float = 90.0, busy: float = 0.05) -> float:
        """Wait until the tree uses less than ``busy`` of a core over a second; answers the wait.

        MLflow's server answers /health while its job runner still starts seven queue consumers
        (each importing MLflow): measured in those seconds, its requests take several times longer.
        """
        began = time.perf_counter()
        last = self.cpu_seconds()
        while time.perf_counter() - began < timeout:
            time.sleep(1.0)
            now = self.cpu_seconds()
            if now - last < busy:
                break
            last = now
        return time.perf_counter() - began

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        # The group may outlive its leader (MLflow's queue consumers): make sure it is gone.
        _signal_group(self.process.pid, signal.SIGKILL)

    @property
    def token(self) -> str:
        """mlyard only: the admin token that ``mlyard up`` saved in its home."""
        creds = json.loads((self.folder / "credentials").read_text())
        return str(creds["endpoints"][self.endpoint]["token"])


def server_env(bytecode_cache: Path | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLYARD_", "MLFLOW_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if bytecode_cache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(bytecode_cache)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def start(kind: str, command: list[str], env: dict[str, str], folder: Path, port: int) -> Server:
    """Spawn ``command`` in a new process group and wait for ``/health``; the time is kept."""
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / f"{kind}.log"
    endpoint = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        began = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    server = Server(kind, process, endpoint, folder, log_path, 0.0)
    with httpx.Client(timeout=2.0) as http:
        while time.perf_counter() - began < START_TIMEOUT:
            if process.poll() is not None:
                raise RuntimeError(f"{kind} exited with {process.returncode} at start:\n{_tail(log_path)}")
            try:
                if http.get(f"{endpoint}/health").status_code == 200:
                    server.started_in = time.perf_counter() - began
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.005)
    server.stop()
    raise RuntimeError(f"{kind} did not answer /health within {START_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def start_mlyard(home: Path, bytecode_cache: Path | None) -> Server:
    """``mlyard up`` (SQLite and a local folder under ``home``), as its users start it."""
    port = free_port()
    env = server_env(bytecode_cache, {"MLYARD_HOME": str(home), "MLYARD_ADMIN_PASSWORD": ADMIN_PASSWORD})
    return start("mlyard", [sys.executable, "-m", "mlyard", "up", "--port", str(port)], env, home, port)


def start_mlflow(folder: Path, workers: int | None, bytecode_cache: Path | None = None) -> Server:
    """``mlflow server`` on SQLite and a local artifacts folder; ``workers`` None is its default (4)."""
    port = free_port()
    command = [
        sys.executable, "-m", "mlflow", "server",
        "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
        "--artifacts-destination", str(folder / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    if workers is not None:
        command += ["--workers", str(workers)]
    kind = "mlflow" if workers is None else f"mlflow-workers-{workers}"
    return start(kind, command, server_env(bytecode_cache), folder, port)


def _tree(root: int) -> list[int]:
    """``root`` and every process descending from it (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _cpu_ticks(pid: int) -> int:
    try:
        fields = (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
