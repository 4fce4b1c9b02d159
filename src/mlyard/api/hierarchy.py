"""Subscriptions, resource groups and workspaces on the wire (datastores: :mod:`mlyard.api.datastores`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel

WORKSPACE_TYPE = "Microsoft.MachineLearningServices/workspaces"

Tags = dict[str, str]


class SubscriptionCreate(RequestModel):
    subscription_id: str = Field(max_length=200)
    display_name: str | None = Field(default=None, max_length=255)
    tags: Tags | None = None


class SubscriptionUpdate(RequestModel):
    display_name: str | None = Field(default=None, max_length=255)
    tags: Tags | None = None


class SubscriptionOut(WireModel):
    id: str
    subscription_id: str
    display_name: str
    tags: Tags
    created_at: datetime


class ResourceGroupCreate(RequestModel):
    name: str = Field(max_length=200)
    location: str | None = Field(default=None, max_length=200)
    tags: Tags | None = None


class ResourceGroupUpdate(RequestModel):
    tags: Tags | None = None


class ResourceGroupOut(WireModel):
    id: str
    name: str
    subscription_id: str
    location: str
    tags: Tags
    created_at: datetime


class WorkspaceCreate(RequestModel):
    name: str = Field(max_length=200)
    location: str | None = Field(default=None, max_length=200)
    friendly_name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    tags: Tags | None = None


class WorkspaceUpdate(RequestModel):
    friendly_name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=5000)
    tags: Tags | None = None


class SupportingResourceOut(WireModel):
    id: str
    kind: str
    name: str
    status: str
    location: str
    former_workspace: str | None = None


class WorkspaceOut(WireModel):
    id: str
    workspace_id: str
    name: str
    type: str = WORKSPACE_TYPE
    subscription_id: str
    resource_group: str
    location: str
    friendly_name: str
    description: str
    tags: Tags
    creation_time: datetime
    updated_time: datetime
    created_by: str | None
    storage_account: str | None
    key_vault: str | None
    application_insights: str | None
    container_registry: str | None
    hbi_workspace: bool = False
    discovery_url: str
    supporting_resources: list[SupportingResourceOut]


class WorkspaceDeletionOut(WireModel):
    workspace: str
    removed: list[SupportingResourceOut]
    kept: list[SupportingResourceOut]


class ResourceGroupDeletionOut(WireModel):
    resource_group: str
    workspaces: list[WorkspaceDeletionOut]
