"""Runs: create in an experiment, list newest first with keyset paging, read, change, children,
write-once properties and parameters, soft delete and restore."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from mlyard.api.metrics import wire_float
from mlyard.api.tracking import (
    ChildrenCreate,
    ParamsLog,
    PropertiesAdd,
    RunCreate,
    RunOut,
    RunPageOut,
    RunPatch,
    RunSearch,
    RunSearchOut,
)
from mlyard.core import actions as A
from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.entities.tracking import Run, RunPage, RunStatus, RunType
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.experiments import EXPERIMENTS, WS, where
from mlyard.services import run_changes, run_search, runs
from mlyard.services.platform import Platform
from mlyard.services.run_creation import NewRun, create_whole_run


async def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them);
    async: a sync no-op would cost a hop to a worker thread on every request."""


router = APIRouter(prefix="/api/v1", tags=["runs"], dependencies=[Depends(_workspace_path)])
RUNS = WS + "/runs"
ONE = RUNS + "/{runId}"
Read = Annotated[AuthContext, authorize(A.RUNS_READ)]
Write = Annotated[AuthContext, authorize(A.RUNS_WRITE)]
Delete = Annotated[AuthContext, authorize(A.RUNS_DELETE)]
Statuses = Annotated[list[RunStatus] | None, Query(alias="status", description="Repeat for several.")]
Tags = Annotated[list[str] | None, Query(alias="tag", description="'key' (any value) or 'key=value'; repeatable.")]
Props = Annotated[list[str] | None, Query(alias="property", description="'key' or 'key=value'; repeatable.")]
Top = Annotated[int, Query(ge=1, le=runs.MAX_PAGE)]


def run_out(r: Run) -> RunOut:
    return RunOut(
        run_id=r.id,
        experiment_id=r.experiment_id,
        experiment_name=r.experiment_name,
        run_number=r.number,
        display_name=r.display_name,
        status=r.status,
        run_type=r.run_type,
        parent_run_id=r.parent_run_id,
        created_by=r.created_by,
        created_utc=r.created_at,
        start_time_utc=r.started_at,
        end_time_utc=r.ended_at,
        tags=r.tags,
        properties=r.properties,
        params=r.params,
        error=r.error,
        deleted_utc=r.deleted_at,
    )


def wire_time(when: datetime | None) -> str | None:
    """A datetime as pydantic writes it ('Z' for UTC)."""
    if when is None:
        return None
    text = when.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def run_wire(r: Run) -> dict[str, Any]:
    """``run_out(r)`` as its JSON object, without building the model (see ``search_runs``)."""
    return {
        "runId": r.id, "experimentId": r.experiment_id, "experimentName": r.experiment_name,
        "runNumber": r.number, "displayName": r.display_name, "status": r.status.value,
        "runType": r.run_type.value, "parentRunId": r.parent_run_id, "createdBy": r.created_by,
        "createdUtc": wire_time(r.created_at), "startTimeUtc": wire_time(r.started_at),
        "endTimeUtc": wire_time(r.ended_at), "tags": r.tags, "properties": r.properties, "params": r.params,
        "error": r.error, "deletedUtc": wire_time(r.deleted_at),
    }  # fmt: skip


def page_out(page: RunPage) -> RunPageOut:
    return RunPageOut(value=[run_out(r) for r in page.runs], next_cursor=page.next_cursor)


def _pairs(values: list[str] | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for text in values or []:
        key, sep, value = text.partition("=")
        out[key] = value if sep else None
    return out


def _list(
    platform: Platform,
    auth: AuthContext,
    experiment: str | None,
    status: list[RunStatus] | None,
    type_: RunType | None,
    tag: list[str] | None,
    prop: list[str] | None,
    include_children: bool,
    include_deleted: bool,
    cursor: str | None,
    top: int,
) -> RunPageOut:
    page = runs.list_runs(
        platform, *where(auth), experiment_name=experiment, statuses=status or (), run_type=type_,
        tags=_pairs(tag), properties=_pairs(prop), include_children=include_children,
        include_deleted=include_deleted, cursor=cursor, top=top,
    )  # fmt: skip
    return page_out(page)


@router.get(EXPERIMENTS + "/{experimentName}/runs", response_model=RunPageOut)
def list_experiment_runs(
    experimentName: str,
    auth: Read,
    platform: PlatformDep,
    status: Statuses = None,
    type: Annotated[RunType | None, Query()] = None,
    tag: Tags = None,
    property: Props = None,
    includeChildren: bool = False,
    includeDeleted: bool = False,
    cursor: str | None = None,
    top: Top = 100,
) -> RunPageOut:
    return _list(
        platform, auth, experimentName, status, type, tag, property, includeChildren, includeDeleted, cursor, top
    )


@router.get(RUNS, response_model=RunPageOut)
def list_workspace_runs(
    auth: Read,
    platform: PlatformDep,
    experimentName: str | None = None,
    status: Statuses = None,
    type: Annotated[RunType | None, Query()] = None,
    tag: Tags = None,
    property: Props = None,
    includeChildren: bool = False,
    includeDeleted: bool = False,
    cursor: str | None = None,
    top: Top = 100,
) -> RunPageOut:
    return _list(
        platform, auth, experimentName, status, type, tag, property, includeChildren, includeDeleted, cursor, top
    )


@router.post(RUNS + "/search", response_model=RunSearchOut)
def search_runs(body: RunSearch, auth: Read, platform: PlatformDep) -> Response:
    """MLflow's run search: filter, order, keyset pages; each run with its latest metrics.

    The answer is written as JSON directly (in ``RunSearchOut``'s shape, which documents it):
    building and validating a thousand models cost more than the search itself."""
    page = run_search.search_runs(
        platform, *where(auth), experiment_names=body.experiment_names, filter=body.filter,
        order_by=body.order_by, max_results=body.max_results, cursor=body.page_token,
        include_deleted=body.include_deleted,
    )  # fmt: skip
    found = [
        {
            **run_wire(f.run),
            "metrics": [
                {
                    "name": m.name,
                    "value": wire_float(m.value),
                    "step": m.step,
                    "timestamp": wire_time(m.timestamp),
                    "count": m.count,
                }
                for m in f.metrics.values()
            ],
        }
        for f in page.runs
    ]
    return json_response({"runs": found, "nextPageToken": page.next_cursor})


def json_response(answer: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(answer, separators=(",", ":"), allow_nan=False), status_code=status, media_type="application/json"
    )


@router.post(EXPERIMENTS + "/{experimentName}/runs", response_model=RunOut, status_code=201)
def create_run(experimentName: str, body: RunCreate, auth: Write, platform: PlatformDep) -> Response:
    """Start an interactive run (Running from now); the experiment is created when missing.
    With ``runId`` (client-made), ``params``, ``batchId`` + ``series`` and a final ``status``, the
    whole run is made in one request; a retry with the same id and body answers the same run."""
    # The answer is written as JSON directly (``RunOut``'s shape): for a sync route FastAPI would
    # validate the model in one more worker-thread hop, on the SDK's busiest route.
    new = NewRun(
        run_id=body.run_id, display_name=body.display_name, tags=body.tags, properties=body.properties,
        params=body.params, parent_run_id=body.parent_run_id, status=body.status, error=body.error,
        batch_id=body.batch_id,
        series=[MetricSeries(s.name, s.steps, s.values, s.timestamps) for s in body.series],
    )  # fmt: skip
    made, _created = create_whole_run(platform, auth.principal, *where(auth), experimentName, new)
    return json_response(run_wire(made), 201)


@router.get(ONE, response_model=RunOut)
def get_run(runId: str, auth: Read, platform: PlatformDep) -> RunOut:
    return run_out(runs.get_run(platform, *where(auth), runId))


@router.patch(ONE, response_model=RunOut)
def update_run(runId: str, body: RunPatch, auth: Write, platform: PlatformDep) -> RunOut:
    changed = run_changes.update_run(
        platform, *where(auth), runId, status=body.status, error=body.error,
        display_name=body.display_name, tags=body.tags, remove_tags=body.remove_tags,
    )  # fmt: skip
    return run_out(changed)


@router.delete(ONE, response_model=RunOut)
def delete_run(runId: str, auth: Delete, platform: PlatformDep) -> RunOut:
    return run_out(run_changes.delete_run(platform, *where(auth), runId))


@router.post(ONE + "/restore", response_model=RunOut)
def restore_run(runId: str, auth: Write, platform: PlatformDep) -> RunOut:
    return run_out(run_changes.restore_run(platform, *where(auth), runId))


@router.post(ONE + "/properties", response_model=RunOut)
def add_properties(runId: str, body: PropertiesAdd, auth: Write, platform: PlatformDep) -> RunOut:
    return run_out(run_changes.add_properties(platform, *where(auth), runId, body.properties))


@router.post(ONE + "/params", response_model=RunOut)
def log_params(runId: str, body: ParamsLog, auth: Write, platform: PlatformDep) -> RunOut:
    return run_out(run_changes.log_params(platform, *where(auth), runId, body.params))


@router.get(ONE + "/children", response_model=list[RunOut])
def get_children(runId: str, auth: Read, platform: PlatformDep) -> list[RunOut]:
    return [run_out(r) for r in runs.get_children(platform, *where(auth), runId)]


@router.post(ONE + "/children", response_model=list[RunOut], status_code=201)
def create_children(runId: str, body: ChildrenCreate, auth: Write, platform: PlatformDep) -> list[RunOut]:
    made = runs.create_children(
        platform, auth.principal, *where(auth), runId, count=body.count,
        display_names=body.display_names, tags=body.tags,
    )  # fmt: skip
    return [run_out(r) for r in made]
