"""``mlyard dataset create|list|show|versions|profile|download``.

``create --path`` takes ``DATASTORE:GLOB`` (``workspaceblobstore:raw/*.csv``), Azure ML v2's
``azureml://datastores/<name>/paths/<glob>``, or a local file, folder or glob (uploaded first to
the default datastore). Repeat it for several.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from mlyard.cli.context import (
    Context,
    ResourceGroupOption,
    SubscriptionOption,
    TagsOption,
    WorkspaceNameOption,
    parse_tags,
)
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.sdk.dataset import AbstractDataset, Dataset
from mlyard.sdk.dataset_file import FileDataset
from mlyard.sdk.datastore import Datastore
from mlyard.sdk.workspace import Workspace

app = typer.Typer(help="Datasets: named, versioned references to files in datastores.", no_args_is_help=True)

NameOption = Annotated[str, typer.Option("--name", "-n", help="The dataset's name.")]
VersionOption = Annotated[int | None, typer.Option("--version", "-v", help="A version (default: the latest).")]
LIST_COLUMNS: Columns = (
    ("name", "Name"),
    ("version", "Version"),
    ("datasetType", "Type"),
    ("fileCount", "Files"),
    ("totalSize", "Bytes"),
    ("createdAt", "Created"),
)
DETAIL_COLUMNS: Columns = (
    ("name", "name"),
    ("version", "version"),
    ("datasetType", "type"),
    ("source", "source"),
    ("transforms", "transforms"),
    ("columns", "columns"),
    ("fileCount", "files"),
    ("totalSize", "bytes"),
    ("description", "description"),
    ("tags", "tags"),
    ("createdAt", "created"),
    ("id", "id"),
)
PROFILE_COLUMNS: Columns = (
    ("name", "Column"),
    ("type", "Type"),
    ("count", "Count"),
    ("missing", "Missing"),
    ("min", "Min"),
    ("max", "Max"),
    ("mean", "Mean"),
    ("std", "Std"),
    ("distinct", "Distinct"),
    ("top", "Top values"),
)
_AZUREML = re.compile(r"azureml://datastores/(?P<store>[^/]+)/paths/(?P<path>.+)")
_PAIR = re.compile(r"(?P<store>[A-Za-z0-9_]+):(?P<path>[^/\\].*)")


class DatasetKind(StrEnum):
    TABULAR = "tabular"
    FILE = "file"


class SourceFormat(StrEnum):
    DELIMITED = "delimited"
    PARQUET = "parquet"


def _workspace(name: str | None, group: str | None, subscription: str | None) -> Workspace:
    return Context.load().workspace(name, group, subscription)


def _path(ws: Workspace, text: str) -> Any:
    found = _AZUREML.fullmatch(text) or _PAIR.fullmatch(text)
    if found is not None and not Path(text).exists():
        return (Datastore.get(ws, found["store"]), found["path"])
    return text


def _shown(details: dict[str, Any], fmt: OutputFormat) -> dict[str, Any]:
    if fmt is not OutputFormat.TABLE:
        return details
    definition = details.get("definition") or {}
    source = definition.get("source") or {}
    paths = ", ".join(f"{p['datastore']}:{p['path']}" for p in source.get("paths", []))
    columns = ", ".join(f"{c['name']} {c['type']}" for c in details.get("columns", []))
    kinds = ", ".join(str(t.get("kind")) for t in definition.get("transforms", []))
    return {**details, "source": f"{source.get('format', '')} {paths}".strip(), "columns": columns, "transforms": kinds}


@app.command("create")
def create(
    name: NameOption,
    paths: Annotated[list[str], typer.Option("--path", "-p", help="DATASTORE:GLOB, azureml://..., or a local path.")],
    kind: Annotated[DatasetKind, typer.Option("--type", "-t", help="tabular or file.", case_sensitive=False)] = (
        DatasetKind.TABULAR
    ),
    fmt: Annotated[SourceFormat, typer.Option("--format", help="tabular: delimited or parquet.")] = (
        SourceFormat.DELIMITED
    ),
    separator: Annotated[str, typer.Option("--separator", help="delimited: the separator.")] = ",",
    header: Annotated[bool, typer.Option("--header/--no-header", help="delimited: a header line.")] = True,
    infer: Annotated[bool, typer.Option("--infer-types/--no-infer-types", help="delimited: infer types.")] = True,
    description: Annotated[str | None, typer.Option("--description", "-d", help="What it holds.")] = None,
    tags: TagsOption = None,
    new_version: Annotated[bool, typer.Option("--new-version", help="Add a version to an existing name.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Register a dataset: its files are pinned (xxh128) as version 1, or the next with --new-version."""
    ws = _workspace(workspace_name, resource_group, subscription)
    try:
        given = [_path(ws, p) for p in paths]
        made: AbstractDataset
        if kind is DatasetKind.FILE:
            made = Dataset.File.from_files(given, workspace=ws)
        elif fmt is SourceFormat.PARQUET:
            made = Dataset.Tabular.from_parquet_files(given, workspace=ws)
        else:
            made = Dataset.Tabular.from_delimited_files(
                given, separator=separator, header=header, infer_column_types=infer, workspace=ws
            )
    except OSError as exc:  # a local path that is not there
        fail(str(exc))
    registered = made.register(ws, name, description, parse_tags(tags), create_new_version=new_version)
    render(_shown(registered.get_details(), output), output, DETAIL_COLUMNS)


@app.command("list")
def list_(
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the workspace's datasets (each as its latest version)."""
    found = Dataset.get_all(_workspace(workspace_name, resource_group, subscription))
    render([d.get_details() for d in found.values()], output, LIST_COLUMNS)


@app.command("show")
def show(
    name: NameOption,
    version: VersionOption = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a version: its source, columns, file count and size."""
    ws = _workspace(workspace_name, resource_group, subscription)
    found = Dataset.get_by_name(ws, name, version or "latest")
    render(_shown(found.get_details(), output), output, DETAIL_COLUMNS)


@app.command("versions")
def versions(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List a dataset's versions, oldest first."""
    found = Dataset.list_versions(_workspace(workspace_name, resource_group, subscription), name)
    render([d.get_details() for d in found], output, LIST_COLUMNS)


@app.command("profile")
def profile(
    name: NameOption,
    version: VersionOption = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Profile a tabular version on the server (kept once computed)."""
    ws = _workspace(workspace_name, resource_group, subscription)
    made = Dataset.get_by_name(ws, name, version or "latest").get_profile().to_dict()
    if output is not OutputFormat.TABLE:
        render(made, output, ())
        return
    rows = [_profile_row(c) for c in made["columns"]]
    note = "; ~ marks an estimate" if any(c.get("approximate") for c in made["columns"]) else ""
    render(rows, output, PROFILE_COLUMNS, title=f"{name}: {made['rowCount']} rows{note}")


def _profile_row(column: dict[str, Any]) -> dict[str, Any]:
    rough = set(column.get("approximate") or ())
    top = ", ".join(f"{t['value']} ({t['count']})" for t in column["topValues"])
    return {
        **column,
        "distinct": f"~{column['distinct']}" if "distinct" in rough else column["distinct"],
        "top": f"~ {top}" if "topValues" in rough and top else top,
    }


@app.command("download")
def download(
    name: NameOption,
    target: Annotated[Path, typer.Option("--download-path", "-d", help="The folder to download into.")],
    version: VersionOption = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace local files.")] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Download a version's pinned files (checked against their xxh128)."""
    ws = _workspace(workspace_name, resource_group, subscription)
    found = Dataset.get_by_name(ws, name, version or "latest")
    try:
        files = FileDataset(ws, found._definition, found.get_details()).download(target, overwrite=overwrite)
    except OSError as exc:  # local files in the way, a folder that cannot be written
        fail(str(exc))
    note(f"Downloaded {len(files)} file(s) of '{found.name}' version {found.version} to {target}.")
