"""MLflow's experiment API (REST API 2.0) under each workspace, for the ``mlflow`` client.

Answers are 200 with MLflow's JSON, errors MLflow's ``{"error_code", "message"}`` (see
``server/errors.py``); experiment ``"0"`` is the workspace's ``Default``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from mlyard.api.mlflow import (
    CreateExperiment,
    CreateExperimentResponse,
    DeleteExperimentTag,
    Empty,
    ExperimentOut,
    ExperimentRef,
    ExperimentResponse,
    SearchExperiments,
    SearchExperimentsResponse,
    SearchLoggedModels,
    SearchLoggedModelsResponse,
    SetExperimentTag,
    UpdateExperiment,
    ViewType,
    key_values,
)
from mlyard.core import actions as A
from mlyard.core.entities.tracking import Experiment
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.experiments import where
from mlyard.server.routers.mlflow_paths import TRACKING, experiment_artifact_location
from mlyard.services import mlflow_experiments as svc
from mlyard.services.mlflow_compat import find_experiment, lifecycle_stage, to_ms
from mlyard.services.mlflow_names import mlflow_name, mlflow_tags


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(tags=["mlflow"], dependencies=[Depends(_workspace_path)])
EXPERIMENTS = TRACKING + "/experiments"
Read = Annotated[AuthContext, authorize(A.EXPERIMENTS_READ)]
Write = Annotated[AuthContext, authorize(A.EXPERIMENTS_WRITE)]
Delete = Annotated[AuthContext, authorize(A.EXPERIMENTS_DELETE)]


def experiment_out(e: Experiment) -> ExperimentOut:
    return ExperimentOut(
        experiment_id=e.id,
        name=mlflow_name(e),
        artifact_location=experiment_artifact_location(e.id),
        lifecycle_stage=lifecycle_stage(e.deleted_at),
        last_update_time=to_ms(e.updated_at),
        creation_time=to_ms(e.created_at),
        tags=key_values(mlflow_tags(e)),
    )


@router.post(EXPERIMENTS + "/create", response_model=CreateExperimentResponse)
def create_experiment(body: CreateExperiment, auth: Write, platform: PlatformDep) -> CreateExperimentResponse:
    tags = {t.key: t.value for t in body.tags}
    made = svc.create_experiment(platform, *where(auth), body.name, tags)
    return CreateExperimentResponse(experiment_id=made.id)


@router.get(EXPERIMENTS + "/get", response_model=ExperimentResponse, response_model_exclude_none=True)
def get_experiment(experiment_id: str, auth: Read, platform: PlatformDep) -> ExperimentResponse:
    return ExperimentResponse(experiment=experiment_out(find_experiment(platform, *where(auth), experiment_id)))


@router.get(EXPERIMENTS + "/get-by-name", response_model=ExperimentResponse, response_model_exclude_none=True)
def get_experiment_by_name(experiment_name: str, auth: Read, platform: PlatformDep) -> ExperimentResponse:
    found = svc.get_experiment_by_name(platform, *where(auth), experiment_name)
    return ExperimentResponse(experiment=experiment_out(found))


def _search(body: SearchExperiments, auth: AuthContext, platform: PlatformDep) -> SearchExperimentsResponse:
    page = svc.search_experiments(
        platform, *where(auth), view_type=body.view_type.value, filter=body.filter, order_by=body.order_by,
        max_results=body.max_results, page_token=body.page_token,
    )  # fmt: skip
    return SearchExperimentsResponse(
        experiments=[experiment_out(e) for e in page.experiments], next_page_token=page.next_page_token
    )


@router.post(EXPERIMENTS + "/search", response_model=SearchExperimentsResponse, response_model_exclude_none=True)
def search_experiments(body: SearchExperiments, auth: Read, platform: PlatformDep) -> SearchExperimentsResponse:
    return _search(body, auth, platform)


@router.get(EXPERIMENTS + "/search", response_model=SearchExperimentsResponse, response_model_exclude_none=True)
def search_experiments_get(
    auth: Read,
    platform: PlatformDep,
    max_results: int | None = None,
    page_token: str | None = None,
    filter: str | None = None,
    order_by: Annotated[list[str] | None, Query()] = None,
    view_type: ViewType = ViewType.ACTIVE_ONLY,
) -> SearchExperimentsResponse:
    body = SearchExperiments(
        max_results=max_results, page_token=page_token, filter=filter, order_by=order_by or [], view_type=view_type
    )
    return _search(body, auth, platform)


@router.post(EXPERIMENTS + "/update", response_model=Empty)
def update_experiment(body: UpdateExperiment, auth: Write, platform: PlatformDep) -> Empty:
    svc.rename_experiment(platform, *where(auth), body.experiment_id, body.new_name)
    return Empty()


@router.post(EXPERIMENTS + "/delete", response_model=Empty)
def delete_experiment(body: ExperimentRef, auth: Delete, platform: PlatformDep) -> Empty:
    svc.delete_experiment(platform, *where(auth), body.experiment_id)
    return Empty()


@router.post(EXPERIMENTS + "/restore", response_model=Empty)
def restore_experiment(body: ExperimentRef, auth: Write, platform: PlatformDep) -> Empty:
    svc.restore_experiment(platform, *where(auth), body.experiment_id)
    return Empty()


@router.post(EXPERIMENTS + "/set-experiment-tag", response_model=Empty)
def set_experiment_tag(body: SetExperimentTag, auth: Write, platform: PlatformDep) -> Empty:
    svc.set_experiment_tag(platform, *where(auth), body.experiment_id, body.key, body.value)
    return Empty()


@router.post(EXPERIMENTS + "/delete-experiment-tag", response_model=Empty)
def delete_experiment_tag(body: DeleteExperimentTag, auth: Write, platform: PlatformDep) -> Empty:
    svc.delete_experiment_tag(platform, *where(auth), body.experiment_id, body.key)
    return Empty()


@router.post(TRACKING + "/logged-models/search", response_model=SearchLoggedModelsResponse)
def search_logged_models(body: SearchLoggedModels, auth: Read, platform: PlatformDep) -> SearchLoggedModelsResponse:
    """MLflow 3's client asks before it lists a run's subfolder whether a logged model is named
    after it. mlyard stores no MLflow logged models, so the answer is none, for experiments that exist."""
    for experiment_id in body.experiment_ids:
        find_experiment(platform, *where(auth), experiment_id)
    return SearchLoggedModelsResponse()
