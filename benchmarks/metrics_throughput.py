"""Metrics throughput against a local server (a benchmark script, not a test).

    PYTHONPATH=src python benchmarks/metrics_throughput.py [--points 1000000]

Starts ``mlyard up`` with a throw-away home on 127.0.0.1, makes a workspace and runs, then prints
points per second for single ``run.log`` calls until ``flush()`` returns, for batched ingest
(``POST .../metrics/batch`` of 10,000-point series), and the time to read a history back.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from mlyard import Workspace
from mlyard.core.settings import Settings
from mlyard.sdk.client import Client, seg
from mlyard.sdk.run_metrics import RunMetricsMixin, history
from mlyard.services import runs
from mlyard.services.platform import Platform
from mlyard.storage import open_blob_store
from mlyard.store.database import Database


class BenchRun(RunMetricsMixin):
    def __init__(self, client: Client, path: str) -> None:
        self._client = client
        self._path = path


def start(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLYARD_")}
    env.update({"MLYARD_HOME": str(home), "MLYARD_ADMIN_PASSWORD": "benchmark-password"})
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlyard", "up", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{endpoint}/health", timeout=1).status_code == 200:
                return process, endpoint
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.points
    home = Path(tempfile.mkdtemp(prefix="mlyard-bench-"))
    home.mkdir(exist_ok=True)
    process, endpoint = start(home)
    try:
        token = json.loads((home / "credentials").read_text())["endpoints"][endpoint]["token"]
        client = Client(endpoint, token, timeout=60)
        os.environ["MLYARD_HOME"] = str(home)
        ws = Workspace.create("bench", subscription_id="default", resource_group="bench-rg", show_output=False)
        settings = Settings(home=home)
        db = Database(settings.database_url)
        platform = Platform(settings, db, open_blob_store(settings.storage_url))
        ws_path = ws._path

        def new_run() -> str:
            run_id = runs.create_run(platform, None, "default", "bench-rg", "bench", f"bench-{uuid.uuid4().hex[:6]}").id
            return f"{ws_path}/runs/{seg(run_id)}"

        run = BenchRun(client, new_run())
        began = time.perf_counter()
        for i in range(n):
            run.log("loss", i * 0.001)
        logged = time.perf_counter() - began
        run.flush()
        took = time.perf_counter() - began
        print(f"run.log x {n:,}: {n / took:,.0f} points/s until flush() returned ({n / logged:,.0f} points/s queued)")

        path = new_run()
        batch = 10_000
        body_of = [
            {
                "batchId": uuid.uuid4().hex,
                "series": [
                    {
                        "name": "acc",
                        "steps": list(range(s, s + batch)),
                        "values": [i * 0.5 for i in range(batch)],
                        "timestamps": [1_700_000_000_000 + i for i in range(batch)],
                    }
                ],
            }
            for s in range(0, n, batch)
        ]
        began = time.perf_counter()
        for body in body_of:
            client.post(f"{path}/metrics/batch", json=body)
        took = time.perf_counter() - began
        print(f"batched ingest ({batch:,} points a request): {n / took:,.0f} points/s")

        began = time.perf_counter()
        values = history(client, run._path, "loss")
        binary = time.perf_counter() - began
        began = time.perf_counter()
        as_json = client.get(f"{run._path}/metrics/loss")
        took = time.perf_counter() - began
        assert len(values) == n == len(as_json["values"])
        print(f"history of {n:,} points: {binary:.3f} s packed (format=binary), {took:.3f} s as JSON")
        db.dispose()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


if __name__ == "__main__":
    main()
