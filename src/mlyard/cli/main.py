"""The ``mlyard`` command: nouns follow the Azure CLI (group, workspace, ad, role, deployment)."""

from __future__ import annotations

import typer

from mlyard.cli import server as server_cmds

app = typer.Typer(
    name="mlyard",
    help="mlyard: a self-hosted machine-learning workspace platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("up")(server_cmds.up)
app.command("server")(server_cmds.server)
app.add_typer(server_cmds.db_app, name="db")


def main() -> None:
    app()
