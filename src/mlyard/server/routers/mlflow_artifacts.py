"""MLflow's artifact proxy (``mlflow server --serve-artifacts``) for each workspace, over its run files.

The routes are the ones MLflow's ``MlflowArtifactsRepository`` calls under the tracking URI
(``mlflow_paths.ARTIFACTS``): list (``GET ?path=``), download, upload (a raw ``PUT`` body,
streamed as for run files) and delete. Errors answer in MLflow's shape (``server/errors.py``).
The multipart routes (``/mlflow-artifacts/mpu/...``) are left out: the client uses them only
when ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`` is set, and a plain ``PUT`` already streams.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

from mlyard.core import actions as A
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.mlflow_paths import ARTIFACTS
from mlyard.server.streaming import pull_body
from mlyard.services import mlflow_artifacts as svc


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(tags=["mlflow artifacts"], dependencies=[Depends(_workspace_path)])
Read = Annotated[AuthContext, authorize(A.RUNS_READ)]
Write = Annotated[AuthContext, authorize(A.RUNS_WRITE)]
Delete = Annotated[AuthContext, authorize(A.RUNS_DELETE)]
FolderPath = Annotated[str, Query(description="'{experiment_id}/{run_id}/artifacts[/{folder}]'")]


class FileInfoOut(BaseModel):
    """MLflow's ``FileInfo``: snake_case, and ``file_size`` only for files."""

    model_config = ConfigDict(extra="forbid")
    path: str
    is_dir: bool
    file_size: int | None = None


class ListArtifactsOut(BaseModel):
    files: list[FileInfoOut]


class EmptyOut(BaseModel):
    """The empty answers of MLflow's upload and delete (``{}``)."""


def _scope(auth: AuthContext) -> tuple[str, str, str]:
    scope = auth.scope
    assert scope.subscription and scope.resource_group and scope.workspace  # the route's path has them
    return scope.subscription, scope.resource_group, scope.workspace


@router.get(ARTIFACTS, response_model=ListArtifactsOut, response_model_exclude_none=True)
def list_artifacts(auth: Read, platform: PlatformDep, path: FolderPath = "") -> ListArtifactsOut:
    """One folder level of a run's artifacts, with base names, as MLflow's server lists them."""
    entries = svc.list_artifacts(platform, *_scope(auth), path)
    return ListArtifactsOut(files=[FileInfoOut(path=e.path, is_dir=e.is_dir, file_size=e.file_size) for e in entries])


@router.get(
    ARTIFACTS + "/{path:path}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download_artifact(path: str, auth: Read, platform: PlatformDep) -> StreamingResponse:
    info, chunks = svc.open_artifact(platform, *_scope(auth), path)
    return StreamingResponse(chunks, media_type="application/octet-stream", headers={"Content-Length": str(info.size)})


@router.put(ARTIFACTS + "/{path:path}", response_model=EmptyOut)
async def upload_artifact(request: Request, path: str, auth: Write, platform: PlatformDep) -> EmptyOut:
    """Stream the raw request body into the artifact ``path``, replacing one of that name."""
    body = request.stream()

    def store() -> None:
        svc.upload_artifact(platform, *_scope(auth), path, pull_body(body))

    await anyio.to_thread.run_sync(store)
    return EmptyOut()


@router.delete(ARTIFACTS + "/{path:path}", response_model=EmptyOut)
def delete_artifacts(path: str, auth: Delete, platform: PlatformDep) -> EmptyOut:
    """Delete the artifact or folder ``path``; a path that matches nothing is not an error."""
    svc.delete_artifacts(platform, *_scope(auth), path)
    return EmptyOut()
