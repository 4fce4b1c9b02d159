"""MLflow's run and metric API (REST API 2.0) under each workspace, for the ``mlflow`` client.

An MLflow run is an mlyard run (the same id); see ``services/mlflow_runs.py`` for where the
rules of the two differ. Errors are answered in MLflow's shape (``server/errors.py``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from mlyard.api.metrics import wire_float
from mlyard.api.mlflow import (
    CreateRun,
    DatasetInput,
    DatasetInputsOut,
    DeleteTag,
    Empty,
    LogBatch,
    LogInputs,
    LogMetric,
    LogParam,
    MetricHistoryResponse,
    MetricOut,
    MlflowStatus,
    RunDataOut,
    RunInfoOut,
    RunOut,
    RunRef,
    RunResponse,
    SearchRuns,
    SearchRunsResponse,
    SetTag,
    UpdateRun,
    UpdateRunResponse,
    key_values,
)
from mlyard.core import actions as A
from mlyard.core.errors import ValidationError
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.experiments import where
from mlyard.server.routers.mlflow_paths import TRACKING, run_artifact_uri
from mlyard.services import mlflow_runs as svc
from mlyard.services.mlflow_compat import RunView, to_ms


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(tags=["mlflow"], dependencies=[Depends(_workspace_path)])
RUNS = TRACKING + "/runs"
Read = Annotated[AuthContext, authorize(A.RUNS_READ)]
Write = Annotated[AuthContext, authorize(A.RUNS_WRITE)]
Delete = Annotated[AuthContext, authorize(A.RUNS_DELETE)]


def _run_id(run_id: str | None, run_uuid: str | None) -> str:
    found = run_id or run_uuid
    if not found:
        raise ValidationError("Missing value for required parameter 'run_id'.", target="run_id")
    return found


def info_out(v: RunView) -> RunInfoOut:
    r = v.run
    return RunInfoOut(
        run_id=r.id,
        run_uuid=r.id,
        run_name=v.run_name,
        experiment_id=r.experiment_id,
        user_id=v.user_id,
        status=MlflowStatus(v.status),
        start_time=v.start_time,
        end_time=v.end_time,
        artifact_uri=run_artifact_uri(r.experiment_id, r.id),
        lifecycle_stage=v.lifecycle_stage,
    )


def run_out(v: RunView) -> RunOut:
    metrics = [
        MetricOut(key=m.name, value=wire_float(m.value), timestamp=to_ms(m.timestamp), step=m.step) for m in v.metrics
    ]
    return RunOut(
        info=info_out(v),
        data=RunDataOut(metrics=metrics, params=key_values(v.params), tags=key_values(v.tags)),
        inputs=DatasetInputsOut(dataset_inputs=[DatasetInput.model_validate(d) for d in v.dataset_inputs]),
    )


def _points(metrics: list[LogMetric] | LogBatch) -> list[svc.Point]:
    items = metrics.metrics if isinstance(metrics, LogBatch) else metrics
    return [svc.Point(m.key, m.value, m.timestamp, m.step) for m in items]


@router.post(RUNS + "/create", response_model=RunResponse, response_model_exclude_none=True)
def create_run(body: CreateRun, auth: Write, platform: PlatformDep) -> RunResponse:
    tags = {t.key: t.value for t in body.tags}
    made = svc.create_run(
        platform, auth.principal, where(auth), experiment_id=body.experiment_id, run_name=body.run_name, tags=tags
    )
    return RunResponse(run=run_out(made))


@router.get(RUNS + "/get", response_model=RunResponse, response_model_exclude_none=True)
def get_run(auth: Read, platform: PlatformDep, run_id: str | None = None, run_uuid: str | None = None) -> RunResponse:
    return RunResponse(run=run_out(svc.get_run(platform, where(auth), _run_id(run_id, run_uuid))))


@router.post(RUNS + "/update", response_model=UpdateRunResponse, response_model_exclude_none=True)
def update_run(body: UpdateRun, auth: Write, platform: PlatformDep) -> UpdateRunResponse:
    status = body.status.value if body.status else None
    changed = svc.update_run(platform, where(auth), body.run_id, status=status, run_name=body.run_name)
    return UpdateRunResponse(run_info=info_out(changed))


@router.post(RUNS + "/delete", response_model=Empty)
def delete_run(body: RunRef, auth: Delete, platform: PlatformDep) -> Empty:
    svc.delete_run(platform, where(auth), body.run_id)
    return Empty()


@router.post(RUNS + "/restore", response_model=Empty)
def restore_run(body: RunRef, auth: Write, platform: PlatformDep) -> Empty:
    svc.restore_run(platform, where(auth), body.run_id)
    return Empty()


@router.post(RUNS + "/log-metric", response_model=Empty)
def log_metric(body: LogMetric, auth: Write, platform: PlatformDep) -> Empty:
    svc.log_batch(platform, where(auth), body.run_id, points=_points([body]))
    return Empty()


@router.post(RUNS + "/log-parameter", response_model=Empty)
def log_parameter(body: LogParam, auth: Write, platform: PlatformDep) -> Empty:
    svc.log_batch(platform, where(auth), body.run_id, params=[(body.key, body.value)])
    return Empty()


@router.post(RUNS + "/set-tag", response_model=Empty)
def set_tag(body: SetTag, auth: Write, platform: PlatformDep) -> Empty:
    svc.set_tags(platform, where(auth), body.run_id, {body.key: body.value})
    return Empty()


@router.post(RUNS + "/delete-tag", response_model=Empty)
def delete_tag(body: DeleteTag, auth: Write, platform: PlatformDep) -> Empty:
    svc.delete_tag(platform, where(auth), body.run_id, body.key)
    return Empty()


@router.post(RUNS + "/log-batch", response_model=Empty)
def log_batch(body: LogBatch, auth: Write, platform: PlatformDep) -> Empty:
    svc.log_batch(
        platform, where(auth), body.run_id, points=_points(body),
        params=[(p.key, p.value) for p in body.params], tags=[(t.key, t.value) for t in body.tags],
    )  # fmt: skip
    return Empty()


@router.post(RUNS + "/log-inputs", response_model=Empty)
def log_inputs(body: LogInputs, auth: Write, platform: PlatformDep) -> Empty:
    inputs = [d.model_dump(exclude_none=True) for d in body.datasets]
    svc.log_inputs(platform, where(auth), body.run_id, inputs)
    return Empty()


@router.post(RUNS + "/search", response_model=SearchRunsResponse, response_model_exclude_none=True)
def search_runs(body: SearchRuns, auth: Read, platform: PlatformDep) -> SearchRunsResponse:
    found, token = svc.search_runs(
        platform, where(auth), experiment_ids=body.experiment_ids, filter=body.filter,
        view_type=body.run_view_type.value, max_results=body.max_results, order_by=body.order_by,
        page_token=body.page_token,
    )  # fmt: skip
    return SearchRunsResponse(runs=[run_out(v) for v in found], next_page_token=token)


@router.get(TRACKING + "/metrics/get-history", response_model=MetricHistoryResponse, response_model_exclude_none=True)
def get_metric_history(
    metric_key: str,
    auth: Read,
    platform: PlatformDep,
    run_id: str | None = None,
    run_uuid: str | None = None,
    max_results: int | None = None,
    page_token: str | None = None,
) -> MetricHistoryResponse:
    points, token = svc.metric_history(
        platform, where(auth), _run_id(run_id, run_uuid), metric_key, max_results=max_results, page_token=page_token
    )
    return MetricHistoryResponse(
        metrics=[MetricOut(key=m.key, value=wire_float(m.value), timestamp=m.timestamp, step=m.step) for m in points],
        next_page_token=token,
    )
