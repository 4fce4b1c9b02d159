"""Subscriptions and resource groups: the namespaces above workspaces, as the server's JSON.

Also the one rule for a missing subscription id, shared by the SDK and the CLI: the explicit
value, else ``MLYARD_SUBSCRIPTION_ID``, else the only subscription the caller can see.
"""

from __future__ import annotations

import os
from typing import Any

from mlyard.core.errors import ResourceGroupNotFound, ValidationError, WorkspaceNotFound
from mlyard.sdk.client import API, Client, seg, workspace_path

SUBSCRIPTION_ENV = "MLYARD_SUBSCRIPTION_ID"


def list_subscriptions(client: Client) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = client.get(f"{API}/subscriptions")
    return answer


def get_subscription(client: Client, subscription_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"{API}/subscriptions/{seg(subscription_id)}")
    return answer


def create_subscription(
    client: Client, subscription_id: str, display_name: str | None = None, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"subscriptionId": subscription_id, "displayName": display_name, "tags": tags}
    answer: dict[str, Any] = client.post(f"{API}/subscriptions", body)
    return answer


def list_resource_groups(client: Client, subscription_id: str) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = client.get(f"{API}/subscriptions/{seg(subscription_id)}/resourceGroups")
    return answer


def get_resource_group(client: Client, subscription_id: str, name: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(workspace_path(subscription_id, name))
    return answer


def find_resource_group(client: Client, subscription_id: str, name: str) -> dict[str, Any] | None:
    try:
        return get_resource_group(client, subscription_id, name)
    except ResourceGroupNotFound:
        return None


def create_resource_group(
    client: Client,
    subscription_id: str,
    name: str,
    location: str | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "location": location, "tags": tags}
    answer: dict[str, Any] = client.post(f"{API}/subscriptions/{seg(subscription_id)}/resourceGroups", body)
    return answer


def delete_resource_group(client: Client, subscription_id: str, name: str) -> dict[str, Any]:
    """Deletes the group, its workspaces and their supporting resources; answers what went."""
    answer: dict[str, Any] = client.delete(workspace_path(subscription_id, name))
    return answer


def list_workspaces(
    client: Client, subscription_id: str | None = None, resource_group: str | None = None
) -> list[dict[str, Any]]:
    """The workspaces visible to the caller, everywhere or narrowed to a subscription or group."""
    if subscription_id is not None and resource_group is not None:
        answer: list[dict[str, Any]] = client.get(workspace_path(subscription_id, resource_group) + "/workspaces")
    else:
        answer = client.get(f"{API}/workspaces", subscriptionId=subscription_id, resourceGroup=resource_group)
    return answer


def default_subscription(client: Client, explicit: str | None = None) -> str:
    """The explicit id, else ``MLYARD_SUBSCRIPTION_ID``, else the caller's only subscription."""
    if explicit:
        return explicit
    env = os.environ.get(SUBSCRIPTION_ENV)
    if env:
        return env
    visible = [s["subscriptionId"] for s in list_subscriptions(client)]
    if len(visible) == 1:
        return str(visible[0])
    if not visible:
        raise ValidationError(
            f"No subscription is visible to you on {client.endpoint}: ask an administrator for access, "
            "or create one (mlyard subscription create -n ID).",
            target="subscription_id",
        )
    raise ValidationError(
        f"Several subscriptions are visible to you ({', '.join(sorted(visible))}): name one with "
        f"subscription_id= (CLI: --subscription) or set {SUBSCRIPTION_ENV}.",
        target="subscription_id",
    )


def locate_workspace(client: Client, subscription_id: str, name: str) -> dict[str, Any]:
    """The one workspace of that name in the subscription, whichever group holds it."""
    found = [w for w in list_workspaces(client, subscription_id=subscription_id) if w["name"].lower() == name.lower()]
    if not found:
        raise WorkspaceNotFound(
            f"No workspace named '{name}' is visible to you in subscription '{subscription_id}'.",
            target="workspaceName",
        )
    if len(found) > 1:
        groups = ", ".join(sorted(w["resourceGroup"] for w in found))
        raise ValidationError(
            f"Workspace name '{name}' is used in several resource groups of subscription '{subscription_id}' "
            f"({groups}): name one with resource_group= (CLI: -g).",
            target="resource_group",
        )
    return found[0]
