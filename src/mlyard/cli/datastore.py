"""``mlyard datastore list|show|register|set-default|unregister|files|upload|download``.

``register --type local|s3|azure-blob`` takes the options of its type. A secret (``--secret-access-key``,
``--sas-token``, ``--account-key``) may be left out on a terminal: it is then asked for, hidden,
so that it need not stay in the shell's history. It goes to the workspace's vault, never into
the datastore.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption, YesOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.sdk.datastore import Datastore
from mlyard.sdk.workspace import Workspace

app = typer.Typer(help="Datastores: where a workspace's data lives.", no_args_is_help=True)

NameOption = Annotated[str, typer.Option("--name", "-n", help="The datastore's name.")]
OverwriteOption = Annotated[bool, typer.Option("--overwrite", help="Replace what exists already.")]
LIST_COLUMNS: Columns = (
    ("name", "Name"),
    ("datastoreType", "Type"),
    ("isDefault", "Default"),
    ("location", "Location"),
)
DETAIL_COLUMNS: Columns = (
    ("name", "name"),
    ("datastoreType", "type"),
    ("isDefault", "default"),
    ("location", "location"),
    ("credentials", "credentials (vault)"),
    ("createdAt", "created"),
    ("updatedAt", "updated"),
    ("id", "id"),
)
FILE_COLUMNS: Columns = (("name", "Name"), ("size", "Bytes"), ("modifiedUtc", "Modified"))


class DatastoreKind(StrEnum):
    LOCAL = "local"
    S3 = "s3"
    AZURE_BLOB = "azure-blob"


def _workspace(name: str | None, group: str | None, subscription: str | None) -> Workspace:
    return Context.load().workspace(name, group, subscription)


def _location(details: dict[str, Any]) -> str:
    props = details.get("properties") or {}
    if "url" in props:
        return str(props["url"])
    if details.get("datastoreType") == "local":
        return str(props.get("path", ""))
    if "bucket" in props:
        where = f"s3://{props['bucket']}" + (f"/{props['prefix']}" if props.get("prefix") else "")
        return where + (f" ({props['endpointUrl']})" if props.get("endpointUrl") else "")
    if "containerName" in props:
        return f"{props.get('protocol', 'https')}://{props.get('accountName')}.blob.{props.get('endpoint')}/{props['containerName']}"
    return ""


def _shown(store: Datastore, fmt: OutputFormat) -> dict[str, Any]:
    details = store.get_details()
    if fmt is OutputFormat.TABLE:
        details["location"] = _location(details)
    return details


@app.command("list")
def list_(
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the workspace's datastores."""
    stores = Datastore.list(_workspace(workspace_name, resource_group, subscription))
    render([_shown(s, output) for s in stores], output, LIST_COLUMNS)


@app.command("show")
def show(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a datastore (its credentials only by the name of their vault secret)."""
    store = Datastore.get(_workspace(workspace_name, resource_group, subscription), name)
    render(_shown(store, output), output, DETAIL_COLUMNS)


def _secret(value: str | None, option: str) -> str | None:
    if value is None and sys.stdin.isatty():
        asked = typer.prompt(f"{option} (hidden; empty for none)", default="", hide_input=True, show_default=False)
        return str(asked) or None
    return value


@app.command("register")
def register(
    name: NameOption,
    kind: Annotated[DatastoreKind, typer.Option("--type", "-t", help="local, s3 or azure-blob.", case_sensitive=False)],
    path: Annotated[str | None, typer.Option("--path", help="local: a folder of the server's host.")] = None,
    bucket: Annotated[str | None, typer.Option("--bucket", help="s3: the bucket.")] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="s3: a folder in the bucket.")] = None,
    endpoint_url: Annotated[str | None, typer.Option("--endpoint-url", help="s3: an S3-compatible service.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="s3: the bucket's region.")] = None,
    access_key_id: Annotated[str | None, typer.Option("--access-key-id", help="s3: the access key id.")] = None,
    secret_access_key: Annotated[
        str | None, typer.Option("--secret-access-key", help="s3: the secret key (asked for when left out).")
    ] = None,
    container_name: Annotated[str | None, typer.Option("--container-name", help="azure-blob: container.")] = None,
    account_name: Annotated[str | None, typer.Option("--account-name", help="azure-blob: storage account.")] = None,
    sas_token: Annotated[str | None, typer.Option("--sas-token", help="azure-blob: a SAS token.")] = None,
    account_key: Annotated[str | None, typer.Option("--account-key", help="azure-blob: an account key.")] = None,
    protocol: Annotated[str | None, typer.Option("--protocol", help="azure-blob: https or http.")] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="azure-blob: default core.windows.net.")] = None,
    overwrite: OverwriteOption = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Register a local folder, an S3 bucket or an Azure Blob container (secrets go to the vault)."""
    given = {
        DatastoreKind.LOCAL: {"--path": path},
        DatastoreKind.S3: {
            "--bucket": bucket,
            "--prefix": prefix,
            "--endpoint-url": endpoint_url,
            "--region": region,
            "--access-key-id": access_key_id,
            "--secret-access-key": secret_access_key,
        },
        DatastoreKind.AZURE_BLOB: {
            "--container-name": container_name,
            "--account-name": account_name,
            "--sas-token": sas_token,
            "--account-key": account_key,
            "--protocol": protocol,
            "--endpoint": endpoint,
        },
    }
    foreign = [flag for other, flags in given.items() if other is not kind for flag, v in flags.items() if v]
    if foreign:
        fail(f"--type {kind.value} does not take {', '.join(foreign)}.", 2)
    ws = _workspace(workspace_name, resource_group, subscription)
    if kind is DatastoreKind.LOCAL:
        if not path:
            fail("--type local needs --path (a folder of the server's host).", 2)
        store = Datastore.register_local(ws, name, path, overwrite=overwrite)
    elif kind is DatastoreKind.S3:
        if not bucket:
            fail("--type s3 needs --bucket.", 2)
        secret = secret_access_key or (_secret(None, "Secret access key") if access_key_id else None)
        store = Datastore.register_s3(
            ws, name, bucket, prefix, endpoint_url, access_key_id, secret, region, overwrite=overwrite
        )
    else:
        if not container_name or not account_name:
            fail("--type azure-blob needs --container-name and --account-name.", 2)
        store = Datastore.register_azure_blob_container(
            ws, name, container_name, account_name, sas_token, account_key, protocol, endpoint, overwrite=overwrite
        )
    render(_shown(store, output), output, DETAIL_COLUMNS)


@app.command("set-default")
def set_default(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Make a datastore the workspace's default."""
    ws = _workspace(workspace_name, resource_group, subscription)
    ws.set_default_datastore(name)
    note(f"Datastore '{name}' is now the default of workspace '{ws.name}'.")


@app.command("unregister")
def unregister(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    yes: YesOption = False,
) -> None:
    """Forget a datastore and its vault secret; its data stays where it is."""
    ws = _workspace(workspace_name, resource_group, subscription)
    store = Datastore.get(ws, name)
    if not yes:
        typer.confirm(f"Unregister datastore '{store.name}' of workspace '{ws.name}'?", abort=True)
    store.unregister()
    note(f"Unregistered datastore '{store.name}'; its data was not touched.")


@app.command("files")
def files(
    name: NameOption,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Only files in this folder.")] = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List a datastore's files."""
    store = Datastore.get(_workspace(workspace_name, resource_group, subscription), name)
    render(store.list_files(prefix), output, FILE_COLUMNS)


@app.command("upload")
def upload(
    name: NameOption,
    src: Annotated[Path, typer.Option("--src", "-s", help="A local file, or a folder to upload whole.")],
    target_path: Annotated[str | None, typer.Option("--target-path", help="A folder in the datastore.")] = None,
    overwrite: OverwriteOption = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Upload a file or a folder to a datastore (xxh128-checked, with a progress bar)."""
    store = Datastore.get(_workspace(workspace_name, resource_group, subscription), name)
    try:
        if src.is_dir():
            store.upload(src, target_path, overwrite=overwrite)
        elif src.is_file():
            store.upload_files([src], target_path=target_path, overwrite=overwrite)
        else:
            fail(f"'{src}' is neither a file nor a folder.", 2)
    except OSError as exc:
        fail(str(exc))


@app.command("download")
def download(
    name: NameOption,
    target_path: Annotated[Path, typer.Option("--target-path", "-d", help="Where to put the files.")] = Path("."),
    prefix: Annotated[str | None, typer.Option("--prefix", help="Only files in this folder.")] = None,
    overwrite: OverwriteOption = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Download a datastore's files (under their names) into a folder, checking each xxh128."""
    store = Datastore.get(_workspace(workspace_name, resource_group, subscription), name)
    try:
        count = store.download(target_path, prefix, overwrite=overwrite)
    except OSError as exc:
        fail(str(exc))
    if count == 0:
        note(f"Datastore '{store.name}' has no files" + (f" under '{prefix}'." if prefix else "."))
