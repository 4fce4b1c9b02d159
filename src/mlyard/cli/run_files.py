"""``mlyard run files|upload|download``: a run's files, with a progress bar for many files.

The commands are plain functions that ``mlyard.cli.run`` registers on its ``run`` app, so that
the run commands stay one group while this module keeps the file transfers apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, err_console, fail, note, render
from mlyard.sdk.run_listing import get_run

RunIdArgument = Annotated[str, typer.Argument(help="The run's id.", show_default=False)]
FILE_COLUMNS: Columns = (("name", "Name"), ("size", "Bytes"), ("modifiedUtc", "Modified"))


@contextmanager
def _bar(description: str, total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on stderr (drawn only on a terminal) that advances once per file."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda _name: bar.advance(task)


def files(
    run_id: RunIdArgument,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Only files in this folder.")] = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List a run's files."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    render(get_run(ws, run_id).get_file_details(prefix), output, FILE_COLUMNS)


def upload(
    run_id: RunIdArgument,
    name: Annotated[str, typer.Option("--name", "-n", help="The file's name in the run, e.g. outputs/model.pkl.")],
    file: Annotated[Path, typer.Option("--file", "-f", help="A local file, or a folder to upload whole.")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace files of the same name.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Upload a file (or a folder, under NAME/) to a run."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    run = get_run(ws, run_id)
    if file.is_dir():
        count = sum(1 for p in file.rglob("*") if p.is_file())
        with _bar(f"Uploading {file}", count) as advance:
            stored = run.upload_folder(name, file, overwrite=overwrite, progress=advance)
        note(f"Uploaded {len(stored)} files under '{name}' to run '{run.id}'.")
    elif file.is_file():
        stored_one = run.upload_file(name, file, overwrite=overwrite)
        note(f"Uploaded '{file}' as '{name}' ({stored_one['size']} bytes) to run '{run.id}'.")
    else:
        fail(f"'{file}' is neither a file nor a folder.", 2)


def download(
    run_id: RunIdArgument,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Only files in this folder.")] = None,
    output_dir: Annotated[Path, typer.Option("--output-dir", "-d", help="Where to put them.")] = Path("."),
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Download a run's files (under their names) into a folder, checking each xxh128."""
    ws = Context.load().workspace(workspace_name, resource_group, subscription)
    run = get_run(ws, run_id)
    count = len(run.get_file_details(prefix))
    with _bar(f"Downloading run {run.id}", count) as advance:
        got = run.download_files(prefix=prefix, output_directory=output_dir, progress=advance)
    note(f"Downloaded {len(got)} files of run '{run.id}' into '{output_dir}'.")


def register(app: typer.Typer) -> None:
    app.command("files")(files)
    app.command("upload")(upload)
    app.command("download")(download)
