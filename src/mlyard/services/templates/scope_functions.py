"""Template functions about the deployment's scope, ids and generated names.

``uniqueString`` and ``guid`` are deterministic, as in ARM, but their values differ from
Azure's: ``uniqueString`` is the first 13 characters of the lower-case base32 SHA-256 of its
arguments, and ``guid`` is a version-5 UUID of them. ``utcNow`` and ``newGuid`` may only be
used in a parameter's ``defaultValue`` (as in ARM).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from mlyard.services.templates.kinds import FULL_TYPES, expand_short_type, resource_kind
from mlyard.services.templates.registry import Args, FunctionTable

TABLE = FunctionTable()
fn = TABLE.register

_GUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://mlyard.dev/templates/guid")
_RESOURCE_GROUPS = FULL_TYPES["resourceGroup"].lower()


def _split_id_args(a: Args, max_scope: int) -> tuple[list[str], str, list[str]]:
    """Split ``[scope...], type, name...`` at the first argument that looks like a type."""
    values = [a.text(i) for i in range(len(a))]
    position = next((i for i, v in enumerate(values) if "/" in v), None)
    if position is None:
        position = next((i for i, v in enumerate(values[:-1]) if resource_kind(v)), None)
    if position is None:
        a.fail("no resource type among the arguments (such as 'Microsoft.Storage/storageAccounts')")
    if position > max_scope:
        a.fail(f"takes at most {max_scope} scope argument(s) before the resource type")
    resource_type = expand_short_type(values[position])
    names = [part for name in values[position + 1 :] for part in name.split("/")]
    segments = resource_type.split("/")
    if len(segments) < 2 or not all(segments):
        a.fail(f"'{resource_type}' is not a resource type such as 'Microsoft.Storage/storageAccounts'")
    if len(names) != len(segments) - 1 or not all(names):
        a.fail(f"resource type '{resource_type}' needs {len(segments) - 1} non-empty name(s), got {len(names)}")
    return values[:position], resource_type, names


def _provider_path(resource_type: str, names: list[str]) -> str:
    namespace, *types = resource_type.split("/")
    pairs = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"providers/{namespace}/{pairs}"


@fn("resourceId", (2, None))
def _resource_id(a: Args) -> str:
    scope, resource_type, names = _split_id_args(a, 2)
    subscription = scope[0] if len(scope) == 2 else a.ctx.subscription_id
    group = scope[-1] if scope else a.ctx.resource_group_name
    if resource_type.lower() == _RESOURCE_GROUPS:
        return f"/subscriptions/{subscription}/resourceGroups/{names[0]}"
    base = f"/subscriptions/{subscription}"
    if group:
        base += f"/resourceGroups/{group}"
    return f"{base}/{_provider_path(resource_type, names)}"


@fn("subscriptionResourceId", (2, None))
def _subscription_resource_id(a: Args) -> str:
    scope, resource_type, names = _split_id_args(a, 1)
    subscription = scope[0] if scope else a.ctx.subscription_id
    if resource_type.lower() == _RESOURCE_GROUPS:
        return f"/subscriptions/{subscription}/resourceGroups/{names[0]}"
    return f"/subscriptions/{subscription}/{_provider_path(resource_type, names)}"


@fn("resourceGroup", 0)
def _resource_group(a: Args) -> dict[str, Any]:
    if a.ctx.resource_group is None:
        a.fail("is not available: this deployment is not to a resource group")
    return dict(a.ctx.resource_group)


@fn("subscription", 0)
def _subscription(a: Args) -> dict[str, Any]:
    return dict(a.ctx.subscription)


@fn("deployment", 0)
def _deployment(a: Args) -> dict[str, Any]:
    return {"name": a.ctx.deployment_name, "properties": {"mode": "Incremental"}}


def _texts(a: Args) -> list[str]:
    return [a.text(i) for i in range(len(a))]


@fn("uniqueString", (1, None))
def _unique_string(a: Args) -> str:
    digest = hashlib.sha256(json.dumps(_texts(a)).encode()).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:13]


@fn("guid", (1, None))
def _guid(a: Args) -> str:
    return str(uuid.uuid5(_GUID_NAMESPACE, json.dumps(_texts(a))))


_DOTNET_TOKENS = {
    "yyyy": "%Y",
    "yy": "%y",
    "MM": "%m",
    "dd": "%d",
    "HH": "%H",
    "mm": "%M",
    "ss": "%S",
}
_STANDARD_FORMATS = {"u": "yyyy-MM-dd HH:mm:ssZ", "s": "yyyy-MM-ddTHH:mm:ss", "o": "yyyy-MM-ddTHH:mm:ss.fffZ"}


@fn("utcNow", (0, 1), default_only=True)
def _utc_now(a: Args) -> str:
    pattern = a.text(0) if len(a) else "yyyyMMddTHHmmssZ"
    pattern = _STANDARD_FORMATS.get(pattern, pattern)
    now = a.ctx.now or datetime.now(UTC)
    out = []
    for token in re.findall(r"yyyy|yy|MM|dd|HH|mm|ss|fff|.", pattern, re.DOTALL):
        if token == "fff":
            out.append(f"{now.microsecond // 1000:03d}")
        elif token in _DOTNET_TOKENS:
            out.append(now.strftime(_DOTNET_TOKENS[token]))
        else:
            out.append(token)
    return "".join(out)


@fn("newGuid", 0, default_only=True)
def _new_guid(a: Args) -> str:
    return str(uuid.uuid4())
