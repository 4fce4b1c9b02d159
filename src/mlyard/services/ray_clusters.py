"""Ray clusters: what a Ray target's properties ask for, and clusters that scale by themselves.

A Ray target is either a head that mlyard owns (no ``address``) or an attached cluster (the
address of its dashboard, where the Jobs API answers). An owned head stops after its idle
time (scale to zero) and is recorded again when a job started it:

at each dispatch round the scheduler asks every backend that can (:class:`ScalingBackend`)
what each of its provisioned targets needs, given how many jobs hold a slot on it. The work
answered runs in a worker thread; its status is recorded only while the target is still
``Succeeded``, so that a delete asked meanwhile wins.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from sqlalchemy import select

from mlyard.core.entities.compute import ComputeTarget, ComputeTargetSpec, ComputeType, ProvisioningState
from mlyard.core.errors import ValidationError
from mlyard.core.ids import utcnow
from mlyard.services.compute_backends import BackendRegistry, TargetStatus
from mlyard.services.platform import Platform
from mlyard.store.compute import ComputeRepository, ComputeTargetRow
from mlyard.store.jobs import JobRepository

log = logging.getLogger("mlyard.compute")

Work = Callable[[], TargetStatus | None]


PROPERTIES = {"address", "minNodes", "maxNodes", "idleSecondsBeforeScaledown"}
DEFAULT_IDLE_SECONDS = 1800
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Cluster:
    """What a Ray target's properties ask for."""

    address: str | None
    min_nodes: int
    max_nodes: int
    idle_seconds: int

    @staticmethod
    def of(target: ComputeTarget) -> Cluster:
        props = target.properties
        return Cluster(
            props.get("address") or None,
            int(props.get("minNodes") or 0),
            int(props.get("maxNodes") or 1),
            int(props.get("idleSecondsBeforeScaledown", DEFAULT_IDLE_SECONDS)),
        )

    @property
    def owned(self) -> bool:
        return self.address is None

    @property
    def on_this_host(self) -> bool:
        return self.address is None or (urlsplit(self.address).hostname or "") in _LOCAL_HOSTS


def normalize_address(address: object) -> str:
    """The dashboard (Jobs API) address as ``http://host:port``."""
    text = str(address).strip().rstrip("/")
    if text.startswith("ray://"):
        raise ValidationError(
            f"'{text}' is a Ray client address: give the cluster's dashboard address instead "
            "(http://HOST:8265), where its Jobs API answers.",
            target="address",
        )
    if "://" not in text:
        text = f"http://{text}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise ValidationError(
            f"'{address}' is not a Ray dashboard address: use http://HOST:PORT "
            "(the dashboard's port, 8265 by default).",
            target="address",
        )
    return text


def _whole(props: dict[str, Any], key: str, default: int, low: int) -> int:
    value = props.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValidationError(f"{key} is a whole number of at least {low} (got {value!r}).", target=key)
    return value


def check_spec(spec: ComputeTargetSpec) -> ComputeTargetSpec:
    """A Ray target's create request checked, with its defaults filled."""
    props = dict(spec.properties)
    unknown = sorted(set(props) - PROPERTIES)
    if unknown:
        raise ValidationError(
            f"A Ray target takes the properties {', '.join(sorted(PROPERTIES))}; not {', '.join(unknown)}.",
            target="properties",
        )
    max_nodes = _whole(props, "maxNodes", 1, 1)
    min_nodes = _whole(props, "minNodes", 0, 0)
    if min_nodes > max_nodes:
        raise ValidationError(f"minNodes ({min_nodes}) is above maxNodes ({max_nodes}).", target="minNodes")
    idle = _whole(props, "idleSecondsBeforeScaledown", DEFAULT_IDLE_SECONDS, 0)
    address = normalize_address(props["address"]) if props.get("address") else None
    if spec.max_concurrent_runs is not None and not 1 <= spec.max_concurrent_runs <= 1024:
        raise ValidationError("max_concurrent_runs is 1 to 1024.", target="maxConcurrentRuns")
    checked = {"address": address, "minNodes": min_nodes, "maxNodes": max_nodes, "idleSecondsBeforeScaledown": idle}
    # As on AmlCompute, a cluster runs one job per node at a time unless told otherwise.
    return dataclasses.replace(spec, properties=checked, max_concurrent_runs=spec.max_concurrent_runs or max_nodes)


@runtime_checkable
class ScalingBackend(Protocol):
    compute_type: ComputeType

    def tend(self, target: ComputeTarget, active_jobs: int) -> Work | None:
        """Cheap and non-blocking: the work the target needs now (it may block), or None."""
        ...


def due(p: Platform, backends: BackendRegistry) -> list[tuple[ComputeTarget, Callable[[], None]]]:
    """The targets that need scaling work now, each with the work that does and records it."""
    scaling: dict[ComputeType, ScalingBackend] = {}
    for kind in backends.types():
        backend = backends.get(kind)
        if isinstance(backend, ScalingBackend):
            scaling[kind] = backend
    if not scaling:
        return []
    with p.db.read() as session:
        rows = session.scalars(
            select(ComputeTargetRow).where(
                ComputeTargetRow.compute_type.in_([kind.value for kind in scaling]),
                ComputeTargetRow.provisioning_state == ProvisioningState.SUCCEEDED.value,
                ComputeTargetRow.state.is_(None),  # starting or stopping: the target's own work does it
            )
        )
        targets = [row.to_entity() for row in rows]
        busy = JobRepository(session).active_counts()
    found: list[tuple[ComputeTarget, Callable[[], None]]] = []
    for target in targets:
        work = scaling[target.compute_type].tend(target, busy.get(target.id, 0))
        if work is not None:
            found.append((target, partial(_apply, p, target, work)))
    return found


def _apply(p: Platform, target: ComputeTarget, work: Work) -> None:
    try:
        status = work()
    except Exception:  # the next round tries again; the scheduler must go on
        log.exception("compute target %s: scaling it failed", target.name)
        return
    if status is None:
        return
    with p.db.write() as session:
        ComputeRepository(session).update(
            target.id,
            only_if_state=ProvisioningState.SUCCEEDED.value,
            provisioning_error=status.reason,
            properties={**target.properties, **status.properties},
            updated_at=utcnow(),
        )
