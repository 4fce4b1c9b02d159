"""What template expressions are evaluated against, and masking of secure values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: What a secure value (``securestring``/``secureObject``) is shown as, everywhere.
MASK = "***"


@dataclass
class EvalContext:
    """The state an expression sees.

    ``parameters`` holds resolved values; ``variables`` the raw (unevaluated) template
    variables, which ``variables()`` evaluates lazily and caches here.
    ``parameter_defaults`` is set while evaluating a parameter's ``defaultValue``: only there
    may ``utcNow()`` and ``newGuid()`` be used, and ``variables()`` may not.
    """

    parameters: Mapping[str, Any]
    variables: Mapping[str, Any] = field(default_factory=dict)
    subscription: Mapping[str, Any] = field(default_factory=dict)
    resource_group: Mapping[str, Any] | None = None
    deployment_name: str = "deployment"
    secure_values: frozenset[str] = frozenset()
    parameter_defaults: bool = False
    now: datetime | None = None
    variable_cache: dict[str, Any] = field(default_factory=dict)
    variable_stack: list[str] = field(default_factory=list)

    @property
    def subscription_id(self) -> str:
        return str(self.subscription.get("subscriptionId", ""))

    @property
    def resource_group_name(self) -> str | None:
        if self.resource_group is None:
            return None
        return str(self.resource_group.get("name", ""))


def subscription_object(subscription: Mapping[str, Any]) -> dict[str, Any]:
    """What ``subscription()`` returns: ``id``, ``subscriptionId``, ``displayName`` (and extras)."""
    sub_id = subscription.get("subscriptionId")
    if not sub_id and isinstance(subscription.get("id"), str):
        sub_id = str(subscription["id"]).rstrip("/").rsplit("/", 1)[-1]
    if not sub_id:
        raise ValueError("the subscription needs a 'subscriptionId' (or an 'id')")
    result = dict(subscription)
    result["subscriptionId"] = str(sub_id)
    result["id"] = f"/subscriptions/{sub_id}"
    result.setdefault("displayName", str(sub_id))
    return result


def resource_group_object(
    resource_group: Mapping[str, Any] | None, subscription: Mapping[str, Any]
) -> dict[str, Any] | None:
    """What ``resourceGroup()`` returns: ``id``, ``name``, ``type``, ``location``, ``properties``."""
    if resource_group is None:
        return None
    name = resource_group.get("name")
    if not name:
        raise ValueError("the resource group needs a 'name'")
    result = dict(resource_group)
    result["name"] = str(name)
    result.setdefault("id", f"/subscriptions/{subscription['subscriptionId']}/resourceGroups/{name}")
    result.setdefault("type", "Microsoft.Resources/resourceGroups")
    result.setdefault("location", None)
    result.setdefault("properties", {"provisioningState": "Succeeded"})
    return result


def collect_secure_values(values: Iterable[Any]) -> frozenset[str]:
    """Every non-empty string inside the given values (the values of secure parameters)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value:
                found.add(value)
        elif isinstance(value, Mapping):
            for item in value.values():
                walk(item)
            if value:
                found.add(json.dumps(value, separators=(",", ":")))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for value in values:
        walk(value)
    return frozenset(found)


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret in ``text`` by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if not secret:
            continue
        text = text.replace(secret, MASK)
        escaped = json.dumps(secret)[1:-1]
        if escaped != secret:
            text = text.replace(escaped, MASK)
    return text


def mask_secrets(value: Any, secrets: Iterable[str]) -> Any:
    """A copy of ``value`` in which every secret inside a string is replaced by ``***``."""
    secret_set = frozenset(secrets)
    if not secret_set:
        return value
    if isinstance(value, str):
        return mask_text(value, secret_set)
    if isinstance(value, Mapping):
        return {key: mask_secrets(item, secret_set) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item, secret_set) for item in value]
    return value


def contains_secret(value: Any, secrets: Iterable[str]) -> bool:
    """Whether any string inside ``value`` contains a secret."""
    secret_set = frozenset(secrets)
    return bool(secret_set) and mask_secrets(value, secret_set) != value
