"""A workspace's datastores: listed, registered, replaced, unregistered, and the default one.

Registering, replacing and choosing the default need ``workspaces/datastores/write``;
unregistering needs ``workspaces/datastores/delete``; reading needs ``…/read``. The files of a
datastore are in :mod:`mlyard.server.routers.datastore_files`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from mlyard.api.datastores import (
    AzureBlobDatastoreIn,
    CredentialsOut,
    DatastoreOut,
    DatastoreRegister,
    DefaultDatastoreIn,
    LocalDatastoreIn,
    S3DatastoreIn,
)
from mlyard.core import actions as A
from mlyard.core.entities.datastores import AzureBlobContainer, Datastore, DatastoreSpec, LocalFolder, S3Bucket
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import datastores as svc

router = APIRouter(prefix="/api/v1", tags=["datastores"])
WS = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}"
Read = Annotated[AuthContext, authorize(A.DATASTORES_READ)]
Write = Annotated[AuthContext, authorize(A.DATASTORES_WRITE)]
Delete = Annotated[AuthContext, authorize(A.DATASTORES_DELETE)]


def datastore_out(d: Datastore, auth: AuthContext) -> DatastoreOut:
    return DatastoreOut(
        id=f"{auth.scope.path}/datastores/{d.name}",
        name=d.name,
        datastore_type=d.datastore_type.value,
        is_default=d.is_default,
        workspace=auth.scope.path,
        properties=d.properties,
        created_at=d.created_at,
        created_by=d.created_by,
        updated_at=d.updated_at,
        credentials=CredentialsOut(secret_name=d.credentials.secret_name, version=d.credentials.version)
        if d.credentials
        else None,
    )


def spec_of(body: LocalDatastoreIn | S3DatastoreIn | AzureBlobDatastoreIn) -> DatastoreSpec:
    if isinstance(body, LocalDatastoreIn):
        return LocalFolder(body.path)
    if isinstance(body, S3DatastoreIn):
        return S3Bucket(
            body.bucket, body.access_key_id, body.secret_access_key, body.prefix, body.endpoint_url, body.region
        )
    return AzureBlobContainer(
        body.container_name,
        body.account_name,
        body.sas_token,
        body.account_key,
        body.protocol,
        body.endpoint,
        body.subscription_id,
        body.resource_group,
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


@router.put(WS + "/defaultDatastore", response_model=DatastoreOut)
def set_default_datastore(
    subscriptionId: str,
    resourceGroupName: str,
    workspaceName: str,
    body: DefaultDatastoreIn,
    auth: Write,
    platform: PlatformDep,
) -> DatastoreOut:
    """Make the datastore ``name`` the workspace's default."""
    made = svc.set_default_datastore(platform, subscriptionId, resourceGroupName, workspaceName, body.name)
    return datastore_out(made, auth)


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


@router.put(
    WS + "/datastores/{name}",
    response_model=DatastoreOut,
    responses={201: {"model": DatastoreOut, "description": "Registered (200: replaced, with overwrite)."}},
)
def register_datastore(
    subscriptionId: str,
    resourceGroupName: str,
    workspaceName: str,
    name: str,
    body: Annotated[DatastoreRegister, Body()],
    response: Response,
    auth: Write,
    platform: PlatformDep,
    overwrite: Annotated[bool, Query(description="Replace a datastore of the same name.")] = False,
) -> DatastoreOut:
    """Register a local folder, an S3 bucket or an Azure Blob container; credentials go to the vault."""
    made, created = svc.register_datastore(
        platform,
        auth.principal,
        subscriptionId,
        resourceGroupName,
        workspaceName,
        name,
        spec_of(body),
        overwrite=overwrite,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return datastore_out(made, auth)


@router.delete(WS + "/datastores/{name}", status_code=status.HTTP_204_NO_CONTENT)
def unregister_datastore(
    subscriptionId: str,
    resourceGroupName: str,
    workspaceName: str,
    name: str,
    auth: Delete,
    platform: PlatformDep,
) -> None:
    """Forget a datastore and its vault secret; its data stays where it is."""
    svc.unregister_datastore(platform, subscriptionId, resourceGroupName, workspaceName, name)
