"""``mlyard ad``: users, groups and service principals, as the Azure CLI's ``az ad``."""

from __future__ import annotations

import typer

from mlyard.cli.ad import group, sp, user

app = typer.Typer(help="The directory: users, groups and service principals.", no_args_is_help=True)
app.add_typer(user.app, name="user")
app.add_typer(group.app, name="group")
app.add_typer(sp.app, name="sp")

__all__ = ["app"]
