"""Experiment listings with run counts and last activity, and the run keys of an experiment,
through their services, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.entities.tracking import RunStatus
from mlyard.core.errors import ExperimentNotFound
from mlyard.services import experiments, metrics, run_changes, runs
from mlyard.services.platform import Platform

WS = ("sub1", "rg1", "ws1")


def test_activity_counts_live_runs_and_their_latest_time(platform: Platform, ws: tuple[str, str, str]) -> None:
    first = runs.create_run(platform, None, *ws, "busy")
    second = runs.create_run(platform, None, *ws, "busy")
    runs.create_children(platform, None, *ws, second.id, count=2)
    gone = runs.create_run(platform, None, *ws, "busy")
    run_changes.update_run(platform, *ws, first.id, status=RunStatus.COMPLETED)
    run_changes.delete_run(platform, *ws, gone.id)
    experiments.get_or_create_experiment(platform, *ws, "empty")
    listed = experiments.list_experiments(platform, *ws)
    activity = experiments.experiment_activity(platform, listed)
    by_name = {e.name: activity[e.id] for e in listed}
    busy = by_name["busy"]
    # first, second and its two children; the deleted run is left out
    assert (busy.run_count, busy.active_run_count) == (4, 3)
    completed = runs.get_run(platform, *ws, first.id)
    assert completed.ended_at is not None and busy.last_activity is not None
    assert busy.last_activity.tzinfo is not None
    assert busy.last_activity >= completed.ended_at
    assert by_name["empty"].run_count == 0 and by_name["empty"].last_activity is None
    assert experiments.experiment_activity(platform, []) == {}


def test_activity_is_one_query_whatever_the_number_of_experiments(platform: Platform, ws: tuple[str, str, str]) -> None:
    for i in range(12):
        runs.create_run(platform, None, *ws, f"exp-{i}")
    listed = experiments.list_experiments(platform, *ws)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(platform.db.engine, "before_cursor_execute", count)
    try:
        activity = experiments.experiment_activity(platform, listed)
    finally:
        event.remove(platform.db.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements
    assert sorted(a.run_count for a in activity.values()) == [1] * 12


def test_run_keys_name_params_tags_and_metrics_of_live_runs(platform: Platform, ws: tuple[str, str, str]) -> None:
    a = runs.create_run(platform, None, *ws, "keys", tags={"team": "vision"})
    b = runs.create_run(platform, None, *ws, "keys", tags={"owner": "x", "team": "nlp"})
    gone = runs.create_run(platform, None, *ws, "keys", tags={"secret-tag": "1"})
    other = runs.create_run(platform, None, *ws, "other", tags={"elsewhere": "1"})
    run_changes.log_params(platform, *ws, a.id, {"lr": 0.1, "epochs": 3})
    run_changes.log_params(platform, *ws, b.id, {"lr": 0.2, "batch": 32})
    metrics.ingest(platform, a, "b1", [MetricSeries("accuracy", [0], [0.9], [1])])
    metrics.ingest(platform, b, "b2", [MetricSeries("loss", [0, 1], [1.0, 0.5], [1, 2])])
    metrics.ingest(platform, other, "b3", [MetricSeries("elsewhere", [0], [1.0], [1])])
    run_changes.delete_run(platform, *ws, gone.id)
    keys = experiments.run_keys(platform, *ws, "Keys")
    assert keys.params == ["batch", "epochs", "lr"]
    assert keys.tags == ["owner", "team"]
    assert keys.metrics == ["accuracy", "loss"]
    empty = experiments.get_or_create_experiment(platform, *ws, "bare")
    assert experiments.run_keys(platform, *ws, empty.name) == experiments.RunKeys([], [], [])
    with pytest.raises(ExperimentNotFound):
        experiments.run_keys(platform, *ws, "nope")
