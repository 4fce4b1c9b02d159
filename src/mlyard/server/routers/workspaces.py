"""Workspaces, across the hierarchy and inside a resource group."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from mlyard.api.hierarchy import (
    SupportingResourceOut,
    WorkspaceCreate,
    WorkspaceDeletionOut,
    WorkspaceOut,
    WorkspaceUpdate,
)
from mlyard.core import actions as A
from mlyard.core.entities.hierarchy import SupportingKind, SupportingResource, Workspace
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import workspaces as svc
from mlyard.services.workspaces import WorkspaceDeletion

router = APIRouter(prefix="/api/v1", tags=["workspaces"])
RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
WS = RG + "/workspaces/{workspaceName}"


def resource_out(r: SupportingResource) -> SupportingResourceOut:
    return SupportingResourceOut(
        id=r.id,
        kind=r.kind.value,
        name=r.name,
        status=r.status.value,
        location=r.location,
        former_workspace=r.former_workspace,
    )


def workspace_out(w: Workspace, base_url: str) -> WorkspaceOut:
    def res(kind: SupportingKind) -> str | None:
        found = w.resource(kind)
        return f"{w.scope.path}/supportingResources/{found.name}" if found else None

    return WorkspaceOut(
        id=w.scope.path,
        workspace_id=w.id,
        name=w.name,
        subscription_id=w.subscription_id,
        resource_group=w.resource_group,
        location=w.location,
        friendly_name=w.friendly_name,
        description=w.description,
        tags=w.tags,
        creation_time=w.created_at,
        updated_time=w.updated_at,
        created_by=w.created_by,
        storage_account=res(SupportingKind.STORAGE),
        key_vault=res(SupportingKind.VAULT),
        application_insights=res(SupportingKind.MONITORING),
        container_registry=res(SupportingKind.ENVIRONMENT_REGISTRY),
        discovery_url=base_url,
        supporting_resources=[resource_out(r) for r in w.resources],
    )


def deletion_out(d: WorkspaceDeletion) -> WorkspaceDeletionOut:
    return WorkspaceDeletionOut(
        workspace=d.workspace.scope.path,
        removed=[resource_out(r) for r in d.removed],
        kept=[resource_out(r) for r in d.kept],
    )


def _base_url(request: Request, platform: PlatformDep) -> str:
    return platform.settings.public_url or str(request.base_url).rstrip("/")


@router.get("/workspaces", response_model=list[WorkspaceOut])
def list_all_workspaces(
    request: Request,
    auth: Annotated[AuthContext, authorize(A.WORKSPACES_READ, filtered=True)],
    platform: PlatformDep,
    subscriptionId: str | None = None,
    resourceGroup: str | None = None,
) -> list[WorkspaceOut]:
    found = svc.list_workspaces(platform, auth.authorizer, subscriptionId, resourceGroup)
    return [workspace_out(w, _base_url(request, platform)) for w in found]


@router.get(RG + "/workspaces", response_model=list[WorkspaceOut])
def list_workspaces(
    request: Request,
    subscriptionId: str,
    resourceGroupName: str,
    auth: Annotated[AuthContext, authorize(A.WORKSPACES_READ, filtered=True)],
    platform: PlatformDep,
) -> list[WorkspaceOut]:
    found = svc.list_workspaces(platform, auth.authorizer, subscriptionId, resourceGroupName)
    return [workspace_out(w, _base_url(request, platform)) for w in found]


@router.post(RG + "/workspaces", response_model=WorkspaceOut, status_code=201)
def create_workspace(
    request: Request,
    subscriptionId: str,
    resourceGroupName: str,
    body: WorkspaceCreate,
    auth: Annotated[AuthContext, authorize(A.WORKSPACES_WRITE)],
    platform: PlatformDep,
) -> WorkspaceOut:
    ws = svc.create_workspace(
        platform,
        auth.principal,
        subscriptionId,
        resourceGroupName,
        body.name,
        location=body.location,
        friendly_name=body.friendly_name,
        description=body.description,
        tags=body.tags,
    )
    return workspace_out(ws, _base_url(request, platform))


@router.get(WS, response_model=WorkspaceOut)
def get_workspace(
    request: Request,
    subscriptionId: str,
    resourceGroupName: str,
    workspaceName: str,
    auth: Annotated[AuthContext, authorize(A.WORKSPACES_READ)],
    platform: PlatformDep,
) -> WorkspaceOut:
    ws = svc.get_workspace(platform, subscriptionId, resourceGroupName, workspaceName)
    return workspace_out(ws, _base_url(request, platform))


@router.patch(WS, response_model=WorkspaceOut)
def update_workspace(
    request: Request,
    subscriptionId: str,
    resourceGroupName: str,
    workspaceName: str,
    body: WorkspaceUpdate,
    auth: Annotated[AuthContext, authorize(A.WORKSPACES_WRITE)],
    platform: PlatformDep,
) -> WorkspaceOut:
    ws = svc.update_workspace(
        platform,
        subscriptionId,
        resourceGroupName,
        workspaceName,
        friendly_name=body.friendly_name,
        description=body.description,
        tags=body.tags,
    )
    return workspace_out(ws, _base_url(request, platform))


@router.delete(WS, response_model=WorkspaceDeletionOut)
def delete_workspace(
    subscriptionId: str,
    resourceGroupName: str,
    workspaceName: str,
    auth: Annotated[AuthContext, authorize(A.WORKSPACES_DELETE)],
    platform: PlatformDep,
    deleteDependentResources: bool = False,
) -> WorkspaceDeletionOut:
    deleted = svc.delete_workspace(
        platform,
        subscriptionId,
        resourceGroupName,
        workspaceName,
        delete_dependent_resources=deleteDependentResources,
    )
    return deletion_out(deleted)
