"""``mlyard job`` and ``mlyard compute`` against a real server, run in a subprocess as a user would."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
from tests.e2e.test_cli_workspace import as_json, mlyard, ok
from tests.fixtures.server import RunningServer

from mlyard import Dataset, Workspace
from mlyard.sdk.run_listing import get_run

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"clijob-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def where(ws: Workspace) -> tuple[str, ...]:
    return ("-w", ws.name, "-g", ws.resource_group, "--subscription", ws.subscription_id)


def test_submit_streams_the_output_and_show_list_tell_how_it_went(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("import sys\nprint('args:', sys.argv[1:])\n")
    (tmp_path / "fail.py").write_text("raise SystemExit('no data found')\n")
    done = ok(
        "job", "submit", "--script", "train.py", "--source-dir", str(tmp_path), "--experiment", "cli",
        *where(ws), "--", "--lr", "0.1", "--epochs", "2",
    )  # fmt: skip
    assert "args: ['--lr', '0.1', '--epochs', '2']" in done.stdout and "completed" in done.stderr
    failed = mlyard("job", "submit", "--script", "fail.py", "--source-dir", str(tmp_path), *where(ws))
    assert failed.returncode == 1 and "no data found" in failed.stdout
    assert "exit code 1" in failed.stderr and "Last lines of its output" in failed.stderr
    listed = as_json("job", "list", *where(ws))
    assert [j["status"] for j in listed] == ["Failed", "Completed"]
    assert listed[1]["experimentName"] == "cli" and listed[0]["experimentName"] == "default"
    shown = as_json("job", "show", listed[1]["runId"], *where(ws))
    assert (
        shown["exitCode"] == 0 and shown["statusReason"] == "completed: exit code 0" and shown["script"] == "train.py"
    )
    assert "completed: exit code 0" in ok("job", "show", listed[1]["runId"], *where(ws)).stdout
    streamed = ok("job", "stream", listed[1]["runId"], *where(ws))
    assert "args: ['--lr', '0.1', '--epochs', '2']" in streamed.stdout


def test_create_from_a_v2_yaml_file_with_inputs_and_outputs(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(
        "import sys, pathlib\nprint('lr', sys.argv[1], 'name', sys.argv[2])\n"
        "pathlib.Path(sys.argv[3], 'model.txt').write_text('w')\n"
    )
    (tmp_path / "job.yml").write_text(
        textwrap.dedent(
            """
            $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
            type: command
            command: python train.py ${{inputs.lr}} ${{inputs.name}} ${{outputs.model}}
            code: ./src
            compute: azureml:local
            experiment_name: yaml-jobs
            display_name: from-yaml
            inputs:
              lr: 0.01
              name: {type: string, default: "two words"}
            outputs:
              model: {type: uri_folder}
            limits:
              timeout: 600
            tags: {source: yaml}
            """
        )
    )
    done = ok("job", "create", "-f", str(tmp_path / "job.yml"), *where(ws))
    assert "lr 0.01 name two words" in done.stdout
    job = as_json("job", "list", *where(ws))[0]
    assert job["experimentName"] == "yaml-jobs" and job["status"] == "Completed"
    files = as_json("run", "files", job["runId"], *where(ws))
    assert "outputs/model/model.txt" in [f["name"] for f in files]
    (tmp_path / "bad.yml").write_text("command: python x.py ${{inputs.missing}}\n")
    bad = mlyard("job", "create", "-f", str(tmp_path / "bad.yml"), *where(ws))
    assert bad.returncode == 1 and "inputs.missing" in bad.stderr
    (tmp_path / "data.yml").write_text("command: echo\ninputs:\n  d: {type: uri_folder, path: ./data}\n")
    data = mlyard("job", "create", "-f", str(tmp_path / "data.yml"), *where(ws))
    assert data.returncode == 1 and "data input" in data.stderr
    (tmp_path / "model.yml").write_text("command: echo\ninputs:\n  m: {type: mlflow_model, path: azureml:m:1}\n")
    model = mlyard("job", "create", "-f", str(tmp_path / "model.yml"), *where(ws))
    assert model.returncode == 1 and "uri_folder or mltable" in model.stderr and "as_named_input" in model.stderr


def test_create_with_a_registered_dataset_as_a_data_input(ws: Workspace, tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.txt").write_text("A")
    store = ws.get_default_datastore()
    store.upload(str(tmp_path / "files"), target_path="yaml-in", show_progress=False)
    Dataset.File.from_files((store, "yaml-in/a.txt")).register(ws, "letters")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "read.py").write_text(
        "import os, sys\nfrom mlyard import Run\n"
        "print('files', sorted(os.listdir(sys.argv[1])), open(os.path.join(sys.argv[1], 'a.txt')).read())\n"
        "print('same', Run.get_context().input_datasets['train'] == sys.argv[1])\n"
    )
    (tmp_path / "job.yml").write_text(
        "command: python read.py ${{inputs.train}}\ncode: ./src\n"
        "inputs:\n  train: {type: uri_folder, path: 'azureml:letters:1', mode: ro_mount}\n"
    )
    done = ok("job", "create", "-f", str(tmp_path / "job.yml"), *where(ws))
    assert "files ['a.txt'] A" in done.stdout and "same True" in done.stdout
    job = as_json("job", "list", *where(ws))[0]
    details = get_run(ws, job["runId"]).get_details()
    assert [(d["name"], d["dataset"], d["version"]) for d in details["inputDatasets"]] == [("train", "letters", 1)]
    (tmp_path / "missing.yml").write_text(
        "command: python read.py ${{inputs.train}}\ncode: ./src\ninputs:\n  train: {path: azureml:nothing@latest}\n"
    )
    missing = mlyard("job", "create", "-f", str(tmp_path / "missing.yml"), *where(ws))
    assert missing.returncode == 1 and "nothing" in missing.stderr


def test_no_wait_cancel_and_compute_commands(ws: Workspace, tmp_path: Path) -> None:
    listed = as_json("compute", "list", *where(ws))
    assert [(c["name"], c["computeType"], c["provisioningState"]) for c in listed] == [("local", "local", "Succeeded")]
    made = as_json("compute", "create", "-n", "one-slot", "--max-concurrent-runs", "1", *where(ws))
    assert made["provisioningState"] == "Succeeded" and made["maxConcurrentRuns"] == 1
    assert as_json("compute", "show", "-n", "one-slot", *where(ws))["computeType"] == "local"
    changed = as_json(
        "compute", "update", "-n", "one-slot", "--max-concurrent-runs", "2", "--description", "x", *where(ws)
    )
    assert changed["maxConcurrentRuns"] == 2 and changed["description"] == "x"
    no_nodes = mlyard("compute", "update", "-n", "one-slot", "--min-nodes", "1", *where(ws))
    assert no_nodes.returncode == 2 and "no nodes to change" in no_nodes.stderr
    no_list = mlyard("compute", "list-nodes", "-n", "one-slot", *where(ws))
    assert no_list.returncode == 2 and "no nodes to list" in no_list.stderr
    nowhere = mlyard("compute", "update", "-n", "nowhere", "--max-concurrent-runs", "2", *where(ws))
    assert nowhere.returncode == 1 and "it has: local, one-slot" in nowhere.stderr
    ok("compute", "update", "-n", "one-slot", "--max-concurrent-runs", "1", *where(ws))
    (tmp_path / "wait.py").write_text("import time\ntime.sleep(300)\n")
    queued = as_json(
        "job", "submit", "--script", "wait.py", "--source-dir", str(tmp_path), "--compute", "one-slot",
        "--no-wait", *where(ws),
    )  # fmt: skip
    assert queued["status"] in ("Queued", "Preparing", "Running") and queued["computeTarget"] == "one-slot"
    busy = mlyard("compute", "delete", "-n", "one-slot", "--yes", *where(ws))
    assert busy.returncode == 1 and "queued or running jobs" in busy.stderr
    canceled = ok("job", "cancel", queued["runId"], *where(ws))
    assert "is Canceled" in canceled.stderr
    ok("compute", "delete", "-n", "one-slot", "--yes", *where(ws))
    missing = mlyard("compute", "show", "-n", "one-slot", *where(ws))
    assert missing.returncode == 1 and "it has: local" in missing.stderr
    local = mlyard("compute", "delete", "-n", "local", "--yes", *where(ws))
    assert local.returncode == 1 and "cannot be deleted" in local.stderr
    nothing = mlyard("job", "submit", "--source-dir", str(tmp_path), *where(ws))
    assert nothing.returncode == 2 and "--script" in nothing.stderr
