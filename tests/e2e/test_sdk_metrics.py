"""Metrics end to end: the SDK's queue against a real server, including a server killed mid-run."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import httpx
import pytest
from tests.fixtures.server import RunningServer, start_server

from mlyard import Workspace
from mlyard.core.settings import Settings
from mlyard.sdk.client import Client, seg
from mlyard.sdk.run_metrics import RunMetricsMixin
from mlyard.services import runs
from mlyard.services.platform import Platform
from mlyard.storage import open_blob_store
from mlyard.store.database import Database

SUB = "default"


class MetricsRun(RunMetricsMixin):
    """The SDK run's metrics half, over a run made in the server's store."""

    def __init__(self, client: Client, path: str) -> None:
        self._client = client
        self._path = path


def make_run(home: Path, ws: Workspace) -> str:
    """A run in the server's own store (SQLite in WAL mode takes a second connection)."""
    settings = Settings(home=home)
    db = Database(settings.database_url)
    try:
        platform = Platform(settings, db, open_blob_store(settings.storage_url))
        return runs.create_run(platform, None, ws.subscription_id, ws.resource_group, ws.name, "metrics-e2e").id
    finally:
        db.dispose()


def new_run(home: Path) -> MetricsRun:
    name = f"metrics-{uuid.uuid4().hex[:8]}"
    ws = Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)
    run_id = make_run(home, ws)
    return MetricsRun(ws._client, f"{ws._path}/runs/{seg(run_id)}")


def test_a_hundred_thousand_points_come_back_exactly(server_env: RunningServer) -> None:
    run = new_run(server_env.home)
    n = 100_000
    for i in range(n):
        run.log("loss", 1.0 / (i + 1))
    run.log("odd", math.nan)
    run.log("odd", -math.inf)
    run.flush(60)
    got = run.get_metrics()
    assert got["loss"] == [1.0 / (i + 1) for i in range(n)]
    assert math.isnan(got["odd"][0]) and got["odd"][1] == -math.inf
    with server_env.client() as http:
        answer = http.get(f"{run._path}/metrics/loss", params={"maxPoints": 100})
        assert answer.status_code == 200
        body = answer.json()
        assert body["total"] == n and len(body["values"]) <= 100 and body["values"][0] == 1.0
        listed = http.get(f"{run._path}/metrics").json()
        assert {m["name"]: m["value"] for m in listed["metrics"]} == {"loss": 1.0 / n, "odd": "-Infinity"}


def test_get_metrics_has_azures_shapes(server_env: RunningServer) -> None:
    run = new_run(server_env.home)
    run.log("accuracy", 0.9)
    run.log("loss", 0.5)
    run.log("loss", 0.25)
    run.log_list("classes", [1, 2, 3])
    run.log_row("pr", precision=0.1, recall=0.9)
    run.log_row("pr", precision=0.2, recall=0.8)
    run.log_table("tbl", {"x": [1, 2], "y": [3, 4]})
    run.log_confusion_matrix("cm", {"schema_type": "confusion_matrix", "data": {"matrix": [[1, 0], [0, 1]]}})
    assert run.get_metrics() == {
        "accuracy": 0.9,
        "loss": [0.5, 0.25],
        "classes": [1, 2, 3],
        "pr": {"precision": [0.1, 0.2], "recall": [0.9, 0.8]},
        "tbl": {"x": [1, 2], "y": [3, 4]},
        "cm": {"schema_type": "confusion_matrix", "data": {"matrix": [[1, 0], [0, 1]]}},
    }
    assert run.get_metrics("loss") == {"loss": [0.5, 0.25]}


def test_bad_requests_are_clear(server_env: RunningServer) -> None:
    run = new_run(server_env.home)
    with server_env.client() as http:
        url = f"{run._path}/metrics/batch"
        bad = http.post(
            url, json={"batchId": "b", "series": [{"name": "m", "steps": [1], "values": [], "timestamps": [1]}]}
        )
        assert bad.status_code == 400 and "equal length" in bad.json()["error"]["message"]
        series = '{"name": "m", "steps": [0, 1], "values": [NaN, "Infinity"], "timestamps": [1, 2]}'
        raw = '{"batchId": "n", "series": [' + series + "]}"
        ok = http.post(url, content=raw, headers={"Content-Type": "application/json"})
        assert ok.status_code == 200, ok.text
        assert http.get(f"{run._path}/metrics/m").json()["values"] == ["NaN", "Infinity"]
        missing = http.get(f"{run._path}/metrics/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "MetricNotFound"


LOGGER = textwrap.dedent(
    """
    import sys
    from mlyard.sdk.client import Client
    from mlyard.sdk.run_metrics import RunMetricsMixin

    class R(RunMetricsMixin):
        def __init__(self, client, path):
            self._client, self._path = client, path

    endpoint, token, path, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    run = R(Client(endpoint, token, timeout=5), path)
    import time
    for i in range(n):
        run.log("x", float(i))
        if i % 1000 == 999:
            print("logged", i + 1, flush=True)
            time.sleep(0.05)
    run.flush(120)
    print("flushed", flush=True)
    """
)


def restart_on(server: RunningServer) -> RunningServer:
    """The same server (home, port) again after it was killed."""
    command = [sys.executable, "-m", "mlyard", "up", "--port", str(server.port)]
    with server.log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=server.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    again = RunningServer(server.home, server.port, process, server.log_path, server.env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, again.log()
        try:
            if httpx.get(f"{again.endpoint}/health", timeout=1).status_code == 200:
                return again
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the server did not come back:\n{again.log()}")


def test_a_server_killed_while_a_script_logs_loses_nothing_and_stores_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    server = start_server(home)
    again: RunningServer | None = None
    try:
        for key in [k for k in os.environ if k.startswith("MLYARD_")]:
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("MLYARD_HOME", str(home))
        run = new_run(home)
        n = 40_000
        script = subprocess.Popen(
            [sys.executable, "-c", LOGGER, server.endpoint, server.token, run._path, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert script.stdout is not None
        while "logged 5000" not in script.stdout.readline():
            assert script.poll() is None, script.stderr.read() if script.stderr else ""
        server.stop(signal.SIGKILL)
        time.sleep(1.0)  # the script keeps logging into its queue meanwhile
        again = restart_on(server)
        out, err = script.communicate(timeout=180)
        assert script.returncode == 0, err
        assert "flushed" in out
        with again.client() as http:
            body = http.get(f"{run._path}/metrics/x").json()
        assert body["total"] == n
        assert body["steps"] == list(range(n)) and body["values"] == [float(i) for i in range(n)]
    finally:
        (again or server).stop()
        if again is not None:
            server.stop(signal.SIGKILL)
