"""``azureml.core.ComputeTarget`` over mlyard's REST API.

``ComputeTarget(ws, name)`` reads a target and answers an instance of the class registered for
its type (``LocalCompute`` for ``local``; compute instances and Ray clusters register theirs
with :func:`register_compute_type`), or raises ``ComputeTargetNotFound`` (also importable as
``ComputeTargetException``) whose message lists the targets that exist: Azure's get-or-create.

``ComputeTarget.create(ws, name, config)`` sends the configuration's type and body; the server
hands it to the backend of that type. Creating and deleting answer at once: wait with
``wait_for_completion``.
"""

from __future__ import annotations

import builtins
import importlib
import sys
import time
from typing import TYPE_CHECKING, Any, ClassVar

from mlyard.core.errors import ComputeTargetNotFound, ValidationError
from mlyard.sdk.client import seg

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace

ComputeTargetException = ComputeTargetNotFound
_TYPES: dict[str, type[ComputeTarget]] = {}
# Types whose class lives in a module of its own, imported when a target of the type is first read.
_MODULES: dict[str, str] = {"ray": "mlyard.sdk.ray_compute", "computeinstance": "mlyard.sdk.compute_instance"}


def register_compute_type(compute_type: str, cls: type[ComputeTarget]) -> None:
    """Make ``ComputeTarget(ws, name)`` answer ``cls`` for targets of ``compute_type``."""
    _TYPES[compute_type] = cls


def _class_of(compute_type: str) -> type[ComputeTarget] | None:
    if compute_type not in _TYPES and compute_type in _MODULES:
        importlib.import_module(_MODULES[compute_type])
    return _TYPES.get(compute_type)


class ComputeTargetProvisioningConfiguration:
    """What ``ComputeTarget.create`` sends: a compute type and that type's settings."""

    compute_type: ClassVar[str] = ""

    def __init__(self, max_concurrent_runs: int | None = None, description: str | None = None) -> None:
        self.max_concurrent_runs = max_concurrent_runs
        self.description = description

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"computeType": self.compute_type}
        if self.max_concurrent_runs is not None:
            body["maxConcurrentRuns"] = self.max_concurrent_runs
        if self.description is not None:
            body["description"] = self.description
        return body


class ComputeTarget:
    """A compute target of a workspace (``local``, an instance, a Ray cluster)."""

    _compute_type: ClassVar[str | None] = None

    def __new__(cls, workspace: Workspace, name: str, _details: dict[str, Any] | None = None) -> ComputeTarget:
        details = _details if _details is not None else workspace._client.get(_path(workspace, name))
        wanted = cls._compute_type
        if wanted is not None and details["computeType"] != wanted:
            raise ComputeTargetNotFound(
                f"Compute target '{details['name']}' is of type '{details['computeType']}', not '{wanted}'.",
                target="name",
            )
        chosen = (_class_of(details["computeType"]) or cls) if cls is ComputeTarget else cls
        target = object.__new__(chosen)
        target.workspace = workspace
        target._details = details
        return target

    def __init__(self, workspace: Workspace, name: str, _details: dict[str, Any] | None = None) -> None:
        # __new__ read the target; nothing is left to do here.
        self.workspace: Workspace
        self._details: dict[str, Any]

    # -- Azure ML's methods ----------------------------------------------------------------

    @staticmethod
    def create(
        workspace: Workspace, name: str, provisioning_configuration: ComputeTargetProvisioningConfiguration
    ) -> ComputeTarget:
        """Create a target (provisioning starts at once); ``wait_for_completion`` waits for it."""
        if not isinstance(provisioning_configuration, ComputeTargetProvisioningConfiguration):
            raise ValidationError(
                "provisioning_configuration must come from a compute class, such as "
                "LocalCompute.provisioning_configuration(max_concurrent_runs=2).",
                target="provisioning_configuration",
            )
        details = workspace._client.put(_path(workspace, name), provisioning_configuration.to_body())
        return ComputeTarget(workspace, name, _details=details)

    @staticmethod
    def attach(
        workspace: Workspace, name: str, attach_configuration: ComputeTargetProvisioningConfiguration
    ) -> ComputeTarget:
        """Attach an existing cluster (``RayCompute.attach_configuration(address=...)``); its address is
        checked as the target provisions."""
        return ComputeTarget.create(workspace, name, attach_configuration)

    @staticmethod
    def list(workspace: Workspace) -> builtins.list[ComputeTarget]:
        found = workspace._client.get(workspace._path + "/computes")
        return [ComputeTarget(workspace, d["name"], _details=d) for d in found]

    def refresh_state(self) -> None:
        self._details = self.workspace._client.get(self._path)

    def get_status(self) -> str:
        """The provisioning state: Creating, Succeeded, Failed or Deleting."""
        self.refresh_state()
        return self.provisioning_state

    def wait_for_completion(
        self, show_output: bool = False, is_delete_operation: bool = False, timeout_in_minutes: float = 30
    ) -> None:
        """Wait until provisioning (or a deletion) has ended; a failed one raises with its reason."""
        deadline = time.monotonic() + timeout_in_minutes * 60
        delay, shown = 0.1, ""
        while True:
            try:
                self.refresh_state()
            except ComputeTargetNotFound:
                if is_delete_operation:
                    return
                raise
            now = f"{self.provisioning_state}" + (f" ({self.state})" if self.state else "")
            if show_output and now != shown:
                sys.stdout.write(f"{self.name}: {now}\n")
                shown = now
            settled = self.provisioning_state in ("Succeeded", "Failed") and self.state not in (
                "Starting",
                "Stopping",
                "Restarting",
            )
            if settled and not is_delete_operation:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"Compute target '{self.name}' is still {now} after {timeout_in_minutes} minutes.")
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        if self.provisioning_state == "Failed":
            raise ValidationError(
                f"Compute target '{self.name}' failed to provision: {self.provisioning_errors or 'no reason given'}",
                target="name",
            )

    def update(self, max_concurrent_runs: int | None = None, description: str | None = None) -> None:
        self._patch(max_concurrent_runs, description, {})

    def _patch(self, max_concurrent_runs: int | None, description: str | None, properties: dict[str, Any]) -> None:
        body: dict[str, Any] = {"maxConcurrentRuns": max_concurrent_runs, "description": description}
        body = {k: v for k, v in body.items() if v is not None}
        if properties:
            body["properties"] = properties
        self._details = self.workspace._client.patch(self._path, body)

    def delete(self, wait: bool = True) -> None:
        """Delete the target (``local`` cannot be); with ``wait``, until it is gone."""
        self._details = self.workspace._client.delete(self._path)
        if wait:
            self.wait_for_completion(is_delete_operation=True)

    def _operation(self, operation: str, wait_for_completion: bool, show_output: bool) -> None:
        self._details = self.workspace._client.post(f"{self._path}/{operation}")
        if wait_for_completion:
            self.wait_for_completion(show_output=show_output)

    # -- the record ------------------------------------------------------------------------

    @property
    def _path(self) -> str:
        return _path(self.workspace, self.name)

    @property
    def name(self) -> str:
        return str(self._details["name"])

    @property
    def type(self) -> str:
        return str(self._details["computeType"])

    @property
    def provisioning_state(self) -> str:
        return str(self._details["provisioningState"])

    @property
    def provisioning_errors(self) -> str | None:
        error = self._details.get("provisioningError")
        return str(error) if error else None

    @property
    def state(self) -> str | None:
        state = self._details.get("state")
        return str(state) if state else None

    @property
    def max_concurrent_runs(self) -> int:
        return int(self._details["maxConcurrentRuns"])

    @property
    def vm_size(self) -> str | None:
        size = self._details.get("vmSize")
        return str(size) if size else None

    @property
    def description(self) -> str:
        return str(self._details.get("description") or "")

    @property
    def properties(self) -> dict[str, Any]:
        return dict(self._details.get("properties") or {})

    def serialize(self) -> dict[str, Any]:
        return dict(self._details)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, type={self.type!r}, state={self.provisioning_state!r})"


class LocalComputeProvisioningConfiguration(ComputeTargetProvisioningConfiguration):
    compute_type = "local"


class LocalCompute(ComputeTarget):
    """Processes on the server's host. Every workspace has ``local``; more local targets give
    separate queues with their own ``max_concurrent_runs``."""

    _compute_type = "local"

    @staticmethod
    def provisioning_configuration(
        max_concurrent_runs: int | None = None, description: str | None = None
    ) -> LocalComputeProvisioningConfiguration:
        return LocalComputeProvisioningConfiguration(max_concurrent_runs, description)


register_compute_type("local", LocalCompute)


def _path(workspace: Workspace, name: str) -> str:
    return f"{workspace._path}/computes/{seg(name)}"


def compute_targets(workspace: Workspace) -> dict[str, ComputeTarget]:
    """``ws.compute_targets``: the workspace's targets by name."""
    return {t.name: t for t in ComputeTarget.list(workspace)}


def supported_vmsizes(workspace: Workspace) -> builtins.list[dict[str, Any]]:
    """The server's size catalogue in Azure's shape (``supported_vmsizes`` of instances and clusters)."""
    found = workspace._client.get(workspace._path + "/vmSizes")
    return [
        {
            "name": size["name"],
            "vCPUs": size["cores"],
            "gpus": 0,
            "memoryGB": size["memoryGb"],
            "pricePerHour": size["pricePerHour"],
        }
        for size in found["value"]
    ]
