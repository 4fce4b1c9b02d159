"""A workspace's datastores (the data issue adds registering and uploading)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from mlyard.api.hierarchy import DatastoreOut
from mlyard.core import actions as A
from mlyard.core.entities.hierarchy import Datastore
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import datastores as svc

router = APIRouter(prefix="/api/v1", tags=["datastores"])
WS = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}"
Read = Annotated[AuthContext, authorize(A.DATASTORES_READ)]


def datastore_out(d: Datastore, auth: AuthContext) -> DatastoreOut:
    return DatastoreOut(
        id=f"{auth.scope.path}/datastores/{d.name}",
        name=d.name,
        datastore_type=d.datastore_type,
        is_default=d.is_default,
        workspace=auth.scope.path,
        properties=d.properties,
        created_at=d.created_at,
    )


@router.get(WS + "/datastores", response_model=list[DatastoreOut])
def list_datastores(
    subscriptionId: str, resourceGroupName: str, workspaceName: str, auth: Read, platform: PlatformDep
) -> list[DatastoreOut]:
    found = svc.list_datastores(platform, subscriptionId, resourceGroupName, workspaceName)
    return [datastore_out(d, auth) for d in found]


@router.get(WS + "/defaultDatastore", response_model=DatastoreOut)
def get_default_datastore(
    subscriptionId: str, resourceGroupName: str, workspaceName: str, auth: Read, platform: PlatformDep
) -> DatastoreOut:
    found = svc.get_default_datastore(platform, subscriptionId, resourceGroupName, workspaceName)
    return datastore_out(found, auth)


@router.get(WS + "/datastores/{name}", response_model=DatastoreOut)
def get_datastore(
    subscriptionId: str,
    resourceGroupName: str,
    workspaceName: str,
    name: str,
    auth: Read,
    platform: PlatformDep,
) -> DatastoreOut:
    found = svc.get_datastore(platform, subscriptionId, resourceGroupName, workspaceName, name)
    return datastore_out(found, auth)
