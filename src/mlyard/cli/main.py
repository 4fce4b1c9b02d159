"""The ``mlyard`` command: nouns follow the Azure CLI (group, workspace, ad, role, deployment)."""

from __future__ import annotations

import typer

from mlyard.cli import account, ad, deployment, group, role, secret, subscription, token, workspace
from mlyard.cli import audit as audit_cmds
from mlyard.cli import experiment as experiment_cmds
from mlyard.cli import run as run_cmds
from mlyard.cli import server as server_cmds
from mlyard.cli.output import run

app = typer.Typer(
    name="mlyard",
    help="mlyard: a self-hosted machine-learning workspace platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("up")(server_cmds.up)
app.command("server")(server_cmds.server)
app.add_typer(server_cmds.db_app, name="db")
app.command("login")(account.login)
app.command("logout")(account.logout)
app.command("whoami")(account.whoami)
app.add_typer(subscription.app, name="subscription")
app.add_typer(group.app, name="group")
app.add_typer(workspace.app, name="workspace")
app.add_typer(token.app, name="token")
app.add_typer(ad.app, name="ad")
app.add_typer(deployment.app, name="deployment")
app.add_typer(audit_cmds.app, name="audit")
app.add_typer(secret.app, name="secret")
app.add_typer(role.app, name="role")
app.add_typer(experiment_cmds.app, name="experiment")
app.add_typer(run_cmds.app, name="run")


def main() -> None:
    run(app)
