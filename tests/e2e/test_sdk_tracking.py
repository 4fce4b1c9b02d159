"""The tracking SDK as a script uses it: an interactive run logs, reads back, completes."""

from __future__ import annotations

import math
import uuid

import pytest
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Run, Workspace
from mlyard.core.errors import RunNotWritable


def test_log_read_back_children_and_complete(server_env: RunningServer) -> None:
    ws = Workspace.from_config()
    exp = Experiment(ws, f"exp-{uuid.uuid4().hex[:8]}")
    run = exp.start_logging(display_name="first")
    for step in range(1000):
        run.log("loss", 1.0 / (step + 1))
    run.log("accuracy", 0.93)
    run.log("nan-metric", math.nan)
    run.log_list("folds", [0.8, 0.85, 0.9])
    run.log_table("curve", {"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]})
    child = run.child_run("fold-1")
    child.log("loss", 0.5)
    child.complete()
    run.flush()

    metrics = run.get_metrics()
    assert metrics["accuracy"] == pytest.approx(0.93)
    assert (
        len(metrics["loss"]) == 1000
        and metrics["loss"][0] == pytest.approx(1.0)
        and metrics["loss"][-1] == pytest.approx(1e-3)
    )
    assert math.isnan(metrics["nan-metric"])
    assert metrics["curve"] == {"x": [1, 2, 3], "y": [0.1, 0.2, 0.3]}
    recursive = run.get_metrics(recursive=True)
    assert recursive[child.id]["loss"] == pytest.approx(0.5)

    run.complete()
    assert run.get_status() == "Completed"
    assert Run(exp, run.id).get_details()["status"] == "Completed"
    with pytest.raises(RunNotWritable):
        run.log("late", 1.0)
        run.flush()


def test_a_failing_block_fails_the_run_and_keeps_its_points(server_env: RunningServer) -> None:
    exp = Experiment(Workspace.from_config(), f"exp-{uuid.uuid4().hex[:8]}")
    with pytest.raises(ZeroDivisionError), exp.start_logging() as run:
        run.log("before", 1.0)
        _ = 1 / 0
    assert run.get_status() == "Failed"
    assert Run(exp, run.id).get_metrics()["before"] == pytest.approx(1.0)
