"""MLflow's words for mlyard's run history: statuses, system tags, filters, wire shapes (no I/O)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError as PydanticError

from mlyard.api.mlflow import LogMetric, SearchRuns, UpdateRun, ViewType
from mlyard.core.entities.metrics import LatestMetric
from mlyard.core.entities.tracking import Experiment, Run, RunStatus, RunType
from mlyard.core.errors import InvalidFilter, ValidationError
from mlyard.sdk.mlflow import MLFLOW_PATH
from mlyard.server.routers.mlflow_paths import MLFLOW_BASE
from mlyard.services.mlflow_compat import (
    FROM_MLFLOW,
    TO_MLFLOW,
    our_status,
    run_view,
    split_system_tags,
    translate_filter,
    translate_order_by,
)
from mlyard.services.mlflow_experiments import parse_experiment_filter
from mlyard.services.run_filter import parse_filter

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def a_run(**changes: object) -> Run:
    fields: dict[str, object] = {
        "id": "a" * 32, "workspace_id": "w", "experiment_id": "e", "experiment_name": "exp", "number": 1,
        "display_name": "first", "status": RunStatus.RUNNING, "run_type": RunType.INTERACTIVE,
        "parent_run_id": None, "created_by": "user-id", "created_at": T0, "started_at": T0, "ended_at": None,
        "tags": {"team": "vision"},
    }  # fmt: skip
    fields.update(changes)
    return Run(**fields)  # type: ignore[arg-type]


def an_experiment(name: str, tags: dict[str, str] | None = None, created: int = 0) -> Experiment:
    when = T0 + timedelta(seconds=created)
    return Experiment("id-" + name, "w", name, False, tags or {}, when, when)


# -- statuses ---------------------------------------------------------------------------------


def test_every_status_has_an_mlflow_name_and_back() -> None:
    assert set(TO_MLFLOW) == set(RunStatus)
    assert set(TO_MLFLOW.values()) == set(FROM_MLFLOW)
    for name, status in FROM_MLFLOW.items():
        assert TO_MLFLOW[status] == name
    assert our_status("finished") is RunStatus.COMPLETED and our_status("KILLED") is RunStatus.CANCELED


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValidationError, match="RUNNING"):
        our_status("DONE")


# -- system tags and views ----------------------------------------------------------------------


def test_system_tags_come_from_the_runs_fields() -> None:
    view = run_view(
        a_run(parent_run_id="b" * 32, ended_at=T0 + timedelta(seconds=2), status=RunStatus.COMPLETED),
        [LatestMetric("loss", math.nan, 3, T0, 4)],
        {"user-id": "alice"},
    )
    assert view.tags == {
        "team": "vision", "mlflow.runName": "first", "mlflow.user": "alice", "mlflow.parentRunId": "b" * 32
    }  # fmt: skip
    assert view.status == "FINISHED" and view.user_id == "alice" and view.lifecycle_stage == "active"
    assert view.start_time == int(T0.timestamp() * 1000) and view.end_time == view.start_time + 2000
    assert math.isnan(view.metrics[0].value)


def test_a_deleted_run_without_name_or_known_user() -> None:
    view = run_view(a_run(display_name=None, deleted_at=T0, started_at=None), [], {})
    assert view.run_name == "" and view.user_id == "user-id" and view.lifecycle_stage == "deleted"
    assert "mlflow.runName" not in view.tags and view.end_time is None
    assert view.start_time == int(T0.timestamp() * 1000)  # created_at when never started


def test_split_system_tags() -> None:
    stored, name, parent = split_system_tags(
        {"mlflow.runName": "x", "mlflow.user": "claimed", "mlflow.parentRunId": "p" * 32, "mlflow.source.name": "s"}
    )
    assert stored == {"mlflow.parentRunId": "p" * 32, "mlflow.source.name": "s"}
    assert (name, parent) == ("x", "p" * 32)
    assert split_system_tags({"mlflow.runName": ""}) == ({}, None, None)


# -- filters and order keys -------------------------------------------------------------------------


def test_a_filter_without_mlflow_words_is_left_alone() -> None:
    text = "metrics.acc > 0.9 and params.lr = '0.01'"
    assert translate_filter(text) == text
    assert translate_filter(None) is None


def test_run_name_tags_and_statuses_are_translated() -> None:
    name, status = parse_filter(translate_filter("tags.mlflow.runName = 'best' and attributes.status = 'RUNNING'"))
    assert (name.entity.value, name.key, name.value) == ("attributes", "run_name", "best")
    assert status.op.value == "IN" and set(status.value) == {
        "Running",
        "Finalizing",
        "CancelRequested",
        "NotResponding",
    }
    translated = translate_filter("tags.`mlflow.runName` LIKE 'a%' and attributes.status != 'SCHEDULED'")
    name, status = parse_filter(translated)
    assert (name.entity.value, name.key, name.op.value, name.value) == ("attributes", "run_name", "LIKE", "a%")
    assert status.op.value == "NOT IN"
    assert set(status.value) == {"NotStarted", "Queued", "Preparing", "Provisioning", "Starting"}


def test_statuses_in_lists_keep_azure_names_and_quotes_survive() -> None:
    (clause,) = parse_filter(translate_filter("attributes.status IN ('FINISHED', 'Failed')"))
    assert clause.value == ("Completed", "Failed")
    tricky = "params.p = 'a\\'b' and attributes.status = 'KILLED' and metrics.m >= 1e-3"
    clauses = parse_filter(translate_filter(tricky))
    assert clauses[0].value == "a'b" and clauses[1].value == ("Canceled",) and clauses[2].value == 0.001


def test_a_bad_filter_names_its_position() -> None:
    with pytest.raises(InvalidFilter, match="position"):
        translate_filter("metrics.acc >")


def test_order_by_translation() -> None:
    assert translate_order_by(["metrics.acc DESC"]) == ["metrics.acc DESC"]
    assert translate_order_by(["tags.mlflow.runName DESC", "params.lr"]) == [
        'attributes."run_name" DESC',
        'params."lr"',
    ]


# -- experiment filters -----------------------------------------------------------------------------


def matching(text: str, experiments: list[Experiment]) -> list[str]:
    matchers = parse_experiment_filter(text)
    return [e.name for e in experiments if all(m(e) for m in matchers)]


def test_experiment_filters() -> None:
    found = [an_experiment("Default"), an_experiment("train-a", {"team": "x"}, 10), an_experiment("Train-b", {}, 20)]
    assert matching("name LIKE 'train-%'", found) == ["train-a"]
    assert matching("attributes.name ILIKE 'train-%'", found) == ["train-a", "Train-b"]
    assert matching("tags.team = 'x'", found) == ["train-a"]
    assert matching(f"creation_time > {int(T0.timestamp() * 1000) + 5000} AND name != 'Train-b'", found) == ["train-a"]
    assert matching("", found) == ["Default", "train-a", "Train-b"]


@pytest.mark.parametrize(
    "text", ["name > 'a'", "creation_time = 'x'", "colour = 'red'", "name = 'a' or name = 'b'", "name ="]
)
def test_bad_experiment_filters(text: str) -> None:
    with pytest.raises(InvalidFilter):
        parse_experiment_filter(text)


# -- the wire ---------------------------------------------------------------------------------------


def test_requests_tolerate_new_fields_and_protobuf_spellings() -> None:
    metric = LogMetric.model_validate(
        {"run_uuid": "r" * 32, "key": "k", "value": "NaN", "timestamp": "17", "model_id": "m", "new_field": 1}
    )
    assert metric.run_id == "r" * 32 and math.isnan(metric.value) and metric.timestamp == 17 and metric.step == 0
    assert UpdateRun.model_validate({"run_id": "x", "status": 3}).status == "FINISHED"
    assert SearchRuns.model_validate({"run_view_type": "deleted_only"}).run_view_type is ViewType.DELETED_ONLY
    assert SearchRuns.model_validate({}).max_results == 1000


def test_a_run_must_be_named() -> None:
    with pytest.raises(PydanticError, match="run_id"):
        LogMetric.model_validate({"key": "k", "value": 1, "timestamp": 1})
    with pytest.raises(PydanticError):
        UpdateRun.model_validate({"run_id": "x", "status": "DONE"})


def test_the_sdk_spells_the_servers_path() -> None:
    assert MLFLOW_PATH.format(
        subscription="{subscriptionId}", group="{resourceGroupName}", workspace="{workspaceName}"
    ) == (MLFLOW_BASE)
