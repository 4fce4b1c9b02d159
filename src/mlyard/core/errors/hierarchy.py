"""Errors of subscriptions, resource groups, workspaces and deployments."""

from __future__ import annotations

from mlyard.core.errors.base import Conflict, NotFound


class SubscriptionNotFound(NotFound):
    pass


class ResourceGroupNotFound(NotFound):
    pass


class WorkspaceNotFound(NotFound):
    pass


class DeploymentNotFound(NotFound):
    pass


class SubscriptionAlreadyExists(Conflict):
    pass


class ResourceGroupAlreadyExists(Conflict):
    pass


class WorkspaceAlreadyExists(Conflict):
    pass
