"""Subscriptions and resource groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from mlyard.api.hierarchy import (
    ResourceGroupCreate,
    ResourceGroupDeletionOut,
    ResourceGroupOut,
    ResourceGroupUpdate,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionUpdate,
)
from mlyard.core import actions as A
from mlyard.core.entities.hierarchy import ResourceGroup, Subscription
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.server.routers.workspaces import deletion_out
from mlyard.services import subscriptions as svc
from mlyard.services import workspaces as ws_svc

router = APIRouter(prefix="/api/v1/subscriptions", tags=["subscriptions"])
SUB = "/{subscriptionId}"
RG = SUB + "/resourceGroups/{resourceGroupName}"


def subscription_out(s: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.scope.path,
        subscription_id=s.subscription_id,
        display_name=s.display_name,
        tags=s.tags,
        created_at=s.created_at,
    )


def group_out(g: ResourceGroup) -> ResourceGroupOut:
    return ResourceGroupOut(
        id=g.scope.path,
        name=g.name,
        subscription_id=g.subscription_id,
        location=g.location,
        tags=g.tags,
        created_at=g.created_at,
    )


@router.get("", response_model=list[SubscriptionOut])
def list_subscriptions(
    auth: Annotated[AuthContext, authorize(A.SUBSCRIPTIONS_READ, filtered=True)], platform: PlatformDep
) -> list[SubscriptionOut]:
    return [subscription_out(s) for s in svc.list_subscriptions(platform, auth.authorizer)]


@router.post("", response_model=SubscriptionOut, status_code=201)
def create_subscription(
    body: SubscriptionCreate,
    auth: Annotated[AuthContext, authorize(A.SUBSCRIPTIONS_WRITE)],
    platform: PlatformDep,
) -> SubscriptionOut:
    sub = svc.create_subscription(platform, auth.principal, body.subscription_id, body.display_name, body.tags)
    return subscription_out(sub)


@router.get(SUB, response_model=SubscriptionOut)
def get_subscription(
    subscriptionId: str,
    auth: Annotated[AuthContext, authorize(A.SUBSCRIPTIONS_READ)],
    platform: PlatformDep,
) -> SubscriptionOut:
    return subscription_out(svc.get_subscription(platform, subscriptionId))


@router.patch(SUB, response_model=SubscriptionOut)
def update_subscription(
    subscriptionId: str,
    body: SubscriptionUpdate,
    auth: Annotated[AuthContext, authorize(A.SUBSCRIPTIONS_WRITE)],
    platform: PlatformDep,
) -> SubscriptionOut:
    return subscription_out(svc.update_subscription(platform, subscriptionId, body.display_name, body.tags))


@router.delete(SUB, status_code=204)
def delete_subscription(
    subscriptionId: str,
    auth: Annotated[AuthContext, authorize(A.SUBSCRIPTIONS_DELETE)],
    platform: PlatformDep,
) -> None:
    svc.delete_subscription(platform, subscriptionId)


@router.get(SUB + "/resourceGroups", response_model=list[ResourceGroupOut])
def list_resource_groups(
    subscriptionId: str,
    auth: Annotated[AuthContext, authorize(A.RESOURCE_GROUPS_READ, filtered=True)],
    platform: PlatformDep,
) -> list[ResourceGroupOut]:
    return [group_out(g) for g in svc.list_resource_groups(platform, auth.authorizer, subscriptionId)]


@router.post(SUB + "/resourceGroups", response_model=ResourceGroupOut, status_code=201)
def create_resource_group(
    subscriptionId: str,
    body: ResourceGroupCreate,
    auth: Annotated[AuthContext, authorize(A.RESOURCE_GROUPS_WRITE)],
    platform: PlatformDep,
) -> ResourceGroupOut:
    group = svc.create_resource_group(platform, auth.principal, subscriptionId, body.name, body.location, body.tags)
    return group_out(group)


@router.get(RG, response_model=ResourceGroupOut)
def get_resource_group(
    subscriptionId: str,
    resourceGroupName: str,
    auth: Annotated[AuthContext, authorize(A.RESOURCE_GROUPS_READ)],
    platform: PlatformDep,
) -> ResourceGroupOut:
    return group_out(svc.get_resource_group(platform, subscriptionId, resourceGroupName))


@router.patch(RG, response_model=ResourceGroupOut)
def update_resource_group(
    subscriptionId: str,
    resourceGroupName: str,
    body: ResourceGroupUpdate,
    auth: Annotated[AuthContext, authorize(A.RESOURCE_GROUPS_WRITE)],
    platform: PlatformDep,
) -> ResourceGroupOut:
    return group_out(svc.update_resource_group(platform, subscriptionId, resourceGroupName, body.tags))


@router.delete(RG, response_model=ResourceGroupDeletionOut)
def delete_resource_group(
    subscriptionId: str,
    resourceGroupName: str,
    auth: Annotated[AuthContext, authorize(A.RESOURCE_GROUPS_DELETE)],
    platform: PlatformDep,
) -> ResourceGroupDeletionOut:
    deleted = ws_svc.delete_resource_group(platform, subscriptionId, resourceGroupName)
    return ResourceGroupDeletionOut(resource_group=auth.scope.path, workspaces=[deletion_out(d) for d in deleted])
