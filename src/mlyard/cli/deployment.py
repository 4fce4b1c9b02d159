"""``mlyard deployment create|what-if|list|show``: templates into a resource group (``az deployment group``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, console, note, progress, render
from mlyard.sdk import deployment as sdk

app = typer.Typer(help="Deploy templates (the role of ARM templates) into a resource group.", no_args_is_help=True)

COLUMNS: Columns = (("name", "Name"), ("status", "Status"), ("updatedAt", "Updated"), ("error", "Error"))
# Azure's `--parameters a=1 b=2` puts several values after one flag: extra arguments are parameters too.
EXTRA_ARGS = {"allow_extra_args": True, "ignore_unknown_options": False}

TemplateOption = Annotated[
    Path, typer.Option("--template-file", "-f", help="The template: JSON or YAML.", exists=False)
]
ParametersOption = Annotated[
    list[str] | None,
    typer.Option("--parameters", "-p", help="name=value pairs or @params.json; repeat or list them after the flag."),
]
NameOption = Annotated[
    str | None, typer.Option("--name", "-n", help="Deployment name (default: the template file's name).")
]


def _request(
    ctx: typer.Context,
    template_file: Path,
    parameters: list[str] | None,
    name: str | None,
    subscription: str | None,
    resource_group: str | None,
) -> tuple[Context, tuple[str, str, str, dict[str, Any], dict[str, Any]]]:
    """The client and the (subscription, group, name, template, parameters) of a deployment."""
    cli = Context.load()
    template = sdk.load_document(template_file, "template")
    values = sdk.parse_parameter_args(list(parameters or []) + list(ctx.args))
    where = (cli.subscription(subscription), cli.resource_group(resource_group), name or template_file.stem)
    return cli, (*where, template, values)


def _show_changes(result: dict[str, Any], output: OutputFormat) -> bool:
    """Print a deploy or what-if answer; False when the caller asked for json/yaml (already printed)."""
    if output is not OutputFormat.TABLE:
        render(result, output, COLUMNS)
        return False
    for warning in result.get("warnings", []):
        note(f"[yellow]warning:[/yellow] {warning}")
    _lines(result.get("changes", []))
    return True


def _lines(changes: list[dict[str, Any]]) -> None:
    for change in changes:
        line = str(change.get("line", ""))
        style = {"+": "green", "~": "yellow", "*": "dim"}.get(line[:1], "")
        console.print(f"[{style}]{line}[/{style}]" if style else line, highlight=False, markup=bool(style))


@app.command("create", context_settings=EXTRA_ARGS)
def create(
    ctx: typer.Context,
    template_file: TemplateOption,
    resource_group: ResourceGroupOption = None,
    parameters: ParametersOption = None,
    name: NameOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Deploy a template: create what is missing, change what differs (a second run changes nothing)."""
    cli, request = _request(ctx, template_file, parameters, name, subscription, resource_group)
    with progress(f"Deploying {template_file.name} into resource group '{request[1]}'…"):
        result = sdk.deploy(cli.client, *request)
    if not _show_changes(result, output):
        return
    changed = any(c.get("changeType") in ("Create", "Modify") for c in result.get("changes", []))
    note(f"Deployment '{result['name']}' {result['status'].lower()}" + ("" if changed else ": nothing changed"))
    for key, value in (result.get("outputs") or {}).items():
        console.print(f"output {key}: {value}", highlight=False, markup=False)


@app.command("what-if", context_settings=EXTRA_ARGS)
def what_if(
    ctx: typer.Context,
    template_file: TemplateOption,
    resource_group: ResourceGroupOption = None,
    parameters: ParametersOption = None,
    name: NameOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Print what a deployment would change, without changing anything."""
    cli, request = _request(ctx, template_file, parameters, name, subscription, resource_group)
    result = sdk.what_if(cli.client, *request)
    if not _show_changes(result, output):
        return
    counts: dict[str, int] = {}
    for change in result.get("changes", []):
        counts[change["changeType"]] = counts.get(change["changeType"], 0) + 1
    note("Resource changes: " + ", ".join(f"{n} {kind.lower()}" for kind, n in counts.items()))


@app.command("list")
def list_(
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the deployments of a resource group."""
    cli = Context.load()
    render(
        sdk.list_deployments(cli.client, cli.subscription(subscription), cli.resource_group(resource_group)),
        output,
        COLUMNS,
    )


@app.command("show")
def show(
    name: Annotated[str, typer.Option("--name", "-n", help="Deployment name.")],
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a deployment and what it changed."""
    cli = Context.load()
    result = sdk.get_deployment(cli.client, cli.subscription(subscription), cli.resource_group(resource_group), name)
    render(result, output, COLUMNS)
    if output is OutputFormat.TABLE:
        _lines(result.get("changes", []))
