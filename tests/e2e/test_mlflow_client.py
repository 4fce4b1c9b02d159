"""The real ``mlflow`` client against a real mlyard server, through ``ws.get_mlflow_tracking_uri()``.

One run history: a run logged with MLflow is read with the mlyard SDK under the same id, and
the other way round. Artifacts are left to the artifact proxy's own tests.
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterator

import httpx
import mlflow
import numpy as np
import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from tests.fixtures.server import RunningServer

from mlyard import Experiment, Run, TokenAuthentication, Workspace
from mlyard.core.entities.identity import PrincipalType
from mlyard.core.scopes import Scope
from mlyard.services import identity, rbac
from mlyard.store.database import Database

SUB = "default"


@pytest.fixture
def ws(server_env: RunningServer) -> Workspace:
    name = f"mlflow-{uuid.uuid4().hex[:8]}"
    return Workspace.create(name, subscription_id=SUB, resource_group=f"{name}-rg", show_output=False)


@pytest.fixture
def tracking(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> Iterator[MlflowClient]:
    """mlflow pointed at the workspace, failing fast, with its global state restored afterwards."""
    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.setenv(name, "")  # recorded, so that what mlflow sets is undone afterwards
        monkeypatch.delenv(name)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    mlflow.set_tracking_uri(ws.get_mlflow_tracking_uri())
    yield MlflowClient()
    while mlflow.active_run() is not None:
        mlflow.end_run()
    mlflow.tracking.fluent._active_experiment_id = None
    mlflow.set_tracking_uri(None)  # type: ignore[arg-type]  # None unsets it


def wire() -> httpx.Client:
    """A plain HTTP client on the tracking API, signed as mlflow signs its requests."""
    return httpx.Client(
        base_url=mlflow.get_tracking_uri() + "/api/2.0/mlflow",
        headers={"Authorization": f"Bearer {os.environ['MLFLOW_TRACKING_TOKEN']}"},
        timeout=20,
        trust_env=False,
    )


def test_the_uri_and_the_token(
    ws: Workspace, tracking: MlflowClient, server_env: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = mlflow.get_tracking_uri()
    assert uri == (
        f"{ws.endpoint}/mlflow/v1.0/subscriptions/{ws.subscription_id}/resourceGroups/{ws.resource_group}"
        f"/workspaces/{ws.name}"
    )
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == server_env.token
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "mly_chosen-by-the-user")
    assert ws.get_mlflow_tracking_uri() == uri
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == "mly_chosen-by-the-user"  # a token already set is kept


def test_fluent_logging_is_read_by_the_mlyard_sdk(ws: Workspace, tracking: MlflowClient) -> None:
    experiment_id = mlflow.set_experiment("mlflow-e2e").experiment_id
    with mlflow.start_run(run_name="first") as active:
        run_id = active.info.run_id
        mlflow.log_param("lr", 0.01)
        mlflow.log_params({"layers": 3, "optimizer": "adam"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=4)
        mlflow.log_metric("odd", math.nan)
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev", "seed": 7})
        dataset = mlflow.data.from_numpy(np.arange(6.0).reshape(3, 2), source="s3://bucket/train.npy", name="train")
        mlflow.log_input(dataset, context="training")
        mlflow.log_input(dataset, context="training")  # the same input again changes nothing
        with mlflow.start_run(run_name="nested", nested=True) as inner:
            mlflow.log_metric("inner", 1.0)
    got = tracking.get_run(run_id)
    assert got.info.run_id == run_id and len(run_id) == 32
    assert got.info.status == "FINISHED" and got.info.lifecycle_stage == "active"
    assert got.info.run_name == "first" and got.info.experiment_id == experiment_id
    assert got.info.end_time is not None and got.info.end_time >= got.info.start_time
    assert got.info.artifact_uri == f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
    assert got.data.params == {"lr": "0.01", "layers": "3", "optimizer": "adam"}
    assert got.data.metrics["loss"] == pytest.approx(0.2) and got.data.metrics["acc"] == 0.9
    assert math.isnan(got.data.metrics["odd"])
    assert got.data.tags["team"] == "vision" and got.data.tags["seed"] == "7"
    assert got.data.tags["mlflow.runName"] == "first" and got.data.tags["mlflow.user"] == "admin"
    (used,) = got.inputs.dataset_inputs
    assert used.dataset.name == "train" and used.dataset.digest == dataset.digest and used.dataset.schema
    assert {t.key: t.value for t in used.tags} == {"mlflow.data.context": "training"}
    history = tracking.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]
    assert math.isnan(tracking.get_metric_history(run_id, "odd")[0].value)
    assert tracking.get_metric_history(run_id, "never-logged") == []

    # the same run, through the mlyard SDK
    run = Run(Experiment(ws, "mlflow-e2e"), run_id)
    assert run.id == run_id and run.status == "Completed" and run.display_name == "first"
    assert run.get_details()["params"] == {"lr": "0.01", "layers": "3", "optimizer": "adam"}
    assert run.get_tags()["team"] == "vision" and "mlflow.user" not in run.get_tags()
    nested = Run(Experiment(ws, "mlflow-e2e"), inner.info.run_id)
    assert nested.parent == run and nested.display_name == "nested"
    assert tracking.get_run(nested.id).data.tags["mlflow.parentRunId"] == run_id
    children = tracking.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
    assert [r.info.run_id for r in children] == [nested.id]
    values = run.get_metrics()
    assert values["loss"] == pytest.approx([1.0, 0.5, 1 / 3, 0.25, 0.2]) and values["acc"] == 0.9


def test_a_run_of_the_mlyard_sdk_is_read_by_mlflow(ws: Workspace, tracking: MlflowClient) -> None:
    exp = Experiment(ws, "made-by-mlyard")
    run = exp.start_logging(display_name="azure-style", tags={"team": "nlp"})
    child = run.child_run("fold-0")
    run.log("loss", 0.5)
    run.log("loss", 0.25)
    run.flush()
    run.complete()
    got = tracking.get_run(run.id)
    assert got.info.run_id == run.id and got.info.run_name == "azure-style" and got.info.status == "FINISHED"
    assert got.info.experiment_id == exp.id
    assert got.data.metrics == {"loss": 0.25} and got.data.tags["team"] == "nlp"
    assert [m.value for m in tracking.get_metric_history(run.id, "loss")] == [0.5, 0.25]
    assert tracking.get_run(child.id).data.tags["mlflow.parentRunId"] == run.id
    assert tracking.get_experiment_by_name("made-by-mlyard").experiment_id == exp.id


def test_client_api_batches_search_and_paging(ws: Workspace, tracking: MlflowClient) -> None:
    experiment_id = tracking.create_experiment("search-e2e", tags={"owner": "me"})
    assert tracking.get_experiment(experiment_id).tags == {"owner": "me"}
    ids = []
    for i in range(5):
        run = tracking.create_run(experiment_id, run_name=f"trial-{i}", tags={"kind": "sweep" if i % 2 else "single"})
        tracking.log_batch(
            run.info.run_id,
            metrics=[Metric("acc", i / 10, 0, step) for step in range(3)],
            params=[Param("i", str(i))],
            tags=[RunTag("parity", str(i % 2))],
        )
        tracking.set_terminated(run.info.run_id, "FINISHED" if i < 4 else "FAILED")
        ids.append(run.info.run_id)
    found = tracking.search_runs(
        [experiment_id], "metrics.acc > 0.05 and tags.kind = 'sweep'", order_by=["metrics.acc DESC"]
    )
    assert [r.info.run_id for r in found] == [ids[3], ids[1]]
    assert tracking.search_runs([experiment_id], "attributes.status = 'FAILED'")[0].info.run_id == ids[4]
    assert len(tracking.search_runs([experiment_id], "attributes.status != 'FAILED'")) == 4
    by_name = tracking.search_runs([experiment_id], "attributes.run_name = 'trial-2'")
    assert [r.info.run_id for r in by_name] == [ids[2]]
    assert [r.info.run_id for r in tracking.search_runs([experiment_id], "tags.mlflow.runName = 'trial-2'")] == [ids[2]]
    assert len(tracking.search_runs([experiment_id], "attributes.start_time > 0")) == 5
    pages, token = [], None
    while True:
        page = tracking.search_runs([experiment_id], order_by=["params.i ASC"], max_results=2, page_token=token)
        pages.append([r.data.params["i"] for r in page])
        token = page.token
        if not token:
            break
    assert pages == [["0", "1"], ["2", "3"], ["4"]]
    # fluent search answers pandas
    assert len(mlflow.search_runs([experiment_id])) == 5

    # delete and restore
    tracking.delete_run(ids[0])
    assert tracking.get_run(ids[0]).info.lifecycle_stage == "deleted"
    assert len(tracking.search_runs([experiment_id])) == 4
    deleted = tracking.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [ids[0]]
    assert len(tracking.search_runs([experiment_id], run_view_type=ViewType.ALL)) == 5
    tracking.restore_run(ids[0])
    assert tracking.get_run(ids[0]).info.lifecycle_stage == "active"

    # experiments
    names = [e.name for e in tracking.search_experiments(filter_string="name LIKE 'search-%'")]
    assert names == ["search-e2e"]
    tracking.set_experiment_tag(experiment_id, "phase", "2")
    assert tracking.get_experiment(experiment_id).tags == {"owner": "me", "phase": "2"}
    tracking.rename_experiment(experiment_id, "search-renamed")
    assert tracking.get_experiment_by_name("search-renamed").experiment_id == experiment_id
    tracking.delete_experiment(experiment_id)
    assert tracking.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert [e.name for e in tracking.search_experiments(view_type=ViewType.DELETED_ONLY)] == ["search-renamed"]
    tracking.restore_experiment(experiment_id)
    assert tracking.get_experiment(experiment_id).lifecycle_stage == "active"


def test_history_pages_tags_and_the_default_experiment(tracking: MlflowClient) -> None:
    with mlflow.start_run() as active:  # no experiment set: the client's experiment "0"
        run_id = active.info.run_id
        for step in range(7):
            mlflow.log_metric("x", step * 2.0, step=step)
        mlflow.set_tag("gone", "soon")
        tracking.delete_tag(run_id, "gone")
        mlflow.set_tag("mlflow.runName", "renamed")
    default = tracking.get_experiment_by_name("Default")
    assert default is not None and tracking.get_run(run_id).info.experiment_id == default.experiment_id
    assert tracking.get_experiment("0").experiment_id == default.experiment_id
    got = tracking.get_run(run_id)
    assert "gone" not in got.data.tags and got.info.run_name == "renamed"
    # MlflowClient pages a history only on Databricks; the REST API pages it anywhere.
    with wire() as http:
        first = http.get("/metrics/get-history", params={"run_id": run_id, "metric_key": "x", "max_results": 3}).json()
        assert [m["step"] for m in first["metrics"]] == [0, 1, 2] and first["next_page_token"]
        query = {"run_uuid": run_id, "metric_key": "x", "max_results": 5, "page_token": first["next_page_token"]}
        rest = http.get("/metrics/get-history", params=query).json()
        assert [m["value"] for m in rest["metrics"]] == [6.0, 8.0, 10.0, 12.0] and "next_page_token" not in rest
        query["page_token"] = "not-a-token"
        refused = http.get("/metrics/get-history", params=query)
        assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        big = {"name": "big", "digest": "d1", "source_type": "local", "source": "{}", "schema": "s" * 5000,
               "profile": "p" * 5000}  # fmt: skip
        logged = http.post("/runs/log-inputs", json={"run_id": run_id, "datasets": [{"dataset": big}]})
        assert logged.status_code == 200, logged.text
        too_big = {**big, "digest": "d2", "source": "x" * 9000}
        refused = http.post("/runs/log-inputs", json={"run_id": run_id, "datasets": [{"dataset": too_big}]})
        assert refused.status_code == 400 and refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        (kept,) = http.get("/runs/get", params={"run_id": run_id}).json()["run"]["inputs"]["dataset_inputs"]
        assert kept["dataset"]["schema"] == "s" * 5000 and "profile" not in kept["dataset"]
        info = http.get("/runs/get", params={"run_id": run_id}).json()["run"]["info"]
        assert info["run_uuid"] == info["run_id"] == run_id and info["status"] == "FINISHED"


def test_a_finished_run_takes_logging_and_resumes_as_on_mlflow(ws: Workspace, tracking: MlflowClient) -> None:
    mlflow.set_experiment("life")
    with pytest.raises(RuntimeError), mlflow.start_run() as active:
        raise RuntimeError("diverged")
    run_id = active.info.run_id
    assert tracking.get_run(run_id).info.status == "FAILED"
    tracking.log_metric(run_id, "late", 1.0)  # MLflow's server takes it; so does mlyard's MLflow API
    tracking.log_param(run_id, "lr", "0.1")
    tracking.set_tag(run_id, "note", "tags still change")
    got = tracking.get_run(run_id)
    assert got.info.status == "FAILED" and got.data.metrics == {"late": 1.0} and got.data.params == {"lr": "0.1"}
    with pytest.raises(MlflowException) as info:
        tracking.log_param(run_id, "lr", "0.2")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"

    with mlflow.start_run(run_id=run_id):  # resumes: RUNNING again, then FINISHED
        assert tracking.get_run(run_id).info.status == "RUNNING"
        mlflow.log_metric("late", 2.0, step=1)
    resumed = tracking.get_run(run_id)
    assert resumed.info.status == "FINISHED" and resumed.data.metrics == {"late": 2.0}
    assert [m.value for m in tracking.get_metric_history(run_id, "late")] == [1.0, 2.0]

    # mlyard's own API keeps Azure ML's rule: logging to a finished run is a clear error.
    native = Run(Experiment(ws, "life"), run_id)
    with httpx.Client(base_url=ws.endpoint, headers=native._client._http.headers, trust_env=False) as http:
        refused = http.post(f"{native._path}/params", json={"params": {"other": "1"}})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "RunNotWritable", refused.text

    tracking.delete_run(run_id)
    with pytest.raises(MlflowException) as info:
        tracking.log_metric(run_id, "after", 1.0)
    assert info.value.error_code == "INVALID_STATE"


def test_experiment_names_with_spaces_and_slashes(ws: Workspace, tracking: MlflowClient) -> None:
    spaced = mlflow.set_experiment("churn model v2")
    assert spaced.name == "churn model v2" and "mlyard.mlflowName" not in spaced.tags
    with mlflow.start_run():
        mlflow.log_metric("auc", 0.9)
    slashed_id = tracking.create_experiment("/Users/ana@example.com/churn", tags={"team": "a"})
    assert tracking.get_experiment_by_name("/Users/ana@example.com/churn").experiment_id == slashed_id
    assert tracking.get_experiment(slashed_id).tags == {"team": "a"}
    clash_id = tracking.create_experiment("churn-model-v2")  # its own name now taken by the first one
    with pytest.raises(MlflowException) as info:
        tracking.create_experiment("CHURN MODEL V2")
    assert info.value.error_code == "RESOURCE_ALREADY_EXISTS"

    found = {e.name for e in tracking.search_experiments(filter_string="name LIKE '%churn%'")}
    assert found == {"churn model v2", "/Users/ana@example.com/churn", "churn-model-v2"}
    # The native API names them by their mlyard names; the MLflow name rides in a tag.
    native = {e.id: e for e in Experiment.list(ws)}
    assert native[spaced.experiment_id].name == "churn-model-v2"
    assert native[spaced.experiment_id].tags["mlyard.mlflowName"] == "churn model v2"
    assert native[slashed_id].name == "Users-ana-example.com-churn"
    assert native[clash_id].name == "churn-model-v2-2"
    (run,) = list(Experiment(ws, "churn-model-v2").get_runs())
    assert run.get_metrics() == {"auc": 0.9}

    tracking.rename_experiment(slashed_id, "churn/renamed")
    assert tracking.get_experiment(slashed_id).name == "churn/renamed"
    assert tracking.get_experiment_by_name("/Users/ana@example.com/churn") is None
    tracking.rename_experiment(slashed_id, "plain-name")
    assert {e.id: e for e in Experiment.list(ws)}[slashed_id].name == "plain-name"


def test_bad_inputs(tracking: MlflowClient) -> None:
    with pytest.raises(MlflowException) as info:
        tracking.get_run(uuid.uuid4().hex)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert tracking.get_experiment_by_name("no-such-experiment") is None
    with pytest.raises(MlflowException) as info:
        tracking.get_experiment("no-such-id")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    experiment_id = tracking.create_experiment("taken")
    with pytest.raises(MlflowException) as info:
        tracking.create_experiment("taken")
    assert info.value.error_code == "RESOURCE_ALREADY_EXISTS"
    run_id = tracking.create_run(experiment_id).info.run_id
    tracking.log_param(run_id, "lr", "0.1")
    tracking.log_param(run_id, "lr", "0.1")  # the same value again is fine
    with pytest.raises(MlflowException) as info:
        tracking.log_param(run_id, "lr", "0.2")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as info:
        tracking.search_runs([experiment_id], "metrics.acc >")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as info:
        tracking.delete_tag(run_id, "never-set")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert tracking.get_run(run_id).data.params == {"lr": "0.1"}
    with wire() as http:
        unknown = http.get("/no-such-endpoint")
        assert unknown.status_code == 404 and unknown.json()["error_code"] == "ENDPOINT_NOT_FOUND"
        missing = http.post("/runs/log-metric", json={"key": "k", "value": 1, "timestamp": 1})
        assert missing.status_code == 400 and missing.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "run_id" in missing.json()["message"]
        not_json = http.post("/runs/create", content=b"{nope", headers={"Content-Type": "application/json"})
        assert not_json.status_code == 400 and not_json.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        huge = http.post("/runs/search", json={"experiment_ids": [experiment_id], "max_results": 0})
        assert huge.status_code == 400 and huge.json()["error_code"] == "INVALID_PARAMETER_VALUE"
        bad_status = http.post("/runs/update", json={"run_id": run_id, "status": "DONE"})
        assert bad_status.status_code == 400 and bad_status.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_without_a_good_token_nothing_is_answered(
    ws: Workspace, tracking: MlflowClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "mly_not-a-token")
    with pytest.raises(MlflowException) as info:
        MlflowClient().search_experiments()
    assert info.value.error_code == "UNAUTHENTICATED"
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "")
    reply = httpx.post(mlflow.get_tracking_uri() + "/api/2.0/mlflow/runs/search", json={}, timeout=20)
    assert reply.status_code == 401 and reply.json()["error_code"] == "UNAUTHENTICATED"


def test_access_follows_the_workspace_roles(
    ws: Workspace, tracking: MlflowClient, server_env: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    experiment_id = tracking.create_experiment("guarded")
    run_id = tracking.create_run(experiment_id).info.run_id
    db = Database(f"sqlite:///{server_env.home / 'mlyard.db'}")
    try:
        outsider = identity.create_user(db, f"out-{uuid.uuid4().hex[:8]}", "a-long-enough-password")
        reader = identity.create_user(db, f"read-{uuid.uuid4().hex[:8]}", "a-long-enough-password")
        rbac.assign_role(
            db, reader.id, PrincipalType.USER, "Reader", Scope(ws.subscription_id, ws.resource_group, ws.name),
            created_by=None,
        )  # fmt: skip
        outsider_token = identity.create_token(db, outsider.id, "mlflow-test", 1)[1]
        reader_token = identity.create_token(db, reader.id, "mlflow-test", 1)[1]
    finally:
        db.dispose()
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", outsider_token)
    with pytest.raises(MlflowException) as info:
        MlflowClient().get_run(run_id)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"  # the workspace is beyond their reach
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", reader_token)
    as_reader = MlflowClient()
    assert as_reader.get_run(run_id).info.run_id == run_id
    with pytest.raises(MlflowException) as info:
        as_reader.log_metric(run_id, "x", 1.0)
    assert info.value.error_code == "PERMISSION_DENIED"
    # the reader's own SDK workspace hands out their token to mlflow as well
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "")
    mine = Workspace(
        ws.subscription_id, ws.resource_group, ws.name, auth=TokenAuthentication(reader_token), endpoint=ws.endpoint
    )
    mine.get_mlflow_tracking_uri()
    assert MlflowClient().get_run(run_id).info.run_id == run_id
