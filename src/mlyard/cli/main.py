"""The ``mlyard`` command: nouns follow the Azure CLI (group, workspace, ad, role, deployment).

A command's module is imported only when that command runs (``mlyard --help`` imports them all
to list them), so that ``mlyard up`` loads the server without the client commands, the SDK and
httpx: it starts sooner.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

from mlyard.cli.output import run

# One line per command, in the order ``--help`` lists them: its name -> "module:attribute",
# the attribute being a Typer app (a group of commands) or a command function.
COMMANDS: dict[str, str] = {
    "up": "mlyard.cli.server:up",
    "server": "mlyard.cli.server:server",
    "db": "mlyard.cli.server:db_app",
    "gc": "mlyard.cli.gc:gc",
    "login": "mlyard.cli.account:login",
    "logout": "mlyard.cli.account:logout",
    "whoami": "mlyard.cli.account:whoami",
    "subscription": "mlyard.cli.subscription:app",
    "group": "mlyard.cli.group:app",
    "workspace": "mlyard.cli.workspace:app",
    "token": "mlyard.cli.token:app",
    "ad": "mlyard.cli.ad:app",
    "deployment": "mlyard.cli.deployment:app",
    "audit": "mlyard.cli.audit:app",
    "secret": "mlyard.cli.secret:app",
    "datastore": "mlyard.cli.datastore:app",
    "dataset": "mlyard.cli.dataset:app",
    "role": "mlyard.cli.role:app",
    "experiment": "mlyard.cli.experiment:app",
    "run": "mlyard.cli.run:app",
    "job": "mlyard.cli.job:app",
    "compute": "mlyard.cli.compute:app",
    "notebook": "mlyard.cli.notebook:app",
    "environment": "mlyard.cli.environment:app",
}


def load_command(name: str) -> Any:
    """The click command (or group) for ``name``, its module imported now."""
    module, attribute = COMMANDS[name].split(":")
    found = getattr(importlib.import_module(module), attribute)
    if isinstance(found, typer.Typer):
        group = typer.main.get_group(found)
        group.name = name
        return group
    holder = typer.Typer(add_completion=False)
    holder.command(name)(found)
    return typer.main.get_command(holder)


class LazyCommands(MutableMapping[str, Any]):
    """A group's commands by name; each is loaded on first lookup, so that listing names is free."""

    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load_command(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._loaded if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS.keys() | self._loaded.keys())


class LazyGroup(TyperGroup):
    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands()


app = typer.Typer(
    name="mlyard",
    help="mlyard: a self-hosted machine-learning workspace platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


@app.callback()
def _root() -> None:
    """mlyard: a self-hosted machine-learning workspace platform."""


def main() -> None:
    run(app)
