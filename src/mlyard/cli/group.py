"""``mlyard group create|list|show|delete`` (``az group``)."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli.context import Context, SubscriptionOption, TagsOption, YesOption, parse_tags
from mlyard.cli.output import Columns, OutputFormat, OutputOption, note, progress, render
from mlyard.cli.workspace import report_deletion
from mlyard.sdk import hierarchy

app = typer.Typer(help="Resource groups: namespaces of workspaces, where access can be granted.", no_args_is_help=True)

COLUMNS: Columns = (
    ("name", "Name"),
    ("subscriptionId", "Subscription"),
    ("location", "Location"),
    ("tags", "Tags"),
    ("createdAt", "Created"),
)

NameOption = Annotated[str, typer.Option("--name", "-n", help="The resource group's name.")]


@app.command("create")
def create(
    name: NameOption,
    subscription: SubscriptionOption = None,
    location: Annotated[str | None, typer.Option("--location", "-l", help="Location label (default 'local').")] = None,
    tags: TagsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a resource group."""
    ctx = Context.load()
    group = hierarchy.create_resource_group(
        ctx.client, ctx.subscription(subscription), name, location, parse_tags(tags)
    )
    render(group, output, COLUMNS)


@app.command("list")
def list_(subscription: SubscriptionOption = None, output: OutputOption = OutputFormat.TABLE) -> None:
    """List the resource groups of a subscription."""
    ctx = Context.load()
    render(hierarchy.list_resource_groups(ctx.client, ctx.subscription(subscription)), output, COLUMNS)


@app.command("show")
def show(name: NameOption, subscription: SubscriptionOption = None, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a resource group."""
    ctx = Context.load()
    render(hierarchy.get_resource_group(ctx.client, ctx.subscription(subscription), name), output, COLUMNS)


@app.command("delete")
def delete(name: NameOption, subscription: SubscriptionOption = None, yes: YesOption = False) -> None:
    """Delete a resource group with every workspace in it and their supporting resources."""
    ctx = Context.load()
    sub = ctx.subscription(subscription)
    group = hierarchy.get_resource_group(ctx.client, sub, name)
    inside = hierarchy.list_workspaces(ctx.client, sub, group["name"])
    if not yes:
        listed = ", ".join(w["name"] for w in inside) if inside else "none"
        typer.confirm(
            f"Delete resource group '{group['name']}' of subscription '{sub}' and the {len(inside)} workspace(s) "
            f"in it ({listed}), with all their assets and supporting resources (storage, vault, monitoring, "
            "environment registry)? This cannot be undone.",
            abort=True,
        )
    with progress(f"Deleting resource group '{group['name']}'…"):
        summary = hierarchy.delete_resource_group(ctx.client, sub, group["name"])
    for deleted in summary.get("workspaces", []):
        note(f"Deleted workspace {deleted['workspace']}.")
        report_deletion(deleted)
    note(f"Deleted resource group '{group['name']}'.")
