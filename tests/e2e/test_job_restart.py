"""A server killed (SIGKILL) while a job runs: the job keeps running, the restarted server adopts
it and records its end; a queued job stays queued and runs once; SIGTERM then stops cleanly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.fixtures.server import RunningServer, start_server

from mlyard import ComputeTarget, Experiment, ScriptRunConfig, TokenAuthentication, Workspace
from mlyard.sdk.compute import LocalCompute
from mlyard.sdk.run_listing import get_run

WAITS = """
    import os, time
    from mlyard import Run
    run = Run.get_context()
    run.log("before", 1)
    print("waiting for the restart", flush=True)
    while not os.path.exists({go!r}):
        time.sleep(0.02)
    run.log("after", 2)
    print("done after the restart")
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = start_server(tmp_path / "home")
    yield running
    running.stop(signal.SIGKILL)


def workspace(server: RunningServer) -> Workspace:
    return Workspace("default", "default", "default", auth=TokenAuthentication(server.token), endpoint=server.endpoint)


def test_a_job_survives_a_killed_server_and_is_adopted(server: RunningServer, tmp_path: Path) -> None:
    go = tmp_path / "go"
    src = tmp_path / "src"
    src.mkdir()
    (src / "wait.py").write_text(textwrap.dedent(WAITS.format(go=str(go))))
    (src / "quick.py").write_text("print('queued job ran')\n")
    (src / "sleep.py").write_text("import time\nprint('sleeping', flush=True)\ntime.sleep(300)\n")
    ws = workspace(server)
    serial = ComputeTarget.create(ws, "serial", LocalCompute.provisioning_configuration(max_concurrent_runs=1))
    serial.wait_for_completion()
    exp = Experiment(ws, "restart")
    running = exp.submit(ScriptRunConfig(str(src), "wait.py", compute_target="serial"))
    queued = exp.submit(ScriptRunConfig(str(src), "quick.py", compute_target="serial"))
    deadline = time.monotonic() + 60
    while "waiting for the restart" not in running.read_log()["content"]:
        assert time.monotonic() < deadline, running.get_details()["statusReason"]
        time.sleep(0.05)
    pid = running.get_job()["pid"]
    assert queued.get_details()["statusReason"].startswith("queued: position 1 of 1 on target 'serial'")

    server.stop(signal.SIGKILL)
    assert Path(f"/proc/{pid}").exists(), "the job died with the server"
    again = start_server(server.home, port=server.port)
    try:
        ws = workspace(again)
        running, queued = get_run(ws, running.id), get_run(ws, queued.id)
        go.touch()
        details = running.wait_for_completion()
        assert details["status"] == "Completed" and details["job"]["attempt"] == 1
        text = running.read_log()["content"]
        assert "waiting for the restart" in text and "done after the restart" in text
        assert "the server restarted; its process is still running and was adopted" in text
        assert running.get_metrics() == {"before": 1, "after": 2}
        second = queued.wait_for_completion()
        assert second["status"] == "Completed" and second["job"]["attempt"] == 1
        assert queued.read_log()["content"].count("queued job ran") == 1
        # A stop while a job runs is still clean, and leaves the job running for the next start.
        sleeper = Experiment(ws, "restart").submit(ScriptRunConfig(str(src), "sleep.py"))
        while "sleeping" not in sleeper.read_log()["content"]:
            assert time.monotonic() < deadline + 60
            time.sleep(0.05)
        sleeper_pid = sleeper.get_job()["pid"]
        assert again.stop(signal.SIGTERM) == 0
        log = again.log()
        assert "Application shutdown complete" in log and "Traceback" not in log
        assert Path(f"/proc/{sleeper_pid}").exists(), "the server is gone; its job is not"
    finally:
        again.stop(signal.SIGKILL)
        for folder in (server.home / "jobs").glob("*/handle.json"):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(json.loads(folder.read_text())["pid"], signal.SIGKILL)
