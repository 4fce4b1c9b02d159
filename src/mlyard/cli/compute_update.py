"""``mlyard compute update|list-nodes`` (``az ml compute update``, ``list-nodes``): change a target
after creation, and list a cluster's nodes.

Registered on :data:`mlyard.cli.compute.app` when that module loads.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mlyard.cli.compute import DETAIL_COLUMNS, NameOption, app
from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, render
from mlyard.sdk.compute import ComputeTarget
from mlyard.sdk.compute_instance import ComputeInstance
from mlyard.sdk.ray_compute import RayCompute

NODE_COLUMNS: Columns = (
    ("nodeId", "Node"),
    ("address", "Address"),
    ("state", "State"),
    ("isHead", "Head"),
    ("resources", "Resources"),
)


def _schedules(items: list[str]) -> list[dict[str, str]]:
    """``stop=0 19 * * 1-5`` → ``{"action": "stop", "cron": "0 19 * * 1-5"}``."""
    found = []
    for item in items:
        action, _, cron = item.partition("=")
        if action.strip() not in ("start", "stop") or not cron.strip():
            fail(f"A schedule is start=CRON or stop=CRON (such as 'stop=0 19 * * 1-5'), not '{item}'.", 2)
        found.append({"action": action.strip(), "cron": cron.strip()})
    return found


@app.command("update")
def update(
    name: NameOption,
    max_concurrent_runs: Annotated[
        int | None, typer.Option("--max-concurrent-runs", min=1, max=1024, help="Jobs it runs at once.")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", help="What it is for.")] = None,
    min_nodes: Annotated[int | None, typer.Option("--min-nodes", min=0, help="A Ray cluster's nodes kept up.")] = None,
    max_nodes: Annotated[int | None, typer.Option("--max-nodes", min=1, help="A Ray cluster's nodes at most.")] = None,
    idle_seconds: Annotated[
        int | None,
        typer.Option("--idle-seconds-before-scaledown", min=0, help="A Ray cluster's idle time before scaling to 0."),
    ] = None,
    idle_minutes: Annotated[
        float | None,
        typer.Option("--idle-minutes", min=0, help="Stop an instance after this many idle minutes (0: never)."),
    ] = None,
    schedule: Annotated[
        list[str] | None,
        typer.Option("--schedule", help="An instance's start=CRON or stop=CRON (UTC); repeat it; replaces them all."),
    ] = None,
    clear_schedules: Annotated[bool, typer.Option("--clear-schedules", help="Remove an instance's schedules.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Change a compute target: slots and description; a Ray cluster's nodes and idle time; an
    instance's idle shutdown and schedules (running or stopped)."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    target = ComputeTarget(ws, name)
    cluster = (min_nodes, max_nodes, idle_seconds)
    instance = (idle_minutes, schedule, clear_schedules or None)
    if any(v is not None for v in cluster) and not isinstance(target, RayCompute):
        fail(f"Compute target '{target.name}' is a {target.type} target: it has no nodes to change.", 2)
    if any(v is not None for v in instance) and not isinstance(target, ComputeInstance):
        fail(f"Compute target '{target.name}' is a {target.type} target: it has no idle shutdown or schedules.", 2)
    if isinstance(target, RayCompute):
        target.update(min_nodes, max_nodes, idle_seconds, max_concurrent_runs, description)
    elif isinstance(target, ComputeInstance):
        schedules = [] if clear_schedules else (_schedules(schedule) if schedule else None)
        target.update(idle_minutes, schedules, None, max_concurrent_runs, description)
    else:
        target.update(max_concurrent_runs, description)
    render(target.serialize(), output, DETAIL_COLUMNS)


@app.command("list-nodes")
def list_nodes(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """A Ray cluster's nodes, as the cluster reports them now."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    target = ComputeTarget(ws, name)
    if not isinstance(target, RayCompute):
        fail(f"Compute target '{target.name}' is a {target.type} target: it has no nodes to list.", 2)
    nodes: list[dict[str, Any]] = target.list_nodes()
    render(nodes, output, NODE_COLUMNS)
