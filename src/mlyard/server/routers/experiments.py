"""A workspace's experiments: get-or-create by name, list (with run counts and last activity),
archive and reactivate, tags, soft delete, and the names of the params, tags and metrics of their runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from mlyard.api.tracking import (
    ExperimentCreate,
    ExperimentOut,
    ExperimentPatch,
    ExperimentSummaryOut,
    ExperimentView,
    RunKeysOut,
)
from mlyard.core import actions as A
from mlyard.core.entities.tracking import Experiment
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import experiments as svc


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(prefix="/api/v1", tags=["experiments"], dependencies=[Depends(_workspace_path)])
WS = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}"
EXPERIMENTS = WS + "/experiments"
ONE = EXPERIMENTS + "/{experimentName}"
Read = Annotated[AuthContext, authorize(A.EXPERIMENTS_READ)]
Write = Annotated[AuthContext, authorize(A.EXPERIMENTS_WRITE)]
Delete = Annotated[AuthContext, authorize(A.EXPERIMENTS_DELETE)]
RunsRead = Annotated[AuthContext, authorize(A.RUNS_READ)]
_ARCHIVED = {ExperimentView.ACTIVE: False, ExperimentView.ARCHIVED: True, ExperimentView.ALL: None}


def where(auth: AuthContext) -> tuple[str, str, str]:
    """The workspace of the request's path, as the tracking services take it."""
    s = auth.scope
    assert s.subscription and s.resource_group and s.workspace  # the route's path has all three
    return s.subscription, s.resource_group, s.workspace


def experiment_out(e: Experiment) -> ExperimentOut:
    return ExperimentOut(
        id=e.id, name=e.name, archived=e.archived, tags=e.tags, created_at=e.created_at, updated_at=e.updated_at
    )


@router.get(EXPERIMENTS, response_model=list[ExperimentSummaryOut])
def list_experiments(
    auth: Read, platform: PlatformDep, view: ExperimentView = ExperimentView.ACTIVE
) -> list[ExperimentSummaryOut]:
    """The experiments, each with its run count, runs still going and last activity."""
    found = svc.list_experiments(platform, *where(auth), archived=_ARCHIVED[view])
    activity = svc.experiment_activity(platform, found)
    return [
        ExperimentSummaryOut(
            **experiment_out(e).model_dump(),
            run_count=activity[e.id].run_count,
            active_run_count=activity[e.id].active_run_count,
            last_activity_utc=activity[e.id].last_activity,
        )
        for e in found
    ]


@router.post(EXPERIMENTS, response_model=ExperimentOut)
def create_experiment(body: ExperimentCreate, auth: Write, platform: PlatformDep) -> ExperimentOut:
    """Get the experiment of that name, creating it when missing (as Azure's Experiment(ws, name))."""
    return experiment_out(svc.get_or_create_experiment(platform, *where(auth), body.name, body.tags))


@router.get(ONE, response_model=ExperimentOut)
def get_experiment(experimentName: str, auth: Read, platform: PlatformDep) -> ExperimentOut:
    return experiment_out(svc.get_experiment(platform, *where(auth), experimentName))


@router.patch(ONE, response_model=ExperimentOut)
def update_experiment(experimentName: str, body: ExperimentPatch, auth: Write, platform: PlatformDep) -> ExperimentOut:
    changed = svc.update_experiment(
        platform, *where(auth), experimentName, archived=body.archived, tags=body.tags, remove_tags=body.remove_tags
    )
    return experiment_out(changed)


@router.delete(ONE, response_model=ExperimentOut)
def delete_experiment(experimentName: str, auth: Delete, platform: PlatformDep) -> ExperimentOut:
    return experiment_out(svc.delete_experiment(platform, *where(auth), experimentName))


@router.post(ONE + "/restore", response_model=ExperimentOut)
def restore_experiment(experimentName: str, auth: Write, platform: PlatformDep) -> ExperimentOut:
    return experiment_out(svc.restore_experiment(platform, *where(auth), experimentName))


@router.get(ONE + "/runKeys", response_model=RunKeysOut)
def run_keys(experimentName: str, auth: RunsRead, platform: PlatformDep) -> RunKeysOut:
    """Names of the params, tags and metrics its runs hold, for choosing the columns of a runs table."""
    keys = svc.run_keys(platform, *where(auth), experimentName)
    return RunKeysOut(params=keys.params, tags=keys.tags, metrics=keys.metrics)
