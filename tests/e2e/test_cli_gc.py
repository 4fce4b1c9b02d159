"""``mlyard gc`` on the home of a real server (its own, as the command purges a whole database)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.test_cli_workspace import as_json, mlyard, ok
from tests.fixtures.server import RunningServer, start_server

from mlyard import Experiment, Workspace


@pytest.fixture(scope="module")
def gc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("mlyard-gc-home"))
    yield server
    server.stop()


@pytest.fixture
def ws(gc_server: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Workspace:
    for key in [k for k in os.environ if k.startswith("MLYARD_")]:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MLYARD_HOME", str(gc_server.home))
    monkeypatch.chdir(tmp_path)
    return Workspace.from_config()


def test_gc_reports_then_purges_deleted_runs_and_experiments(
    ws: Workspace, gc_server: RunningServer, tmp_path: Path
) -> None:
    payload = tmp_path / "model.bin"
    payload.write_bytes(b"x" * 1000)
    doomed = Experiment(ws, "keep-exp").start_logging()
    doomed.log("loss", 0.5)
    doomed.upload_file("outputs/model.bin", str(payload))
    doomed.complete()
    kept = Experiment(ws, "keep-exp").start_logging()
    kept.complete()
    Experiment(ws, "gone-exp").start_logging().complete()
    runs = f"/api/v1/subscriptions/{ws.subscription_id}/resourceGroups/{ws.resource_group}/workspaces/{ws.name}/runs"
    with gc_server.client() as client:
        assert client.delete(f"{runs}/{doomed.id}").status_code == 200
    Experiment.delete(ws, "gone-exp")

    # Deleted just now: inside the default 30-day window, so nothing goes.
    within = as_json("gc", "--dry-run")
    assert within["dryRun"] is True and (within["runs"], within["experiments"]) == (0, 0)

    dry = as_json("gc", "--dry-run", "--older-than", "0")
    expected = {"experiments": 1, "runs": 2, "metricPoints": 1, "files": 1, "bytes": 1000}
    assert {k: dry[k] for k in expected} == expected and dry["failures"] == []
    table = ok("gc", "--dry-run", "--older-than", "0")
    assert "Would remove" in table.stdout and "Dry run: nothing was removed" in table.stderr
    with gc_server.client() as client:
        assert client.get(f"{runs}/{doomed.id}").json()["deletedUtc"]

    done = as_json("gc", "--older-than", "0")
    assert done["dryRun"] is False and {k: done[k] for k in expected} == expected
    with gc_server.client() as client:
        assert client.get(f"{runs}/{doomed.id}").status_code == 404
        assert client.get(f"{runs}/{kept.id}").status_code == 200
    assert kept.get_status() == "Completed"
    Experiment(ws, "gone-exp").start_logging().complete()  # its name is free again
    assert "Removed" in ok("gc", "--older-than", "0").stdout


def test_gc_refuses_bad_input_and_a_missing_home(ws: Workspace, tmp_path: Path) -> None:
    negative = mlyard("gc", "--older-than", "-1")
    assert negative.returncode == 2 and "0 or more" in negative.stderr
    missing = mlyard("gc", "--home", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "No mlyard database" in missing.stderr
    assert not (tmp_path / "nowhere").exists()
