"""The sizes a workspace's compute instances may take, read-only (Azure's ``vmSizes`` list).

The catalogue is the server's ``instance_sizes`` setting; the studio's create form and any
client that offers a choice read it here instead of guessing names. Reading it needs
``workspaces/computes/read`` at the workspace, which must exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from mlyard.api.compute_sizes import VmSizeListOut, VmSizeOut
from mlyard.core import actions as A
from mlyard.core.settings import Settings
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.experiments import WS, where
from mlyard.services import workspaces


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(prefix="/api/v1", tags=["computes"], dependencies=[Depends(_workspace_path)])
Read = Annotated[AuthContext, authorize(A.COMPUTES_READ)]


@router.get(WS + "/vmSizes", response_model=VmSizeListOut)
def list_vm_sizes(request: Request, auth: Read, platform: PlatformDep) -> VmSizeListOut:
    """The instance sizes this server offers, in the order configured (the first is the default)."""
    workspaces.get_workspace(platform, *where(auth))  # an unknown workspace is a 404, as elsewhere
    # The app's settings: the ones its compute backends check a create's ``vmSize`` against.
    settings: Settings = request.app.state.settings
    return VmSizeListOut(
        value=[
            VmSizeOut(name=s.name, cores=s.cores, memory_gb=s.memory_gb, price_per_hour=s.price_per_hour)
            for s in settings.instance_sizes
        ]
    )
