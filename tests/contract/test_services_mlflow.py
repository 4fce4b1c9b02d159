"""MLflow's calls over the tracking services (mlflow_experiments, mlflow_runs), on SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from mlyard.core.entities.identity import Principal
from mlyard.core.errors import (
    ExperimentAlreadyExists,
    ExperimentNotFound,
    InvalidFilter,
    RunNotFound,
    RunNotWritable,
    RunTagNotFound,
    ValidationError,
)
from mlyard.services import mlflow_experiments as exps
from mlyard.services import mlflow_runs as mruns
from mlyard.services import subscriptions, workspaces
from mlyard.services.mlflow_compat import find_experiment
from mlyard.services.platform import Platform

WS = ("sub1", "rg1", "ws1")


@pytest.fixture
def p(platform: Platform, admin: Principal) -> Platform:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    return platform


def test_experiments_by_id_name_and_the_default(p: Platform) -> None:
    made = exps.create_experiment(p, *WS, "train", {"team": "x"})
    with pytest.raises(ExperimentAlreadyExists):
        exps.create_experiment(p, *WS, "TRAIN", {})
    default = exps.get_experiment_by_name(p, *WS, "Default")  # made on first use
    assert find_experiment(p, *WS, "0").id == default.id
    exps.rename_experiment(p, *WS, made.id, "train-2")
    assert exps.get_experiment_by_name(p, *WS, "train-2").id == made.id
    with pytest.raises(ExperimentAlreadyExists):
        exps.rename_experiment(p, *WS, made.id, "default")
    exps.delete_experiment(p, *WS, made.id)
    assert find_experiment(p, *WS, made.id).deleted_at is not None
    with pytest.raises(ExperimentAlreadyExists, match="deleted"):
        exps.create_experiment(p, *WS, "train-2", {})
    for bad in ("no-such-id", "x" * 300, "nul\x00id"):
        with pytest.raises(ExperimentNotFound):
            find_experiment(p, *WS, bad)


def test_experiment_search_views_order_and_pages(p: Platform) -> None:
    for name in ("a-1", "a-2", "a-3", "b-1"):
        exps.create_experiment(p, *WS, name, {"letter": name[0]})
    exps.delete_experiment(p, *WS, exps.get_experiment_by_name(p, *WS, "a-3").id)
    page = exps.search_experiments(p, *WS, filter="tags.letter = 'a'", order_by=["name DESC"], max_results=1)
    assert [e.name for e in page.experiments] == ["a-2"] and page.next_page_token
    rest = exps.search_experiments(
        p, *WS, filter="tags.letter = 'a'", order_by=["name DESC"], max_results=5, page_token=page.next_page_token
    )
    assert [e.name for e in rest.experiments] == ["a-1"] and rest.next_page_token is None
    deleted = exps.search_experiments(p, *WS, view_type="DELETED_ONLY")
    assert [e.name for e in deleted.experiments] == ["a-3"]
    with pytest.raises(ValidationError, match="another search"):
        exps.search_experiments(p, *WS, filter="name = 'b-1'", page_token=page.next_page_token)
    with pytest.raises(InvalidFilter):
        exps.search_experiments(p, *WS, order_by=["colour"])


def test_runs_logging_search_and_history(p: Platform, admin: Principal) -> None:
    made = mruns.create_run(
        p, admin, WS, experiment_id="0", run_name=None,
        tags={"mlflow.runName": "first", "mlflow.user": "someone-else", "team": "vision"},
    )  # fmt: skip
    run_id = made.run.id
    assert made.run_name == "first" and made.user_id == "root-admin" and made.status == "RUNNING"
    points = [mruns.Point("loss", 1.0 / (s + 1), 1000 + s, s) for s in range(4)] + [mruns.Point("odd", math.nan, 1, 0)]
    mruns.log_batch(p, WS, run_id, points=points, params=[("lr", "0.1")], tags=[("mlflow.runName", "renamed")])
    with pytest.raises(ValidationError, match="twice"):
        mruns.log_batch(p, WS, run_id, params=[("a", "1"), ("a", "2")])
    with pytest.raises(ValidationError, match="write-once"):
        mruns.log_batch(p, WS, run_id, params=[("lr", "0.2")])
    got = mruns.get_run(p, WS, run_id)
    assert got.run_name == "renamed" and got.params == {"lr": "0.1"} and got.tags["mlflow.user"] == "root-admin"
    assert {m.name for m in got.metrics} == {"loss", "odd"}
    history, token = mruns.metric_history(p, WS, run_id, "loss", max_results=3, page_token=None)
    assert [pt.step for pt in history] == [0, 1, 2] and token
    history, token = mruns.metric_history(p, WS, run_id, "loss", max_results=3, page_token=token)
    assert [pt.timestamp for pt in history] == [1003] and token is None
    assert math.isnan(mruns.metric_history(p, WS, run_id, "odd", max_results=None, page_token=None)[0][0].value)

    text = "tags.mlflow.runName LIKE 'ren%' and attributes.status = 'RUNNING'"
    found, _ = mruns.search_runs(
        p, WS, experiment_ids=["0", "unknown"], filter=text, view_type="ACTIVE_ONLY", max_results=50_000,
        order_by=["tags.mlflow.runName"], page_token=None,
    )  # fmt: skip
    assert [v.run.id for v in found] == [run_id]

    assert mruns.update_run(p, WS, run_id, status="FINISHED", run_name=None).status == "FINISHED"
    # As on MLflow's server: a finished run takes logging, and may be resumed.
    mruns.log_batch(p, WS, run_id, points=[mruns.Point("late", 1.0, 2000, 0)], params=[("late", "yes")])
    late = mruns.get_run(p, WS, run_id)
    assert late.status == "FINISHED" and late.params["late"] == "yes" and "late" in {m.name for m in late.metrics}
    assert mruns.update_run(p, WS, run_id, status="RUNNING", run_name=None).status == "RUNNING"
    assert mruns.update_run(p, WS, run_id, status="FINISHED", run_name=None).status == "FINISHED"
    mruns.delete_run(p, WS, run_id)
    with pytest.raises(RunNotWritable, match="deleted"):
        mruns.log_batch(p, WS, run_id, points=[mruns.Point("later", 1.0, 3000, 0)])
    with pytest.raises(RunNotWritable, match="deleted"):
        mruns.update_run(p, WS, run_id, status="RUNNING", run_name=None)
    mruns.restore_run(p, WS, run_id)
    mruns.set_tags(p, WS, run_id, {"late": "ok"})
    with pytest.raises(RunTagNotFound):
        mruns.delete_tag(p, WS, run_id, "never")
    with pytest.raises(RunNotFound):
        mruns.get_run(p, WS, "0" * 32)
    for bad in ("nul\x00" + "0" * 26, "X" * 32, "0" * 33):  # refused before any query
        with pytest.raises(ValidationError, match="not a run id"):
            mruns.get_run(p, WS, bad)
    with pytest.raises(ValidationError, match="control character"):
        mruns.metric_history(p, WS, run_id, "lo\x00ss", max_results=None, page_token=None)


def test_deleted_only_pages_through_live_runs(p: Platform, admin: Principal) -> None:
    experiment = exps.create_experiment(p, *WS, "mixed", {})
    ids = [
        mruns.create_run(p, admin, WS, experiment_id=experiment.id, run_name=f"r{i}", tags={}).run.id for i in range(7)
    ]
    for run_id in ids[1::3]:
        mruns.delete_run(p, WS, run_id)
    seen, token = [], None
    while True:
        page, token = mruns.search_runs(
            p, WS, experiment_ids=[experiment.id], filter=None, view_type="DELETED_ONLY", max_results=1,
            order_by=["attributes.run_name"], page_token=token,
        )  # fmt: skip
        seen += [v.run.id for v in page]
        if token is None:
            break
    assert seen == ids[1::3]
    every, _ = mruns.search_runs(
        p, WS, experiment_ids=[experiment.id], filter=None, view_type="ALL", max_results=100, order_by=[],
        page_token=None,
    )  # fmt: skip
    assert len(every) == 7 and {v.lifecycle_stage for v in every} == {"active", "deleted"}
