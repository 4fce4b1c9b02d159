"""``mlyard experiment`` and ``mlyard run`` against a real server, run in a subprocess as a user would."""

from __future__ import annotations

import uuid

import pytest
import yaml
from tests.e2e.test_cli_workspace import as_json, mlyard, ok
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Workspace

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"clirun-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def where(ws: Workspace) -> tuple[str, ...]:
    return ("-w", ws.name, "-g", ws.resource_group, "--subscription", ws.subscription_id)


def test_experiment_list_show_archive_reactivate(ws: Workspace) -> None:
    Experiment(ws, "alpha").start_logging().complete()
    Experiment(ws, "beta").set_tags({"team": "nlp"})
    assert [e["name"] for e in as_json("experiment", "list", *where(ws))] == ["alpha", "beta"]
    shown = yaml.safe_load(ok("experiment", "show", "-n", "beta", "-o", "yaml", *where(ws)).stdout)
    assert shown["tags"] == {"team": "nlp"} and shown["archived"] is False
    ok("experiment", "archive", "-n", "beta", *where(ws))
    assert [e["name"] for e in as_json("experiment", "list", *where(ws))] == ["alpha"]
    assert [e["name"] for e in as_json("experiment", "list", "--archived", *where(ws))] == ["beta"]
    ok("experiment", "reactivate", "-n", "beta", *where(ws))
    assert len(as_json("experiment", "list", "--all", *where(ws))) == 2
    missing = mlyard("experiment", "show", "-n", "nothing", *where(ws))
    assert missing.returncode == 1 and "'nothing'" in missing.stderr
    assert [e["name"] for e in as_json("experiment", "list", *where(ws))] == ["alpha", "beta"]


def test_run_list_show_cancel(ws: Workspace) -> None:
    done = Experiment(ws, "one").start_logging(display_name="finished")
    done.complete()
    running = Experiment(ws, "two").start_logging(tags={"k": "v"})
    listed = as_json("run", "list", *where(ws))
    assert [r["runId"] for r in listed] == [running.id, done.id]
    assert [r["runId"] for r in as_json("run", "list", "--experiment", "one", *where(ws))] == [done.id]
    assert [r["runId"] for r in as_json("run", "list", "--status", "Running", *where(ws))] == [running.id]
    assert len(as_json("run", "list", "--top", "1", *where(ws))) == 1
    table = ok("run", "list", *where(ws)).stdout
    assert running.id in table and "Running" in table
    shown = as_json("run", "show", running.id, *where(ws))
    assert shown["tags"] == {"k": "v"} and shown["experimentName"] == "two"
    assert "finished" in ok("run", "show", done.id, *where(ws)).stdout
    ok("run", "cancel", running.id, *where(ws))
    assert running.get_status() == "Canceled"
    again = mlyard("run", "cancel", done.id, *where(ws))
    assert again.returncode == 1 and "Completed" in again.stderr
    missing = mlyard("run", "show", "0" * 32, *where(ws))
    assert missing.returncode == 1 and "was not found" in missing.stderr
