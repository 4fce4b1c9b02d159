"""``mlyard notebook list|upload|download|delete|run``: the workspace's notebooks folder.

``run`` submits a notebook as a job (``python -m mlyard.notebook_runner``) on a compute target,
streams its output, and exits with 1 when a cell failed; the executed copy is the run's file
``outputs/<name>`` (``mlyard run download`` fetches it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption, YesOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.sdk.notebook import Notebook

app = typer.Typer(help="Notebooks in the workspace's storage: shared by its compute instances, run as jobs.")

NameArgument = Annotated[str, typer.Argument(help="The notebook's name in the workspace (a path).", show_default=False)]
COLUMNS: Columns = (("name", "Name"), ("size", "Size"), ("modifiedUtc", "Modified"))


def _parameters(values: list[str] | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in values or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            fail(f"A parameter is NAME=VALUE, not '{item}'.", 2)
        try:
            found[name.strip()] = json.loads(text)
        except ValueError:
            found[name.strip()] = text  # not JSON: a string
    return found


@app.command("list")
def list_(
    folder: Annotated[str, typer.Option("--folder", help="Only this sub-folder.")] = "",
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the workspace's notebooks (and other files of its notebooks folder)."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render(Notebook.list(ws, folder), output, COLUMNS)


@app.command("upload")
def upload(
    path: Annotated[Path, typer.Argument(help="The local file.", exists=True, dir_okay=False)],
    name: Annotated[str | None, typer.Option("--name", "-n", help="Its name in the workspace.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a notebook of that name.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Upload a notebook: every compute instance of the workspace sees it."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render(Notebook.upload(ws, path, name, overwrite=overwrite), output, COLUMNS)


@app.command("download")
def download(
    name: NameArgument,
    target: Annotated[Path, typer.Option("--path", "-p", help="The local folder.")] = Path("."),
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a local file of that name.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Download a notebook of the workspace."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    note(f"Downloaded '{name}' to {Notebook.download(ws, name, target, overwrite=overwrite)}.")


@app.command("delete")
def delete(
    name: NameArgument,
    yes: YesOption = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Delete a notebook of the workspace."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    if not yes:
        typer.confirm(f"Delete notebook '{name}' of workspace '{ws.name}'?", abort=True)
    Notebook.delete(ws, name)
    note(f"Deleted notebook '{name}'.")


@app.command("run")
def run(
    name: NameArgument,
    compute: Annotated[str, typer.Option("--compute", "-c", help="The compute target.")] = "local",
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE (VALUE read as JSON when it is).")
    ] = None,
    experiment: Annotated[str, typer.Option("--experiment", "-e", help="The experiment.")] = "notebooks",
    environment: Annotated[str | None, typer.Option("--environment", help="NAME[:VERSION] (needs ipykernel).")] = None,
    no_wait: Annotated[bool, typer.Option("--no-wait", help="Queue the run and return at once.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Run a notebook headlessly as a job, with parameters; its executed copy is the run's outputs/<name>."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    submitted = Notebook.run(ws, name, compute, _parameters(param), experiment, environment)
    note(f"Run '{submitted.id}' (experiment '{experiment}') runs notebook '{name}' on '{compute}'.")
    if no_wait:
        return
    submitted.stream_output()
    details = submitted.get_details()
    if details["status"] != "Completed":
        error = details.get("error") or {}
        fail(f"Run '{submitted.id}' {details['status'].lower()}: {error.get('message') or details.get('statusReason')}")
    note(f"Run '{submitted.id}' completed; its executed notebook is outputs/{Path(name).name}.")
