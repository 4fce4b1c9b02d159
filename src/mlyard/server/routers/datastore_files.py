"""Files of a datastore: raw bytes streamed in (``PUT``) and out (``GET``), and a listing.

Uploading needs ``workspaces/datastores/write``, as registering does (Azure ML has no finer
action for a datastore's data); listing and downloading need ``workspaces/datastores/read``.
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from mlyard.api.datastores import DIGEST_HEADER, DatastoreFileListOut, DatastoreFileOut
from mlyard.api.run_files import ARCHIVE_COUNT_HEADER
from mlyard.core import actions as A
from mlyard.core.archives import MEDIA_TYPE
from mlyard.core.entities.datastores import DatastoreFile
from mlyard.core.scopes import Scope
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.streaming import file_response, pull_body
from mlyard.services import datastore_files as svc


def _datastore_path(subscriptionId: str, resourceGroupName: str, workspaceName: str, datastoreName: str) -> None:
    """Declares the datastore's path parameters once for every route (Authorize reads them)."""


router = APIRouter(prefix="/api/v1", tags=["datastore files"], dependencies=[Depends(_datastore_path)])
FILES = (
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}"
    "/datastores/{datastoreName}/files"
)
Read = Annotated[AuthContext, authorize(A.DATASTORES_READ)]
Write = Annotated[AuthContext, authorize(A.DATASTORES_WRITE)]


def _where(scope: Scope) -> tuple[str, str, str]:
    assert scope.subscription and scope.resource_group and scope.workspace  # the route's path has them
    return scope.subscription, scope.resource_group, scope.workspace


def file_out(f: DatastoreFile) -> DatastoreFileOut:
    return DatastoreFileOut(name=f.name, size=f.size, modified_utc=f.modified, xxh128=f.xxh128)


@router.put(FILES + "/{name:path}", response_model=DatastoreFileOut)
async def upload_file(
    request: Request,
    datastoreName: str,
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
) -> DatastoreFileOut:
    """Stream the raw request body into the datastore's file ``name``."""
    body = request.stream()

    def store() -> DatastoreFile:
        return svc.upload(
            platform, *_where(auth.scope), datastoreName, name, pull_body(body), xxh128, overwrite=overwrite
        )

    return file_out(await anyio.to_thread.run_sync(store))


@router.post(FILES + ".tar", response_model=DatastoreFileListOut)
async def upload_archive(
    request: Request,
    datastoreName: str,
    auth: Write,
    platform: PlatformDep,
    overwrite: Annotated[bool, Query(description="Replace files of the same names.")] = False,
) -> DatastoreFileListOut:
    """Store many files from one tar stream whose first entry is a manifest (names, sizes, xxh128),
    as run files do (``POST .../runs/{runId}/files.tar``)."""
    body = request.stream()

    def store() -> list[DatastoreFile]:
        return svc.upload_archive(platform, *_where(auth.scope), datastoreName, pull_body(body), overwrite=overwrite)

    return DatastoreFileListOut(value=[file_out(f) for f in await anyio.to_thread.run_sync(store)])


@router.get(FILES + ".tar", response_class=StreamingResponse, responses={200: {"content": {MEDIA_TYPE: {}}}})
def download_archive(
    datastoreName: str,
    auth: Read,
    platform: PlatformDep,
    prefix: Annotated[str, Query(description="Only files in this folder.")] = "",
    max_size: Annotated[
        int | None, Query(alias="maxSize", ge=0, description="Only files of at most this many bytes.")
    ] = None,
) -> StreamingResponse:
    """The datastore's files in the folder ``prefix`` as one tar stream (xxh128 in PAX headers when known)."""
    count, chunks = svc.archive(platform, *_where(auth.scope), datastoreName, prefix, max_size=max_size)
    return StreamingResponse(chunks, media_type=MEDIA_TYPE, headers={ARCHIVE_COUNT_HEADER: str(count)})


@router.get(FILES, response_model=DatastoreFileListOut)
def list_files(
    datastoreName: str,
    auth: Read,
    platform: PlatformDep,
    prefix: Annotated[str, Query(description="Only files in this folder.")] = "",
) -> DatastoreFileListOut:
    found = svc.list_files(platform, *_where(auth.scope), datastoreName, prefix)
    return DatastoreFileListOut(value=[file_out(f) for f in found])


@router.get(FILES + "/{name:path}", response_class=StreamingResponse, responses={200: {"content": {"*/*": {}}}})
def download_file(datastoreName: str, name: str, auth: Read, platform: PlatformDep) -> StreamingResponse:
    """Stream the datastore's file ``name``; its xxh128, when known, is in ``X-Content-XXH128``."""
    info, chunks = svc.open_file(platform, *_where(auth.scope), datastoreName, name)
    return file_response(info.name, info.size, info.xxh128, chunks)
