"""``mlyard run upload|files|download`` against a real server, run in a subprocess as a user would."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from tests.e2e.test_cli_workspace import as_json, mlyard, ok
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Workspace


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"clifiles-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id="default", resource_group=f"{name}-rg", show_output=False)


def where(ws: Workspace) -> tuple[str, ...]:
    return ("-w", ws.name, "-g", ws.resource_group, "--subscription", ws.subscription_id)


def test_upload_list_and_download(ws: Workspace, tmp_path: Path) -> None:
    run = Experiment(ws, "files").start_logging()
    (tmp_path / "model.txt").write_text("weights")
    folder = tmp_path / "plots"
    for i in range(12):
        (folder / f"p{i % 3}").mkdir(parents=True, exist_ok=True)
        (folder / f"p{i % 3}" / f"{i}.txt").write_text(str(i))
    ok("run", "upload", run.id, "--name", "outputs/model.txt", "--file", str(tmp_path / "model.txt"), *where(ws))
    done = ok("run", "upload", run.id, "--name", "outputs/plots", "--file", str(folder), *where(ws))
    assert "12 files" in done.stderr
    listed = as_json("run", "files", run.id, *where(ws))
    assert len(listed) == 13 and listed[0]["name"] == "outputs/model.txt" and listed[0]["size"] == 7

    out = tmp_path / "out"
    ok("run", "download", run.id, "--prefix", "outputs/plots", "--output-dir", str(out), *where(ws))
    assert sorted(p.name for p in out.rglob("*.txt")) == sorted(f"{i}.txt" for i in range(12))
    assert (out / "outputs" / "plots" / "p1" / "4.txt").read_text() == "4"

    bad = mlyard("run", "upload", run.id, "--name", "../x", "--file", str(tmp_path / "model.txt"), *where(ws))
    assert bad.returncode == 1 and "'..'" in bad.stderr
