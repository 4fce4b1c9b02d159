"""Notebooks as workspace assets against a real server: the SDK's ``Notebook`` and ``mlyard
notebook``, and ``run``, which executes a notebook headlessly as a job (a real kernel, nbclient)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from tests.e2e.test_cli_workspace import as_json, mlyard, ok
from tests.fixtures.server import RunningServer

from mlyard import Notebook, Workspace
from mlyard.core.errors import InvalidFileName, JobFailed, NotebookAlreadyExists, NotebookNotFound

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"nb-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def where(ws: Workspace) -> tuple[str, ...]:
    return ("-w", ws.name, "-g", ws.resource_group, "--subscription", ws.subscription_id)


def notebook(path: Path, *cells: tuple[str, str, list[str]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": kind,
                        "metadata": {"tags": tags},
                        "source": source,
                        "outputs": [],
                        "execution_count": None,
                    }
                    if kind == "code"
                    else {"cell_type": kind, "metadata": {}, "source": source}
                    for kind, source, tags in cells
                ],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    return path


TRAIN = (
    ("markdown", "# Training", []),
    ("code", "lr = 0.5\nepochs = 1", ["parameters"]),
    (
        "code",
        "from mlyard import Run\nrun = Run.get_context()\nrun.log('lr', lr)\nprint('training with', lr, epochs)",
        [],
    ),
    ("code", "lr * 2", []),
)


def test_notebooks_upload_list_download_and_refusals(ws: Workspace, tmp_path: Path) -> None:
    local = notebook(tmp_path / "train.ipynb", *TRAIN)
    stored = Notebook.upload(ws, local, "exp/train.ipynb")
    assert stored["name"] == "exp/train.ipynb" and stored["size"] == local.stat().st_size
    assert [n["name"] for n in Notebook.list(ws)] == ["exp/train.ipynb"]
    assert Notebook.list(ws, folder="other") == []
    with pytest.raises(NotebookAlreadyExists, match="overwrite"):
        Notebook.upload(ws, local, "exp/train.ipynb")
    Notebook.upload(ws, local, "exp/train.ipynb", overwrite=True)
    got = Notebook.download(ws, "exp/train.ipynb", tmp_path / "back")
    assert got.read_bytes() == local.read_bytes()
    with pytest.raises(NotebookNotFound, match="mlyard notebook list"):
        Notebook.download(ws, "missing.ipynb", tmp_path / "back")
    for bad in ("../escape.ipynb", ".ipynb_checkpoints/x.ipynb"):
        with pytest.raises(InvalidFileName):
            Notebook.upload(ws, local, bad)
    Notebook.delete(ws, "exp/train.ipynb")
    assert Notebook.list(ws) == []


def test_a_notebook_runs_as_a_job_with_parameters(ws: Workspace, tmp_path: Path) -> None:
    Notebook.upload(ws, notebook(tmp_path / "train.ipynb", *TRAIN), "train.ipynb")
    run = Notebook.run(ws, "train.ipynb", parameters={"lr": 0.1})
    details = run.wait_for_completion(show_output=False)
    assert details["status"] == "Completed" and run.get_metrics()["lr"] == 0.1
    assert "outputs/train.ipynb" in run.get_file_names() and run.tags["notebook"] == "train.ipynb"
    executed = json.loads(run.download_file("outputs/train.ipynb", tmp_path / "executed.ipynb").read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and executed["cells"].index(injected[0]) == 2  # right after 'parameters'
    last = executed["cells"][-1]["outputs"][0]
    assert "".join(last["data"]["text/plain"]) == "0.2"
    assert "training with 0.1 1" in run.read_log()["content"]


def test_a_failing_notebook_fails_its_run_and_keeps_the_executed_copy(ws: Workspace, tmp_path: Path) -> None:
    failing = notebook(tmp_path / "broken.ipynb", ("code", "print('before')", []), ("code", "{}['label']", []))
    ok("notebook", "upload", str(failing), *where(ws))
    assert [n["name"] for n in as_json("notebook", "list", *where(ws))] == ["broken.ipynb"]
    done = mlyard("notebook", "run", "broken.ipynb", "--param", "x=3", *where(ws))
    assert done.returncode == 1 and "KeyError" in done.stderr + done.stdout
    run_id = done.stderr.split("Run '")[1].split("'")[0]
    from mlyard.sdk.run_listing import get_run

    run = get_run(ws, run_id)
    assert "outputs/broken.ipynb" in run.get_file_names()
    with pytest.raises(JobFailed, match="KeyError"):
        run.wait_for_completion(show_output=False)
