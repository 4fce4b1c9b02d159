"""``mlyard subscription create|list|show``: the top of the hierarchy."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli.context import Context, TagsOption, parse_tags
from mlyard.cli.output import Columns, OutputFormat, OutputOption, render
from mlyard.sdk import hierarchy

app = typer.Typer(help="Subscriptions: the top-level namespaces.", no_args_is_help=True)

COLUMNS: Columns = (
    ("subscriptionId", "Subscription id"),
    ("displayName", "Display name"),
    ("tags", "Tags"),
    ("createdAt", "Created"),
)

IdOption = Annotated[str, typer.Option("--name", "-n", help="The subscription id.")]


@app.command("create")
def create(
    name: IdOption,
    display_name: Annotated[str | None, typer.Option("--display-name", help="A readable name.")] = None,
    tags: TagsOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a subscription (administrators only)."""
    ctx = Context.load()
    render(hierarchy.create_subscription(ctx.client, name, display_name, parse_tags(tags)), output, COLUMNS)


@app.command("list")
def list_(output: OutputOption = OutputFormat.TABLE) -> None:
    """List the subscriptions you can see."""
    render(hierarchy.list_subscriptions(Context.load().client), output, COLUMNS)


@app.command("show")
def show(name: IdOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a subscription."""
    render(hierarchy.get_subscription(Context.load().client, name), output, COLUMNS)
