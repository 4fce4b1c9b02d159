"""Stopping a real server with SIGTERM or SIGINT, idle or busy, and starting it again.

A stop must be graceful (uvicorn's "Shutting down" … "Finished server process"), end with
exit code 0 within 15 s, leave the SQLite store intact, and keep every state that was
acknowledged: a restart on the same MLYARD_HOME serves what was created before.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.fixtures.server import RunningServer, start_server

API = "/api/v1"
GROUP = f"{API}/subscriptions/default/resourceGroups/default"
STOP_WITHIN = 15.0
SIGNALS = [signal.SIGTERM, signal.SIGINT]


def client_for(server: RunningServer) -> httpx.Client:
    return httpx.Client(
        base_url=server.endpoint,
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=30,
        trust_env=False,
    )


def stop_and_check(server: RunningServer, sig: signal.Signals) -> str:
    """Send ``sig``; the server must exit with 0 within STOP_WITHIN s after a clean shutdown."""
    assert server.process.poll() is None, "the server died before it was told to stop"
    started = time.monotonic()
    server.process.send_signal(sig)
    try:
        code = server.process.wait(STOP_WITHIN)
    except subprocess.TimeoutExpired:
        server.stop(signal.SIGKILL)
        pytest.fail(f"the server did not stop within {STOP_WITHIN} s of {sig.name}:\n{server.log()[-4000:]}")
    took = time.monotonic() - started
    log = server.log()
    assert code == 0, f"exit code {code} after {sig.name} ({took:.1f} s):\n{log[-4000:]}"
    assert "Shutting down" in log, log[-4000:]
    assert "Application shutdown complete" in log, log[-4000:]
    assert "Finished server process" in log, log[-4000:]
    assert "Traceback" not in log, log[-4000:]
    assert "KeyboardInterrupt" not in log, log[-4000:]
    assert "Aborted" not in log, log[-4000:]
    return log


def check_store_intact(home: Path) -> None:
    with sqlite3.connect(home / "mlyard.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The WAL was checkpointed and removed when the last connection closed.
    assert not (home / "mlyard.db-wal").exists() or (home / "mlyard.db-wal").stat().st_size == 0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "home")
    yield running
    running.stop(signal.SIGKILL)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stop_when_idle_keeps_state(server: RunningServer, sig: signal.Signals) -> None:
    with client_for(server) as client:
        made = client.post(f"{GROUP}/workspaces", json={"name": "kept-across-restarts", "tags": {"k": "v"}})
        assert made.status_code == 201, made.text
    stop_and_check(server, sig)
    check_store_intact(server.home)

    again = start_server(server.home)
    try:
        with client_for(again) as client:
            shown = client.get(f"{GROUP}/workspaces/kept-across-restarts")
            assert shown.status_code == 200, shown.text
            assert shown.json()["workspaceId"] == made.json()["workspaceId"]
            assert shown.json()["tags"] == {"k": "v"}
            names = {w["name"] for w in client.get(f"{API}/workspaces").json()}
            assert names == {"default", "kept-across-restarts"}
            # The restart did not create a second admin or default workspace.
            assert "Created user" not in again.log()
        stop_and_check(again, sig)
    finally:
        again.stop(signal.SIGKILL)


class Load:
    """Threads that loop over requests until told to stop or until the server is gone."""

    def __init__(self, server: RunningServer, readers: int, writers: int) -> None:
        self.server = server
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.failures: list[str] = []
        self.created: list[str] = []  # workspaces acknowledged with 201
        self.attempted: list[str] = []  # workspaces asked for, whatever the answer
        self.threads = [threading.Thread(target=self._read, daemon=True) for _ in range(readers)]
        self.threads += [threading.Thread(target=self._write, args=(n,), daemon=True) for n in range(writers)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        assert not any(t.is_alive() for t in self.threads)

    def _note(self, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.failures.append(f"{response.request.method} {response.request.url.path}: {response.text}")

    def _read(self) -> None:
        with client_for(self.server) as client:
            while not self.stop.is_set():
                try:
                    self._note(client.get(f"{API}/workspaces"))
                except httpx.TransportError:
                    if self.server.process.poll() is not None:
                        return
                    time.sleep(0.01)

    def _write(self, n: int) -> None:
        with client_for(self.server) as client:
            i = 0
            while not self.stop.is_set():
                name = f"busy-{n}-{i}"
                i += 1
                with self.lock:
                    self.attempted.append(name)
                try:
                    answer = client.post(f"{GROUP}/workspaces", json={"name": name})
                except httpx.TransportError:
                    if self.server.process.poll() is not None:
                        return
                    time.sleep(0.01)
                    continue
                self._note(answer)
                if answer.status_code == 201:
                    with self.lock:
                        self.created.append(name)

    def wait_for(self, answers: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while sum(self.statuses.values()) < answers:
            assert time.monotonic() < deadline, f"only {self.statuses} answers within {timeout} s"
            time.sleep(0.05)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
def test_stop_under_load_is_clean_and_loses_nothing_acknowledged(server: RunningServer, sig: signal.Signals) -> None:
    with client_for(server) as client:
        before = client.post(f"{GROUP}/workspaces", json={"name": "made-before-the-load"})
        assert before.status_code == 201, before.text

    with Load(server, readers=4, writers=2) as load:
        load.wait_for(40)
        stop_and_check(server, sig)
    assert load.failures == [], load.failures
    assert set(load.statuses) <= {200, 201}, load.statuses
    assert load.statuses[200] > 0 and load.statuses[201] > 0, load.statuses
    check_store_intact(server.home)

    again = start_server(server.home)
    try:
        with client_for(again) as client:
            listed = client.get(f"{GROUP}/workspaces")
            assert listed.status_code == 200
            names = {w["name"] for w in listed.json()}
            assert "made-before-the-load" in names
            # Every workspace that was acknowledged is there; none appeared that was not asked for.
            assert set(load.created) <= names
            assert names <= {"default", "made-before-the-load", *load.attempted}
            for name in names - {"default"}:
                # Each is whole, even one whose answer was cut off by the stop.
                stores = client.get(f"{GROUP}/workspaces/{name}/datastores")
                assert stores.status_code == 200, stores.text
                assert len(stores.json()) == 2, (name, stores.json())
        stop_and_check(again, signal.SIGTERM)
    finally:
        again.stop(signal.SIGKILL)


def test_a_second_sigint_while_stopping_still_exits(server: RunningServer) -> None:
    """Ctrl+C twice (uvicorn's forced exit) ends the process too, within the same bound."""
    with Load(server, readers=3, writers=0) as load:
        load.wait_for(20)
        started = time.monotonic()
        server.process.send_signal(signal.SIGINT)
        server.process.send_signal(signal.SIGINT)
        code = server.process.wait(STOP_WITHIN)
    assert time.monotonic() - started < STOP_WITHIN
    assert code == 0, server.log()[-4000:]
    # A forced exit may cancel the lifespan task while it waits for the shutdown message, and
    # Starlette logs that cancellation; any other traceback is a failure.
    others = [t for t in server.log().split("Traceback")[1:] if "CancelledError" not in t]
    assert not others, server.log()[-4000:]
    check_store_intact(server.home)
