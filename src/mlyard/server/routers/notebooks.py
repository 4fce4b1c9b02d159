"""The workspace's notebooks folder: list, upload (raw body, streamed), download, delete.

``workspaces/notebooks/storage/read|write|delete``, as Azure's. The same files are what every
compute instance of the workspace opens in Jupyter (:mod:`mlyard.services.notebooks`).
"""

from __future__ import annotations

from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from mlyard.api.instances import NotebookListOut, NotebookOut
from mlyard.core import actions as A
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.experiments import WS, where
from mlyard.server.streaming import file_response, pull_body
from mlyard.services import notebooks as svc


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(prefix="/api/v1", tags=["notebooks"], dependencies=[Depends(_workspace_path)])
NOTEBOOKS = WS + "/notebooks"
Read = Annotated[AuthContext, authorize(A.NOTEBOOKS_READ)]
Write = Annotated[AuthContext, authorize(A.NOTEBOOKS_WRITE)]
Delete = Annotated[AuthContext, authorize(A.NOTEBOOKS_DELETE)]


def notebook_out(f: svc.NotebookFile) -> NotebookOut:
    return NotebookOut(name=f.name, size=f.size, modified_utc=f.modified)


@router.get(NOTEBOOKS, response_model=NotebookListOut)
def list_notebooks(
    auth: Read, platform: PlatformDep, folder: Annotated[str, Query(description="Only this sub-folder.")] = ""
) -> NotebookListOut:
    return NotebookListOut(value=[notebook_out(f) for f in svc.list_notebooks(platform, *where(auth), folder)])


@router.put(NOTEBOOKS + "/{name:path}", response_model=NotebookOut)
async def upload_notebook(
    request: Request,
    name: str,
    auth: Write,
    platform: PlatformDep,
    overwrite: Annotated[bool, Query(description="Replace a file of the same name.")] = False,
) -> NotebookOut:
    """Stream the raw request body into the notebooks folder as ``name``."""
    body = request.stream()

    def store() -> svc.NotebookFile:
        return svc.upload(platform, *where(auth), name, pull_body(body), overwrite=overwrite)

    return notebook_out(await anyio.to_thread.run_sync(store))


@router.get(NOTEBOOKS + "/{name:path}", response_class=StreamingResponse, responses={200: {"content": {"*/*": {}}}})
def download_notebook(name: str, auth: Read, platform: PlatformDep) -> StreamingResponse:
    info, chunks = svc.open_notebook(platform, *where(auth), name)
    return file_response(info.name, info.size, None, chunks)


@router.delete(NOTEBOOKS + "/{name:path}", status_code=204)
def delete_notebook(name: str, auth: Delete, platform: PlatformDep) -> None:
    svc.delete_notebook(platform, *where(auth), name)
