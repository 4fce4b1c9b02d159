"""Files of a run: raw bytes streamed in (``PUT``) and out (``GET``), and a listing.

Bodies stream both ways through :mod:`mlyard.server.streaming` (shared with datastore files);
nothing holds a whole file in memory.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from mlyard.api.run_files import ARCHIVE_COUNT_HEADER, DIGEST_HEADER, RunFileListOut, RunFileOut
from mlyard.core import actions as A
from mlyard.core.archives import MEDIA_TYPE
from mlyard.core.entities.tracking import Run
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.streaming import file_response, pull_body
from mlyard.services import run_files as svc
from mlyard.services import runs
from mlyard.services.platform import Platform


def _run_path(subscriptionId: str, resourceGroupName: str, workspaceName: str, runId: str) -> None:
    """Declares the run's path parameters once for every route (Authorize reads them)."""


router = APIRouter(prefix="/api/v1", tags=["run files"], dependencies=[Depends(_run_path)])
FILES = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/runs/{runId}/files"
)
Read = Annotated[AuthContext, authorize(A.RUNS_READ)]
Write = Annotated[AuthContext, authorize(A.RUNS_WRITE)]


def _run(platform: Platform, auth: AuthContext, run_id: str) -> Run:
    scope = auth.scope
    assert scope.subscription and scope.resource_group and scope.workspace  # the route's path has them
    return runs.get_run(platform, scope.subscription, scope.resource_group, scope.workspace, run_id)


def file_out(f: svc.RunFile) -> RunFileOut:
    return RunFileOut(name=f.name, size=f.size, modified_utc=f.modified, xxh128=f.xxh128)


@router.put(FILES + "/{name:path}", response_model=RunFileOut)
async def upload_file(
    request: Request,
    runId: str,
    name: str,
    auth: Write,
    platform: PlatformDep,
    overwrite: Annotated[bool, Query(description="Replace a file of the same name.")] = False,
    xxh128: Annotated[
        str | None,
        Header(
            alias=DIGEST_HEADER,
            description="The body's XXH3-128 (32 hex), verified on arrival; 'trailer': the body ends with it.",
        ),
    ] = None,
) -> RunFileOut:
    """Stream the raw request body into the run's file ``name``."""
    body = request.stream()

    def store() -> svc.RunFile:
        run = _run(platform, auth, runId)
        return svc.upload(platform, run, name, pull_body(body), xxh128, overwrite=overwrite)

    return file_out(await anyio.to_thread.run_sync(store))


@router.post(FILES + ".tar", response_model=RunFileListOut)
async def upload_archive(
    request: Request,
    runId: str,
    auth: Write,
    platform: PlatformDep,
    overwrite: Annotated[bool, Query(description="Replace files of the same names.")] = False,
) -> RunFileListOut:
    """Store many files from one tar stream whose first entry is a manifest (names, sizes, xxh128):
    a bad name or (without overwrite) an existing file refuses the whole archive before a byte is
    stored; a failure midway keeps none of its new files."""
    body = request.stream()

    def store() -> list[svc.RunFile]:
        run = _run(platform, auth, runId)
        return svc.upload_archive(platform, run, pull_body(body), overwrite=overwrite)

    return RunFileListOut(value=[file_out(f) for f in await anyio.to_thread.run_sync(store)])


@router.get(FILES + ".tar", response_class=StreamingResponse, responses={200: {"content": {MEDIA_TYPE: {}}}})
def download_archive(
    runId: str,
    auth: Read,
    platform: PlatformDep,
    prefix: Annotated[str, Query(description="Only files in this folder.")] = "",
) -> StreamingResponse:
    """The run's files in the folder ``prefix`` as one tar stream, each entry's xxh128 in its PAX header."""
    count, chunks = svc.archive(platform, _run(platform, auth, runId), prefix)
    return StreamingResponse(chunks, media_type=MEDIA_TYPE, headers={ARCHIVE_COUNT_HEADER: str(count)})


@router.get(FILES, response_model=RunFileListOut)
def list_files(
    runId: str,
    auth: Read,
    platform: PlatformDep,
    prefix: Annotated[str, Query(description="Only files in this folder.")] = "",
) -> RunFileListOut:
    run = _run(platform, auth, runId)
    return RunFileListOut(value=[file_out(f) for f in svc.list_files(platform, run, prefix)])


@router.get(FILES + "/{name:path}", response_class=StreamingResponse, responses={200: {"content": {"*/*": {}}}})
def download_file(runId: str, name: str, auth: Read, platform: PlatformDep) -> StreamingResponse:
    """Stream the run's file ``name``; its xxh128 is in ``X-Content-XXH128`` and the ``ETag``."""
    info, chunks = svc.open_file(platform, _run(platform, auth, runId), name)
    return file_response(info.name, info.size, info.xxh128, chunks)
