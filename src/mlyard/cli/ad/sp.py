"""``mlyard ad sp create|list|show|delete|reset-secret``: service principals."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from mlyard.cli.context import Context
from mlyard.cli.output import Columns, OutputFormat, OutputOption, note, render
from mlyard.sdk import principals

app = typer.Typer(help="Service principals: identities for scripts and pipelines.", no_args_is_help=True)

COLUMNS: Columns = (
    ("displayName", "Name"),
    ("clientId", "Client id"),
    ("secretExpiresAt", "Secret expires"),
    ("createdAt", "Created"),
    ("id", "Id"),
)
SECRET_COLUMNS: Columns = (*COLUMNS[:2], ("clientSecret", "Client secret"), COLUMNS[2])

IdOption = Annotated[str, typer.Option("--id", help="The client id (or display name, or object id).")]


def _show_secret(made: dict[str, Any], output: OutputFormat) -> None:
    render(made, output, SECRET_COLUMNS)
    if output is OutputFormat.TABLE:
        note(
            "Copy the client secret now: it is not shown again. Sign in with "
            "ServicePrincipalAuthentication(tenant_id=None, service_principal_id=<client id>, "
            "service_principal_password=<client secret>)."
        )


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", "-n", "--display-name", help="The display name.")],
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a service principal; its client secret is printed this once."""
    _show_secret(principals.create_service_principal(Context.load().client, name), output)


@app.command("list")
def list_(output: OutputOption = OutputFormat.TABLE) -> None:
    """List the service principals (never their secrets)."""
    render(principals.list_service_principals(Context.load().client), output, COLUMNS)


@app.command("show")
def show(ref: IdOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a service principal."""
    render(principals.get_service_principal(Context.load().client, ref), output, COLUMNS)


@app.command("delete")
def delete(ref: IdOption) -> None:
    """Delete a service principal, with its tokens, role assignments and group memberships."""
    deleted = principals.delete_service_principal(Context.load().client, ref)
    note(f"Deleted service principal '{deleted['displayName']}' ({deleted['clientId']}).")


@app.command("reset-secret")
def reset_secret(ref: IdOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Make a new client secret; the old one and the tokens it got stop working at once."""
    _show_secret(principals.reset_secret(Context.load().client, ref), output)
