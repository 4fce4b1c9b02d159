"""Subscriptions, resource groups, workspaces and the supporting resources of a workspace
(datastores are in :mod:`mlyard.core.entities.datastores`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from mlyard.core.scopes import Scope


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    display_name: str
    tags: dict[str, str]
    created_at: datetime
    created_by: str | None

    @property
    def scope(self) -> Scope:
        return Scope(self.subscription_id)


@dataclass(frozen=True)
class ResourceGroup:
    id: str
    subscription_id: str
    name: str
    location: str
    tags: dict[str, str]
    created_at: datetime
    created_by: str | None

    @property
    def scope(self) -> Scope:
        return Scope(self.subscription_id, self.name)


class SupportingKind(StrEnum):
    STORAGE = "storage"
    VAULT = "vault"
    MONITORING = "monitoring"
    ENVIRONMENT_REGISTRY = "environmentRegistry"


class ResourceStatus(StrEnum):
    READY = "Ready"
    CREATED_ON_FIRST_USE = "CreatedOnFirstUse"
    ORPHANED = "Orphaned"


@dataclass(frozen=True)
class SupportingResource:
    id: str
    kind: SupportingKind
    name: str
    status: ResourceStatus
    location: str
    workspace_id: str | None
    former_workspace: str | None
    created_at: datetime
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Workspace:
    id: str
    subscription_id: str
    resource_group: str
    name: str
    location: str
    friendly_name: str
    description: str
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    created_by: str | None
    resources: tuple[SupportingResource, ...] = ()

    @property
    def scope(self) -> Scope:
        return Scope(self.subscription_id, self.resource_group, self.name)

    def resource(self, kind: SupportingKind) -> SupportingResource | None:
        return next((r for r in self.resources if r.kind is kind), None)
