"""``mlyard experiment list|show|archive|reactivate``: a workspace's experiments."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, note, render
from mlyard.sdk.experiment import Experiment

app = typer.Typer(help="Experiments: named groups of runs in a workspace.", no_args_is_help=True)

NameOption = Annotated[str, typer.Option("--name", "-n", help="The experiment's name.")]
COLUMNS: Columns = (("name", "Name"), ("archived", "Archived"), ("tags", "Tags"), ("createdAt", "Created"))


def _experiment(name: str, w: str | None, g: str | None, s: str | None) -> Experiment:
    ws = Context.load().workspace(w, g, s)
    experiment = Experiment(ws, name)
    experiment.refresh()  # ExperimentNotFound here, rather than creating it by reading it
    return experiment


def _record(e: Experiment) -> dict[str, object]:
    return dict(e._ensure())


@app.command("list")
def list_(
    archived: Annotated[bool, typer.Option("--archived", help="List archived experiments instead.")] = False,
    all_: Annotated[bool, typer.Option("--all", help="List active and archived experiments.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the experiments (active ones unless --archived or --all)."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    view = "All" if all_ else "ArchivedOnly" if archived else "ActiveOnly"
    render([_record(e) for e in Experiment.list(ws, view_type=view)], output, COLUMNS)


@app.command("show")
def show(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show one experiment."""
    render(_record(_experiment(name, workspace_name, resource_group, subscription)), output, (("id", "id"), *COLUMNS))


@app.command("archive")
def archive(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Archive an experiment: hidden from listings, no new runs until reactivated."""
    _experiment(name, workspace_name, resource_group, subscription).archive()
    note(f"Archived experiment '{name}'.")


@app.command("reactivate")
def reactivate(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Reactivate an archived experiment."""
    _experiment(name, workspace_name, resource_group, subscription).reactivate()
    note(f"Reactivated experiment '{name}'.")
