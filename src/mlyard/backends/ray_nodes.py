"""What a Ray cluster's nodes are (Ray's state API), and what an owned head takes from its size.

**Nodes.** ``GET <dashboard>/api/v0/nodes`` answers every node the cluster's GCS knows, alive or
dead, with its id, address, state and total resources; mlyard passes them on as they are
(``list_nodes()``, ``get_status()``'s counts).

**Sizes.** A Ray target's ``vm_size`` that names a size of the server's catalogue
(``MLYARD_INSTANCE_SIZES``: small, medium, large by default) gives an owned head its
``--num-cpus`` (the size's cores, at most the host's) and ``--memory`` (the size's memory):
Ray schedules no more than that onto it. Any other name (Azure's ``STANDARD_D2_V2``) is
recorded only, and the head takes the host's cores, as without a size.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from mlyard.core.errors import ComputeUnreachable
from mlyard.core.settings import InstanceSize, Settings

_TIMEOUT = 10.0


@dataclass(frozen=True)
class HeadSize:
    num_cpus: int
    memory_bytes: int | None  # None: Ray's own guess (the host's free memory)
    size: str | None  # the catalogue's size applied, None when none was


def catalogue_size(settings: Settings, name: str | None) -> InstanceSize | None:
    for size in settings.instance_sizes:
        if name and size.name.lower() == name.lower():
            return size
    return None


def head_size(settings: Settings, vm_size: str | None, host_cores: int) -> HeadSize:
    size = catalogue_size(settings, vm_size)
    if size is None:
        return HeadSize(host_cores, None, None)
    return HeadSize(max(1, min(size.cores, host_cores)), int(size.memory_gb * 1024**3), size.name)


def list_nodes(dashboard_url: str) -> list[dict[str, Any]]:
    """The cluster's nodes: ``{nodeId, address, state, isHead, resources, stateMessage}`` each."""
    url = f"{dashboard_url}/api/v0/nodes?limit=1000&detail=1&timeout=10"
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as reply:
            body = json.loads(reply.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ComputeUnreachable(
            f"The Ray cluster at {dashboard_url} did not list its nodes: {getattr(exc, 'reason', None) or exc}"
        ) from None
    if not body.get("result", False):
        raise ComputeUnreachable(f"The Ray cluster at {dashboard_url} did not list its nodes: {body.get('msg')}")
    rows = body["data"]["result"]["result"]
    return [
        {
            "nodeId": str(row.get("node_id") or ""),
            "address": str(row.get("node_ip") or ""),
            "state": str(row.get("state") or "UNKNOWN"),
            "isHead": bool(row.get("is_head_node")),
            "resources": {k: float(v) for k, v in (row.get("resources_total") or {}).items()},
            "stateMessage": row.get("state_message") or None,
        }
        for row in rows
    ]
