"""``mlyard run list|show|cancel|compare|files|upload|download``: the runs of a workspace."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, note, render
from mlyard.cli.run_compare import comparison, render_comparison
from mlyard.cli.run_files import register as register_file_commands
from mlyard.core.entities.tracking import RunStatus
from mlyard.sdk.run_listing import get_run, list_workspace_runs
from mlyard.sdk.run_search import search_records

app = typer.Typer(help="Runs: the run history of a workspace's experiments.", no_args_is_help=True)
register_file_commands(app)

RunIdArgument = Annotated[str, typer.Argument(help="The run's id.", show_default=False)]
LIST_COLUMNS: Columns = (
    ("runId", "Run id"),
    ("experimentName", "Experiment"),
    ("runNumber", "#"),
    ("displayName", "Name"),
    ("status", "Status"),
    ("startTimeUtc", "Started"),
    ("endTimeUtc", "Ended"),
)
SHOW_COLUMNS: Columns = (
    *LIST_COLUMNS,
    ("runType", "Type"),
    ("parentRunId", "Parent"),
    ("tags", "Tags"),
    ("properties", "Properties"),
    ("params", "Parameters"),
    ("error", "Error"),
)


@app.command("list")
def list_(
    experiment: Annotated[str | None, typer.Option("--experiment", "-e", help="Only this experiment's runs.")] = None,
    status: Annotated[RunStatus | None, typer.Option("--status", help="Only runs in this status.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="At most this many runs (newest first).")] = 50,
    filter: Annotated[
        str | None,
        typer.Option("--filter", help="MLflow's filter: \"metrics.accuracy > 0.9 and tags.team = 'vision'\"."),
    ] = None,
    order_by: Annotated[
        list[str] | None,
        typer.Option(
            "--order-by", help="'metrics.accuracy DESC', 'params.lr', ...; repeatable. Newest first by default."
        ),
    ] = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List runs, newest first, or those that --filter finds in --order-by order (searched on the server)."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    if filter is None and not order_by:
        found = list(list_workspace_runs(ws, experiment, status.value if status else None, top))
    else:
        clauses = [c for c in (filter, f"attributes.status = '{status.value}'" if status else None) if c]
        names = [experiment] if experiment else None
        found = list(search_records(ws, names, " and ".join(clauses) or None, order_by, top))
    render(found, output, LIST_COLUMNS)


@app.command("show")
def show(
    run_id: RunIdArgument,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show one run: status, times, tags, properties, parameters, error."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render(get_run(ws, run_id).get_details(), output, SHOW_COLUMNS)


@app.command("cancel")
def cancel(
    run_id: RunIdArgument,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Cancel a run that has not finished."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    run = get_run(ws, run_id)
    run.cancel()
    note(f"Canceled run '{run.id}' (experiment '{run.experiment.name}', number {run.number}).")


@app.command("compare")
def compare(
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids.", show_default=False)],
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Compare runs: parameters, then final metric values; rows that differ are highlighted."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render_comparison(comparison(ws, run_ids), output)
