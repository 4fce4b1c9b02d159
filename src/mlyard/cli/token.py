"""``mlyard token create|list|revoke``: your personal access tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli.context import Context
from mlyard.cli.output import Columns, OutputFormat, OutputOption, note, render
from mlyard.sdk import authentication as auth

app = typer.Typer(help="Personal access tokens, for scripts and TokenAuthentication.", no_args_is_help=True)

COLUMNS: Columns = (
    ("id", "Id"),
    ("name", "Name"),
    ("createdAt", "Created"),
    ("expiresAt", "Expires"),
    ("lastUsedAt", "Last used"),
    ("revokedAt", "Revoked"),
)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", "-n", help="What the token is for.")],
    expires_in_days: Annotated[
        int | None, typer.Option("--expires-in-days", min=1, max=3650, help="Lifetime (default: the server's).")
    ] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a token; its secret is printed this once and never again."""
    made = auth.create_token(Context.load().client, name, expires_in_days)
    if output is not OutputFormat.TABLE:
        render(made, output, COLUMNS)
        return
    render(made, output, (*COLUMNS[:4], ("token", "Token")))
    note("Copy the token now: it is not shown again. Use it as MLYARD_TOKEN or TokenAuthentication(token).")


@app.command("list")
def list_(output: OutputOption = OutputFormat.TABLE) -> None:
    """List your tokens (never their secrets)."""
    render(auth.list_tokens(Context.load().client), output, COLUMNS)


@app.command("revoke")
def revoke(token_id: Annotated[str, typer.Argument(help="The token's id (see 'mlyard token list').")]) -> None:
    """Revoke a token: it stops working at once."""
    revoked = auth.revoke_token(Context.load().client, token_id)
    note(f"Revoked token '{revoked['name']}' ({revoked['id']}).")
