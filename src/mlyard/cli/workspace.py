"""``mlyard workspace create|show|list|update|delete`` (``az ml workspace``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote, urlparse

import typer

from mlyard.cli.context import (
    Context,
    ResourceGroupOption,
    SubscriptionOption,
    TagsOption,
    YesOption,
    parse_tags,
)
from mlyard.cli.output import Columns, OutputFormat, OutputOption, note, progress, render
from mlyard.sdk import hierarchy
from mlyard.sdk.workspace import Workspace

# `az ml workspace show -n NAME` names the workspace with -n; -w works too, as elsewhere.
WorkspaceNameOrNameOption = Annotated[
    str | None,
    typer.Option("--name", "-n", "--workspace-name", "-w", help="Workspace name (default: config.json's)."),
]

app = typer.Typer(help="Workspaces: the boundary of every asset.", no_args_is_help=True)

LIST_COLUMNS: Columns = (
    ("name", "Name"),
    ("resourceGroup", "Resource group"),
    ("subscriptionId", "Subscription"),
    ("location", "Location"),
    ("friendlyName", "Friendly name"),
)
DETAIL_COLUMNS: Columns = (
    ("name", "name"),
    ("id", "id"),
    ("location", "location"),
    ("friendlyName", "friendly name"),
    ("description", "description"),
    ("tags", "tags"),
    ("creationTime", "created"),
    ("discoveryUrl", "endpoint"),
)
RESOURCE_COLUMNS: Columns = (
    ("kind", "Kind"),
    ("name", "Name"),
    ("status", "Status"),
    ("location", "Location"),
)

DescriptionOption = Annotated[str | None, typer.Option("--description", help="What the workspace is for.")]
FriendlyNameOption = Annotated[str | None, typer.Option("--friendly-name", help="A display name.")]


def _show(details: dict[str, Any], fmt: OutputFormat) -> None:
    render(details, fmt, DETAIL_COLUMNS)
    if fmt is OutputFormat.TABLE:
        render(details.get("supportingResources", []), fmt, RESOURCE_COLUMNS, title="Supporting resources")


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", "-n", help="The new workspace's name.")],
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    location: Annotated[str | None, typer.Option("--location", "-l", help="Location label.")] = None,
    description: DescriptionOption = None,
    friendly_name: FriendlyNameOption = None,
    tags: TagsOption = None,
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help="Show the workspace if it exists already.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a workspace with its storage, vault, monitoring and environment registry."""
    ctx = Context.load()
    group = ctx.resource_group(resource_group)
    sub = ctx.subscription(subscription)
    with progress(f"Creating workspace '{name}' in resource group '{group}'…"):
        ws = Workspace.create(
            name,
            subscription_id=sub,
            resource_group=group,
            create_resource_group=False,
            location=location,
            friendly_name=friendly_name,
            description=description,
            tags=parse_tags(tags),
            exist_ok=exist_ok,
            show_output=False,
            endpoint=ctx.endpoint,
        )
        details = ws.get_details()
    _show(details, output)


@app.command("show")
def show(
    workspace_name: WorkspaceNameOrNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a workspace and its supporting resources."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    _show(ws.get_details(), output)


@app.command("list")
def list_(
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the workspaces you can see (in a subscription or group, when given or configured)."""
    ctx = Context.load()
    sub = subscription or (ctx.config.subscription_id if ctx.config else None)
    if resource_group and sub is None:
        sub = ctx.subscription(None)
    found = hierarchy.list_workspaces(ctx.client, sub, resource_group)
    render(found, output, LIST_COLUMNS)


@app.command("update")
def update(
    workspace_name: WorkspaceNameOrNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    description: DescriptionOption = None,
    friendly_name: FriendlyNameOption = None,
    tags: TagsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Change a workspace's description, friendly name or tags (--tags replaces them all)."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    details = ws.update(friendly_name=friendly_name, description=description, tags=parse_tags(tags))
    _show(details, output)


@app.command("delete")
def delete(
    workspace_name: WorkspaceNameOrNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    all_resources: Annotated[
        bool, typer.Option("--all-resources", help="Also delete its storage, vault, monitoring and registry.")
    ] = False,
    yes: YesOption = False,
) -> None:
    """Delete a workspace; its supporting resources are kept unless --all-resources."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    fate = "deleted with it" if all_resources else "kept (use --all-resources to delete them too)"
    if not yes:
        typer.confirm(
            f"Delete workspace '{ws.name}' in resource group '{ws.resource_group}' of subscription "
            f"'{ws.subscription_id}'? Its assets go with it; its supporting resources are {fate}.",
            abort=True,
        )
    with progress(f"Deleting workspace '{ws.name}'…"):
        summary = ws.delete(delete_dependent_resources=all_resources)
    note(f"Deleted workspace '{ws.name}'.")
    report_deletion(summary)


def report_deletion(summary: dict[str, Any]) -> None:
    """Say what went, and where each kept supporting resource is and how to remove it."""
    removed = summary.get("removed", [])
    if removed:
        note("Removed: " + ", ".join(f"{r['kind']} '{r['name']}'" for r in removed) + ".")
    kept = summary.get("kept", [])
    if not kept:
        return
    note("Kept supporting resources (now Orphaned):")
    for res in kept:
        note(f"  {res['kind']} '{res['name']}' at {res['location']}")
        note(f"    remove: {removal_hint(res)}")
    note("Next time, 'mlyard workspace delete --all-resources' removes them together with the workspace.")


def removal_hint(resource: dict[str, Any]) -> str:
    location = str(resource["location"])
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return f"rm -rf '{unquote(parsed.path)}'"
    if parsed.scheme == "s3":
        return f"aws s3 rm --recursive '{location}'"
    return f"it is kept in the server's database; no command removes an orphaned {resource['kind']} yet"
