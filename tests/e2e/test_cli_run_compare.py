"""Run search and compare against a real server: the SDK seeds runs, the CLI runs as a user runs it."""

from __future__ import annotations

import uuid

import pytest
from tests.e2e.test_cli_workspace import as_json, mlyard, ok
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Run, Workspace
from mlyard.core.errors import InvalidFilter

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"clicmp-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


def where(ws: Workspace) -> tuple[str, ...]:
    return ("-w", ws.name, "-g", ws.resource_group, "--subscription", ws.subscription_id)


def seed(ws: Workspace) -> list[Run]:
    made = []
    for i, (team, accuracy, lr) in enumerate([("vision", 0.95, "0.1"), ("nlp", 0.97, "0.1"), ("vision", 0.91, "0.3")]):
        run = Experiment(ws, "cmp").start_logging(display_name=f"r{i}", tags={"team": team})
        run._client.post(run._path + "/params", {"params": {"lr": lr, "epochs": 10}})
        run.log("accuracy", accuracy)
        run.log("loss", 1 - accuracy)
        run.complete()
        made.append(run)
    Experiment(ws, "other").start_logging(display_name="no-metrics", tags={"team": "vision"}).complete()
    return made


def test_sdk_search_and_get_runs_filter(ws: Workspace) -> None:
    r0, r1, r2 = seed(ws)
    found = list(Run.search(ws, filter="metrics.accuracy > 0.9 and tags.team = 'vision'", order_by="metrics.accuracy"))
    assert [r.id for r in found] == [r2.id, r0.id]
    assert {m["name"]: m["value"] for m in found[0]._details["metrics"]}["accuracy"] == 0.91
    by_accuracy = [r.id for r in Run.search(ws, order_by=["metrics.accuracy DESC"])]
    assert by_accuracy[:3] == [r1.id, r0.id, r2.id] and len(by_accuracy) == 4  # no metric: last
    assert len(list(Run.search(ws, max_results=2))) == 2
    exp = Experiment(ws, "cmp")
    assert [r.id for r in exp.get_runs(filter="params.lr = '0.1'", order_by=["attributes.run_name DESC"])] == [
        r1.id,
        r0.id,
    ]
    with pytest.raises(InvalidFilter, match="no OR"):
        list(Run.search(exp, filter="tags.team = 'a' or tags.team = 'b'"))


def test_run_list_filter_and_compare(ws: Workspace) -> None:
    r0, r1, r2 = seed(ws)
    listed = as_json(
        "run", "list", "--filter", "metrics.accuracy > 0.9 and tags.team = 'vision'",
        "--order-by", "metrics.accuracy DESC", *where(ws),
    )  # fmt: skip
    assert [r["runId"] for r in listed] == [r0.id, r2.id]
    top = as_json("run", "list", "--order-by", "params.lr DESC", "--top", "1", *where(ws))
    assert [r["runId"] for r in top] == [r2.id]
    table = ok("run", "list", "--filter", "params.lr = '0.3'", *where(ws)).stdout
    assert r2.id in table and r0.id not in table
    bad = mlyard("run", "list", "--filter", "metrics.accuracy >> 1", *where(ws))
    assert bad.returncode == 1 and "position 18" in bad.stderr

    compared = as_json("run", "compare", r0.id, r1.id, r2.id, *where(ws))
    assert [r["runId"] for r in compared["runs"]] == [r0.id, r1.id, r2.id]
    rows = {(row["kind"], row["key"]): row for row in compared["rows"]}
    assert list(rows) == [("params", "epochs"), ("params", "lr"), ("metrics", "accuracy"), ("metrics", "loss")]
    assert not rows["params", "epochs"]["differs"] and rows["params", "lr"]["differs"]
    assert rows["metrics", "accuracy"]["values"] == {r0.id: 0.95, r1.id: 0.97, r2.id: 0.91}
    shown = ok("run", "compare", r0.id, r1.id, *where(ws)).stdout
    assert "r0" in shown and r1.id[:8] in shown and "params.lr" in shown and "metrics.accuracy" in shown
    missing = mlyard("run", "compare", r0.id, "f" * 32, *where(ws))
    assert missing.returncode == 1 and "f" * 32 in missing.stderr
