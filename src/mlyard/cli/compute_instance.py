"""``mlyard compute start|stop|restart|open|usage``: compute instances' commands on ``mlyard compute``.

Registered on :data:`mlyard.cli.compute.app` when that module loads (its last line imports this).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from mlyard.cli.compute import DETAIL_COLUMNS, NameOption, app
from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, progress, render
from mlyard.sdk.compute import ComputeTarget
from mlyard.sdk.compute_instance import ComputeInstance, ComputeInstanceProvisioningConfiguration

NoWaitOption = Annotated[bool, typer.Option("--no-wait", help="Return at once; the server does the work.")]
USAGE_COLUMNS: Columns = (
    ("kind", "Per"),
    ("name", "Name"),
    ("sessions", "Sessions"),
    ("hours", "Hours"),
    ("cost", "Cost"),
    ("running", "Running now"),
)


def instance_configuration(
    vm_size: str | None, idle_minutes: float | None, description: str | None
) -> ComputeInstanceProvisioningConfiguration:
    return ComputeInstance.provisioning_configuration(
        vm_size=vm_size or "small", idle_time_before_shutdown_minutes=idle_minutes, description=description
    )


def _instance(name: str, workspace: str | None, group: str | None, subscription: str | None) -> ComputeInstance:
    ws = Context.load().workspace(workspace, group, subscription)
    target = ComputeTarget(ws, name)
    if not isinstance(target, ComputeInstance):
        fail(f"Compute target '{target.name}' is a {target.type} target: it has no start, stop or Jupyter.", 2)
    return target


# The verb shown while it works, and the command's help.
_LIFECYCLE = {
    "start": ("Starting", "Start a stopped compute instance (its Jupyter server)."),
    "stop": ("Stopping", "Stop a compute instance: its kernels end; its notebooks stay in the workspace."),
    "restart": ("Restarting", "Restart a compute instance."),
}


def _lifecycle_command(operation: str) -> None:
    """Register ``mlyard compute <operation>``: the three differ only in the SDK call and words."""
    doing, help_text = _LIFECYCLE[operation]

    def command(
        name: NameOption,
        no_wait: NoWaitOption = False,
        workspace_name: WorkspaceNameOption = None,
        resource_group: ResourceGroupOption = None,
        subscription: SubscriptionOption = None,
        output: OutputOption = OutputFormat.TABLE,
    ) -> None:
        target = _instance(name, workspace_name, resource_group, subscription)
        with progress(f"{doing} compute instance '{target.name}'…"):
            getattr(target, operation)(wait_for_completion=not no_wait, show_output=False)
        render(target.serialize(), output, DETAIL_COLUMNS)

    command.__doc__ = help_text
    app.command(operation)(command)


for _operation in _LIFECYCLE:
    _lifecycle_command(_operation)


@app.command("open")
def open_(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Print a link that opens the instance's JupyterLab in a browser (once, within two minutes)."""
    target = _instance(name, workspace_name, resource_group, subscription)
    typer.echo(target.get_jupyter_url())


@app.command("usage")
def usage(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's instances.")] = None,
    since: Annotated[
        datetime | None, typer.Option("--since", help="Count only the time after this (ISO 8601).")
    ] = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Running hours and cost of the workspace's compute instances: per instance, per user, in total."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    report = ComputeInstance.usage(ws, user=user, since=since)
    if output is not OutputFormat.TABLE:
        render(report, output, USAGE_COLUMNS)
        return
    rows = [{"kind": "instance", **line} for line in report["instances"]]
    rows += [{"kind": "user", **line} for line in report["users"]]
    rows.append({"kind": "workspace", **report["workspace"]})
    render(rows, output, USAGE_COLUMNS)
    if not report["instances"]:
        note("No compute instance of this workspace has run yet.")
