"""A workspace's secrets vault. Listing names and reading values are separate actions, so that a
Reader may see which secrets exist without ever reading one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from mlyard.api.vault import (
    SecretBatchGet,
    SecretBatchOut,
    SecretBatchSet,
    SecretDeletionOut,
    SecretInfoOut,
    SecretSet,
    SecretValueOut,
)
from mlyard.core import actions as A
from mlyard.core.entities.vault import Secret, SecretInfo
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import vault as svc


def _workspace_path(subscriptionId: str, resourceGroupName: str, workspaceName: str) -> None:
    """Declares the workspace's path parameters once for every route (Authorize reads them)."""


router = APIRouter(prefix="/api/v1", tags=["secrets"], dependencies=[Depends(_workspace_path)])
SECRETS = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/workspaces/{workspaceName}/secrets"
List = Annotated[AuthContext, authorize(A.SECRETS_LIST)]
Read = Annotated[AuthContext, authorize(A.SECRETS_READ)]
Write = Annotated[AuthContext, authorize(A.SECRETS_WRITE)]
Delete = Annotated[AuthContext, authorize(A.SECRETS_DELETE)]
Version = Annotated[int, Path(ge=1, description="A version number, from 1.")]


def info_out(s: SecretInfo) -> SecretInfoOut:
    return SecretInfoOut(name=s.name, version=s.version, created_at=s.created_at, created_by=s.created_by)


def value_out(s: Secret) -> SecretValueOut:
    return SecretValueOut(name=s.name, value=s.value, version=s.version, created_at=s.created_at)


def _private(response: Response) -> None:
    # A value must not linger in a proxy's or browser's cache.
    response.headers["Cache-Control"] = "no-store"


@router.get(SECRETS, response_model=list[SecretInfoOut])
def list_secrets(auth: List, platform: PlatformDep) -> list[SecretInfoOut]:
    return [info_out(s) for s in svc.list_secrets(platform, auth.scope)]


@router.post(SECRETS + "/batchGet", response_model=SecretBatchOut)
def get_secrets(body: SecretBatchGet, response: Response, auth: Read, platform: PlatformDep) -> SecretBatchOut:
    _private(response)
    return SecretBatchOut(secrets=[value_out(s) for s in svc.get_secrets(platform, auth.scope, body.names)])


@router.post(SECRETS + "/batchSet", response_model=list[SecretInfoOut])
def set_secrets(body: SecretBatchSet, auth: Write, platform: PlatformDep) -> list[SecretInfoOut]:
    return [info_out(s) for s in svc.set_secrets(platform, auth.principal, auth.scope, body.secrets)]


@router.get(SECRETS + "/{name}", response_model=SecretValueOut)
def get_secret(name: str, response: Response, auth: Read, platform: PlatformDep) -> SecretValueOut:
    _private(response)
    return value_out(svc.get_secret(platform, auth.scope, name))


@router.put(SECRETS + "/{name}", response_model=SecretInfoOut)
def set_secret(name: str, body: SecretSet, auth: Write, platform: PlatformDep) -> SecretInfoOut:
    return info_out(svc.set_secret(platform, auth.principal, auth.scope, name, body.value))


@router.delete(SECRETS + "/{name}", response_model=SecretDeletionOut)
def delete_secret(name: str, auth: Delete, platform: PlatformDep) -> SecretDeletionOut:
    gone = svc.delete_secret(platform, auth.scope, name)
    return SecretDeletionOut(name=gone.name, deleted_versions=gone.versions, deleted_at=gone.deleted_at)


@router.get(SECRETS + "/{name}/versions", response_model=list[SecretInfoOut])
def list_versions(name: str, auth: List, platform: PlatformDep) -> list[SecretInfoOut]:
    return [info_out(s) for s in svc.list_versions(platform, auth.scope, name)]


@router.get(SECRETS + "/{name}/versions/{version}", response_model=SecretValueOut)
def get_secret_version(
    name: str, version: Version, response: Response, auth: Read, platform: PlatformDep
) -> SecretValueOut:
    _private(response)
    return value_out(svc.get_secret(platform, auth.scope, name, version))
