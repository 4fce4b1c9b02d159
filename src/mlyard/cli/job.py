"""``mlyard job submit|create|stream|show|cancel|list`` (``az ml job``): runs submitted to compute.

``submit`` and ``create`` stream the job's output until it ends (``--no-wait`` only queues it)
and exit with 1 when it failed or was canceled, so that scripts can chain on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mlyard.cli import job_file
from mlyard.cli.context import (
    Context,
    ResourceGroupOption,
    SubscriptionOption,
    TagsOption,
    WorkspaceNameOption,
    parse_tags,
)
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.core.entities.tracking import RunStatus
from mlyard.sdk.experiment import Experiment
from mlyard.sdk.run import Run
from mlyard.sdk.run_jobs import failure_message, list_jobs
from mlyard.sdk.run_listing import get_run
from mlyard.sdk.script_run_config import ScriptRunConfig, submit
from mlyard.sdk.workspace import Workspace

app = typer.Typer(help="Jobs: scripts run on compute targets, queued and streamed.", no_args_is_help=True)

RunIdArgument = Annotated[str, typer.Argument(help="The job's run id.", show_default=False)]
NoWaitOption = Annotated[bool, typer.Option("--no-wait", help="Queue the job and return at once.")]
ExperimentOption = Annotated[str | None, typer.Option("--experiment", "-e", help="Experiment (default: 'default').")]
LIST_COLUMNS: Columns = (
    ("runId", "Run id"),
    ("experimentName", "Experiment"),
    ("status", "Status"),
    ("statusReason", "Why"),
    ("computeTarget", "Compute"),
    ("queuedUtc", "Queued"),
)
SHOW_COLUMNS: Columns = (
    ("runId", "Run id"),
    ("experimentName", "Experiment"),
    ("status", "Status"),
    ("statusReason", "Why"),
    ("computeTarget", "Compute"),
    ("script", "Script"),
    ("arguments", "Arguments"),
    ("command", "Command"),
    ("environment", "Environment"),
    ("pid", "Process"),
    ("exitCode", "Exit code"),
    ("attempt", "Attempt"),
    ("queuedUtc", "Queued"),
    ("preparingUtc", "Preparing"),
    ("runningUtc", "Running"),
    ("finalizingUtc", "Finalizing"),
    ("endTimeUtc", "Ended"),
    ("error", "Error"),
)


def _finish(run: Run, wait: bool, output: OutputFormat) -> None:
    """Stream the run's output (or just say it is queued), then report how it ended."""
    if not wait:
        note(
            f"Queued run '{run.id}' (experiment '{run.experiment.name}'); follow it with 'mlyard job stream {run.id}'."
        )
        render(_record(run), output, SHOW_COLUMNS)
        return
    note(f"Run '{run.id}' (experiment '{run.experiment.name}'): streaming its output (Ctrl+C stops watching).")
    run.stream_output()
    details = run.get_details()
    if output is not OutputFormat.TABLE:
        render(_record(run), output, SHOW_COLUMNS)
    if details["status"] == RunStatus.COMPLETED.value:
        note(f"Run '{run.id}' completed.")
        return
    fail(failure_message(details) if details["status"] == RunStatus.FAILED.value else f"Run '{run.id}' was canceled.")


def _record(run: Run) -> dict[str, Any]:
    job = run.get_job()
    job["error"] = run.get_details().get("error")
    return job


def _experiment(ws: Workspace, name: str | None) -> Experiment:
    return Experiment(ws, name or "default")


@app.command(
    "submit",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "allow_interspersed_args": False},
)
def submit_(
    script: Annotated[str | None, typer.Option("--script", help="The script to run, relative to --source-dir.")] = None,
    arguments: Annotated[list[str] | None, typer.Argument(help="After --: the script's arguments.")] = None,
    command: Annotated[
        str | None, typer.Option("--command", help="A shell command to run instead of a script.")
    ] = None,
    source_dir: Annotated[Path, typer.Option("--source-dir", help="The folder to snapshot and run in.")] = Path("."),
    compute: Annotated[str, typer.Option("--compute", help="The compute target.")] = "local",
    environment: Annotated[
        str | None,
        typer.Option("--environment", help="NAME, NAME:VERSION or NAME@latest (default: the server's Python)."),
    ] = None,
    experiment: ExperimentOption = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="A name for the run.")] = None,
    tags: TagsOption = None,
    max_run_duration: Annotated[
        int | None, typer.Option("--max-run-duration", min=1, help="Stop the job after this many seconds.")
    ] = None,
    no_wait: NoWaitOption = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Submit a script (mlyard job submit --script train.py -- --lr 0.1) or a --command."""
    if (script is None) == (command is None):
        fail("Give --script (with its arguments after --) or --command.", 2)
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    config = ScriptRunConfig(
        source_directory=source_dir,
        script=script,
        arguments=arguments or None,
        compute_target=compute,
        environment=environment,
        max_run_duration_seconds=max_run_duration,
        command=command,
    )
    run = submit(_experiment(ws, experiment), config, parse_tags(tags), display_name)
    _finish(run, not no_wait, output)


@app.command("create")
def create(
    file: Annotated[Path, typer.Option("--file", "-f", help="An Azure ML v2 command job file (YAML).")],
    experiment: ExperimentOption = None,
    no_wait: NoWaitOption = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Submit the command job that a YAML file describes (command, code, environment, compute, inputs, outputs)."""
    spec = job_file.load(file)
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    config = ScriptRunConfig(
        source_directory=spec.code,
        command=spec.command,
        compute_target=spec.compute,
        environment=spec.environment,
        max_run_duration_seconds=spec.timeout,
    )
    config.input_datasets = [dict(d) for d in spec.input_datasets]  # as as_named_input(...) arguments give them
    exp = _experiment(ws, experiment or spec.experiment_name)
    run = submit(exp, config, spec.tags or None, spec.display_name, spec.output_folders)
    _finish(run, not no_wait, output)


@app.command("stream")
def stream(
    run_id: RunIdArgument,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Print a job's output from its start, following it until it ends."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    _finish(get_run(ws, run_id), True, OutputFormat.TABLE)


@app.command("show")
def show(
    run_id: RunIdArgument,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a job: status and why, compute, process, exit code, the time of each transition, error."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render(_record(get_run(ws, run_id)), output, SHOW_COLUMNS)


@app.command("cancel")
def cancel(
    run_id: RunIdArgument,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Cancel a job: a queued one at once, a running one by stopping its processes."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    run = get_run(ws, run_id)
    run.cancel()
    note(f"Run '{run.id}' is {run.get_status()}.")


@app.command("list")
def list_(
    status: Annotated[RunStatus | None, typer.Option("--status", help="Only jobs in this status.")] = None,
    compute: Annotated[str | None, typer.Option("--compute", help="Only jobs on this compute target.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="At most this many (newest first).")] = 50,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List jobs, newest first, each with why it is where it is."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render(list_jobs(ws, status.value if status else None, compute, top), output, LIST_COLUMNS)
