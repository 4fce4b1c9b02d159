"""``azureml.core.compute.ComputeInstance``: a personal JupyterLab server run by mlyard.

``ComputeTarget.create(ws, name, ComputeInstance.provisioning_configuration(vm_size="small"))``
makes one (it runs once created); ``stop()``, ``start()``, ``restart()`` and ``delete()`` wait
until done unless told not to. ``get_jupyter_url()`` answers a link that opens its JupyterLab
in a browser through the mlyard server (valid once, for two minutes).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlyard.core.errors import ComputeStateConflict
from mlyard.sdk.compute import (
    ComputeTarget,
    ComputeTargetProvisioningConfiguration,
    register_compute_type,
    supported_vmsizes,
)

if TYPE_CHECKING:
    from mlyard.sdk.workspace import Workspace


class ComputeInstanceProvisioningConfiguration(ComputeTargetProvisioningConfiguration):
    compute_type = "computeinstance"

    def __init__(
        self,
        vm_size: str | None = "small",
        idle_time_before_shutdown_minutes: float | None = None,
        ssh_public_access: bool = False,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        schedules: builtins.list[dict[str, str]] | None = None,
        max_concurrent_runs: int | None = None,
    ) -> None:
        super().__init__(max_concurrent_runs, description)
        self.vm_size = vm_size
        self.idle_time_before_shutdown_minutes = idle_time_before_shutdown_minutes
        self.ssh_public_access = ssh_public_access
        self.tags = dict(tags or {})
        self.schedules = list(schedules or [])

    def to_body(self) -> dict[str, Any]:
        body = super().to_body()
        if self.vm_size is not None:
            body["vmSize"] = self.vm_size
        properties: dict[str, Any] = {"sshPublicAccess": self.ssh_public_access}
        if self.idle_time_before_shutdown_minutes is not None:
            properties["idleTimeBeforeShutdownMinutes"] = self.idle_time_before_shutdown_minutes
        if self.tags:
            properties["tags"] = self.tags
        if self.schedules:
            properties["schedules"] = self.schedules
        body["properties"] = properties
        return body


@dataclass(frozen=True)
class ComputeInstanceStatus:
    """What ``get_status()`` answers: ``state`` is Running, Stopped, Starting, Stopping, Failed, ..."""

    state: str | None
    provisioning_state: str
    errors: str | None

    def __str__(self) -> str:
        return self.state or self.provisioning_state


class ComputeInstance(ComputeTarget):
    """A JupyterLab server of its own for one user, in the size chosen, that stops when idle."""

    _compute_type = "computeinstance"

    @staticmethod
    def provisioning_configuration(
        vm_size: str | None = "small",
        ssh_public_access: bool = False,
        admin_user_ssh_public_key: str | None = None,
        vnet_resourcegroup_name: str | None = None,
        vnet_name: str | None = None,
        subnet_name: str | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        assigned_user_object_id: str | None = None,
        assigned_user_tenant_id: str | None = None,
        idle_time_before_shutdown_minutes: float | None = None,
        schedules: builtins.list[dict[str, str]] | None = None,
    ) -> ComputeInstanceProvisioningConfiguration:
        """Azure's arguments; SSH, virtual networks and assigning to another user are not offered
        (SSH and an assigned user are refused; the network ones are ignored). ``schedules`` is a
        list of ``{"action": "start" | "stop", "cron": "minute hour day month weekday"}`` (UTC)."""
        if admin_user_ssh_public_key or assigned_user_object_id or assigned_user_tenant_id:
            from mlyard.core.errors import ValidationError

            raise ValidationError(
                "SSH keys and assigning an instance to another user are not offered: the instance belongs "
                "to whoever creates it.",
                target="provisioning_configuration",
            )
        return ComputeInstanceProvisioningConfiguration(
            vm_size, idle_time_before_shutdown_minutes, ssh_public_access, tags, description, schedules
        )

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, wait_for_completion: bool = True, show_output: bool = True) -> None:
        self._lifecycle("start", wait_for_completion, show_output)

    def stop(self, wait_for_completion: bool = True, show_output: bool = True) -> None:
        self._lifecycle("stop", wait_for_completion, show_output)

    def restart(self, wait_for_completion: bool = True, show_output: bool = True) -> None:
        self._lifecycle("restart", wait_for_completion, show_output)

    def _lifecycle(self, operation: str, wait: bool, show_output: bool) -> None:
        self._operation(operation, wait, show_output)
        if wait and self.state == "Failed":
            raise ComputeStateConflict(
                f"Compute instance '{self.name}' failed to {operation}: "
                f"{self.provisioning_errors or 'no reason given'}",
                target="name",
            )

    def get_status(self) -> ComputeInstanceStatus:  # type: ignore[override]
        self.refresh_state()
        return ComputeInstanceStatus(self.state, self.provisioning_state, self.provisioning_errors)

    def update(  # type: ignore[override]  # Azure v2's settable fields of a compute instance
        self,
        idle_time_before_shutdown_minutes: float | None = None,
        schedules: builtins.list[dict[str, str]] | None = None,
        tags: dict[str, str] | None = None,
        max_concurrent_runs: int | None = None,
        description: str | None = None,
    ) -> None:
        """Change idle shutdown, schedules or tags of an existing instance, running or not (None:
        unchanged). ``idle_time_before_shutdown_minutes=0`` turns idle shutdown off;
        ``schedules=[]`` removes every schedule. The scheduler's next look uses the new values."""
        properties: dict[str, Any] = {}
        if idle_time_before_shutdown_minutes is not None:
            properties["idleTimeBeforeShutdownMinutes"] = idle_time_before_shutdown_minutes or None
        if schedules is not None:
            properties["schedules"] = list(schedules)
        if tags is not None:
            properties["tags"] = dict(tags)
        self._patch(max_concurrent_runs, description, properties)

    @staticmethod
    def supported_vmsizes(workspace: Workspace, location: str | None = None) -> builtins.list[dict[str, Any]]:
        """The server's size catalogue: ``name``, ``vCPUs``, ``memoryGB``, ``pricePerHour``."""
        return supported_vmsizes(workspace)

    # -- opening it ----------------------------------------------------------------------------

    def get_jupyter_url(self) -> str:
        """A link that opens JupyterLab in a browser (once, within two minutes): it signs the
        browser in to this instance only, with a cookie."""
        found = self.workspace._client.post(f"{self._path}/jupyter/open")
        return self.workspace._client.endpoint + str(found["url"])

    @property
    def jupyter_path(self) -> str | None:
        """The proxy's path of the instance's Jupyter (send a bearer token to use it from code)."""
        for app in self.applications:
            if app.get("displayName") == "JupyterLab":
                return str(app["endpointUri"]).removesuffix("lab")
        return None

    @property
    def applications(self) -> builtins.list[dict[str, str]]:
        return list(self.properties.get("applications") or [])

    @property
    def idle_time_before_shutdown_minutes(self) -> float | None:
        value = self.properties.get("idleTimeBeforeShutdownMinutes")
        return float(value) if value is not None else None

    @property
    def schedules(self) -> builtins.list[dict[str, str]]:
        return list(self.properties.get("schedules") or [])

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.properties.get("tags") or {})

    # -- usage ---------------------------------------------------------------------------------

    @staticmethod
    def usage(workspace: Workspace, user: str | None = None, since: datetime | None = None) -> dict[str, Any]:
        """Running hours and cost of the workspace's instances: ``instances``, ``users``, ``workspace``."""
        report: dict[str, Any] = workspace._client.get(
            workspace._path + "/computeUsage", user=user, since=since.isoformat() if since else None
        )
        return report


register_compute_type("computeinstance", ComputeInstance)
