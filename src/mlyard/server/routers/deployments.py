"""Template deployments into a resource group: deploy, what-if, history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter

from mlyard.api.deployments import DeploymentOut, DeploymentRequest, ResourceChangeOut, WhatIfOut
from mlyard.core import actions as A
from mlyard.core.entities.deployments import Deployment
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import deployments as svc

router = APIRouter(prefix="/api/v1", tags=["deployments"])
RG = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
DEP = RG + "/deployments/{deploymentName}"


def _changes(records: list[dict[str, Any]]) -> list[ResourceChangeOut]:
    return [ResourceChangeOut.model_validate(r) for r in records]


def deployment_out(d: Deployment) -> DeploymentOut:
    return DeploymentOut(
        id=f"{d.scope}/deployments/{d.name}",
        name=d.name,
        status=d.status,
        changes=_changes(d.changes),
        warnings=d.warnings,
        outputs=d.outputs,
        error=d.error,
        created_at=d.created_at,
        updated_at=d.updated_at,
    )


@router.put(DEP, response_model=DeploymentOut)
def create_deployment(
    subscriptionId: str,
    resourceGroupName: str,
    deploymentName: str,
    body: DeploymentRequest,
    auth: Annotated[AuthContext, authorize(A.DEPLOYMENTS_WRITE)],
    platform: PlatformDep,
) -> DeploymentOut:
    deployment = svc.run_deployment(
        platform, auth.principal, subscriptionId, resourceGroupName, deploymentName, body.template, body.parameters
    )
    return deployment_out(deployment)


@router.post(DEP + "/whatIf", response_model=WhatIfOut)
def what_if(
    subscriptionId: str,
    resourceGroupName: str,
    deploymentName: str,
    body: DeploymentRequest,
    auth: Annotated[AuthContext, authorize(A.DEPLOYMENTS_WHAT_IF)],
    platform: PlatformDep,
) -> WhatIfOut:
    preview = svc.preview_deployment(
        platform, auth.principal, subscriptionId, resourceGroupName, deploymentName, body.template, body.parameters
    )
    return WhatIfOut(changes=_changes(preview.changes), warnings=preview.warnings)


@router.get(RG + "/deployments", response_model=list[DeploymentOut])
def list_deployments(
    subscriptionId: str,
    resourceGroupName: str,
    auth: Annotated[AuthContext, authorize(A.DEPLOYMENTS_READ)],
    platform: PlatformDep,
) -> list[DeploymentOut]:
    return [deployment_out(d) for d in svc.list_deployments(platform, subscriptionId, resourceGroupName)]


@router.get(DEP, response_model=DeploymentOut)
def get_deployment(
    subscriptionId: str,
    resourceGroupName: str,
    deploymentName: str,
    auth: Annotated[AuthContext, authorize(A.DEPLOYMENTS_READ)],
    platform: PlatformDep,
) -> DeploymentOut:
    return deployment_out(svc.get_deployment(platform, subscriptionId, resourceGroupName, deploymentName))
