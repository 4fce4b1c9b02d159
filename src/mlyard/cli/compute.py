"""``mlyard compute create|list|show|delete`` (``az ml compute``): a workspace's compute targets.

The ``compute`` app is registered once in ``mlyard.cli.main``; kinds of compute with a
lifecycle (instances, Ray clusters) add their commands (start, stop, restart, usage) to
:data:`app` from their own modules.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption, YesOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, progress, render
from mlyard.sdk.compute import ComputeTarget, LocalCompute

app = typer.Typer(
    help="Compute targets: where jobs run (local processes; instances and Ray next).", no_args_is_help=True
)

NameOption = Annotated[str, typer.Option("--name", "-n", help="The compute target's name.", show_default=False)]
COLUMNS: Columns = (
    ("name", "Name"),
    ("computeType", "Type"),
    ("provisioningState", "Provisioning"),
    ("state", "State"),
    ("maxConcurrentRuns", "Slots"),
    ("vmSize", "Size"),
)
DETAIL_COLUMNS: Columns = (
    *COLUMNS,
    ("provisioningError", "Error"),
    ("description", "Description"),
    ("properties", "Properties"),
    ("createdBy", "Created by"),
    ("createdAt", "Created"),
)
_CONFIGURATIONS: dict[str, Any] = {"local": LocalCompute.provisioning_configuration, "computeinstance": None}


@app.command("create")
def create(
    name: NameOption,
    type_: Annotated[str, typer.Option("--type", "-t", help="The kind of compute: local, computeinstance.")] = "local",
    max_concurrent_runs: Annotated[
        int | None, typer.Option("--max-concurrent-runs", min=1, max=1024, help="Jobs it runs at once.")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", help="What it is for.")] = None,
    size: Annotated[str | None, typer.Option("--size", help="An instance's size (small, medium, large).")] = None,
    idle_minutes: Annotated[
        float | None, typer.Option("--idle-minutes", help="Stop a compute instance after this many idle minutes.")
    ] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Return while it is still being created.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a compute target (a local one is a separate queue on the server's host with its own slots)."""
    configure = _CONFIGURATIONS.get(type_.lower())
    if type_.lower() not in _CONFIGURATIONS:
        fail(f"Unknown compute type '{type_}': this CLI creates {', '.join(_CONFIGURATIONS)}.", 2)
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    if type_.lower() == "computeinstance":
        config = compute_instance.instance_configuration(size, idle_minutes, description)
    else:
        assert configure is not None
        config = configure(max_concurrent_runs, description)
    target = ComputeTarget.create(ws, name, config)
    if not no_wait:
        with progress(f"Creating compute target '{name}'…"):
            target.wait_for_completion()
    render(target.serialize(), output, DETAIL_COLUMNS)


@app.command("list")
def list_(
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the workspace's compute targets (local included)."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render([t.serialize() for t in ComputeTarget.list(ws)], output, COLUMNS)


@app.command("show")
def show(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show one compute target: type, provisioning state and its reason, slots."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render(ComputeTarget(ws, name).serialize(), output, DETAIL_COLUMNS)


@app.command("delete")
def delete(
    name: NameOption,
    yes: YesOption = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Delete a compute target (not 'local'; not while it has queued or running jobs)."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    target = ComputeTarget(ws, name)
    if not yes:
        typer.confirm(f"Delete compute target '{target.name}' of workspace '{ws.name}'?", abort=True)
    with progress(f"Deleting compute target '{target.name}'…"):
        target.delete()
    note(f"Deleted compute target '{target.name}'.")


# Compute instances add start, stop, restart, open and usage to this app; update and list-nodes come next.
from mlyard.cli import compute_instance, compute_update  # noqa: E402, F401
