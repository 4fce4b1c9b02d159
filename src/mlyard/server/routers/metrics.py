"""Metrics of a run: batches in, latest values and columnar histories out (see ``mlyard.api.metrics``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from mlyard.api.metrics import (
    BINARY_MEDIA_TYPE,
    JsonMetricIn,
    JsonMetricOut,
    LatestMetricOut,
    MetricBatchIn,
    MetricBatchOut,
    MetricHistoryOut,
    MetricsOut,
    columns_bytes,
    history_json,
    pack_history,
    wire_float,
)
from mlyard.core import actions as A
from mlyard.core.entities.metrics import JsonMetric, MetricSeries
from mlyard.core.entities.tracking import Run
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import metrics as svc
from mlyard.services import runs
from mlyard.services.platform import Platform


async def _run_path(subscriptionId: str, resourceGroupName: str, workspaceName: str, runId: str) -> None:
    """Declares the run's path parameters once for every route (Authorize reads them);
    async: a sync no-op would cost a hop to a worker thread on every request."""


router = APIRouter(prefix="/api/v1", tags=["metrics"], dependencies=[Depends(_run_path)])
METRICS = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/metrics"
)
Read = Annotated[AuthContext, authorize(A.RUNS_READ)]
Write = Annotated[AuthContext, authorize(A.RUNS_WRITE)]


def _run(platform: Platform, auth: AuthContext, run_id: str) -> Run:
    scope = auth.scope
    assert scope.subscription and scope.resource_group and scope.workspace  # the route's path has them
    return runs.get_run_record(platform, scope.subscription, scope.resource_group, scope.workspace, run_id)


def json_out(m: JsonMetric) -> JsonMetricOut:
    return JsonMetricOut(name=m.name, kind=m.kind.value, value=m.value, step=m.step, timestamp=m.timestamp)


@router.post(METRICS + "/batch", response_model=MetricBatchOut)
def log_batch(runId: str, body: MetricBatchIn, auth: Write, platform: PlatformDep) -> MetricBatchOut:
    series = [MetricSeries(s.name, s.steps, s.values, s.timestamps) for s in body.series]
    result = svc.ingest(platform, _run(platform, auth, runId), body.batch_id, series)
    return MetricBatchOut(batch_id=result.batch_id, points=result.points, duplicate=result.duplicate)


@router.post(METRICS + "/json", response_model=JsonMetricOut)
def log_json_metric(runId: str, body: JsonMetricIn, auth: Write, platform: PlatformDep) -> JsonMetricOut:
    run = _run(platform, auth, runId)
    return json_out(svc.log_json(platform, run, body.name, body.kind, body.value, body.step))


@router.get(METRICS, response_model=MetricsOut)
def get_metrics(runId: str, auth: Read, platform: PlatformDep) -> MetricsOut:
    run = _run(platform, auth, runId)
    latest = [
        LatestMetricOut(name=m.name, value=wire_float(m.value), step=m.step, timestamp=m.timestamp, count=m.count)
        for m in svc.latest(platform, run).values()
    ]
    return MetricsOut(metrics=latest, json_metrics=[json_out(m) for m in svc.json_metrics(platform, run)])


@router.get(
    METRICS + "/{name:path}",
    response_model=MetricHistoryOut,
    responses={200: {"content": {BINARY_MEDIA_TYPE: {}}}},
)
def get_metric_history(
    runId: str,
    name: str,
    auth: Read,
    platform: PlatformDep,
    maxPoints: Annotated[int | None, Query(ge=2, description="Downsample to about this many points.")] = None,
    format: Annotated[Literal["json", "binary"], Query(description="binary: packed little-endian columns")] = "json",
) -> Response:
    h = svc.history(platform, _run(platform, auth, runId), name, maxPoints)
    # Written directly rather than through the response model: a million points would take seconds.
    if format == "binary":
        packed = pack_history(
            h.name, columns_bytes(h.steps), columns_bytes(h.timestamps), columns_bytes(h.values), len(h.steps), h.total
        )
        return Response(packed, media_type=BINARY_MEDIA_TYPE)
    return Response(history_json(h.name, h.steps, h.timestamps, h.values, h.total), media_type="application/json")
