"""How the CLI shows things: one renderer (table, JSON, YAML), progress, and the one error handler.

Results go to stdout (JSON and YAML exactly as the server sent them, camelCase keys);
messages, progress and errors go to stderr, so that ``-o json`` output can be piped.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlyard.core.errors import MlyardError, ServiceUnreachable

# Piped tables would be cut at rich's default of 80 columns; a wider page keeps ids whole.
_PIPE_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 200
console = Console(highlight=False, width=_PIPE_WIDTH)
err_console = Console(stderr=True, highlight=False)
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]00:00)?")

# (key in the server's JSON, column heading)
Columns = Sequence[tuple[str, str]]


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"


OutputOption = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", help="How to print the result: table, json or yaml.", case_sensitive=False),
]


def render(
    data: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    fmt: OutputFormat,
    columns: Columns,
    *,
    title: str | None = None,
) -> None:
    """Print one object (as field/value rows) or a list of objects (one row each)."""
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        return
    if fmt is OutputFormat.YAML:
        import yaml  # here, not at the top: `mlyard up` loads this module and never prints YAML

        plain = json.loads(json.dumps(data, default=str))
        sys.stdout.write(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True))
        return
    if isinstance(data, Mapping):
        table = Table(title=title, show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key, heading in columns:
            table.add_row(heading, escape(cell(data.get(key))))
    else:
        table = Table(title=title)
        for _, heading in columns:
            table.add_column(heading, overflow="fold")
        for item in data:
            table.add_row(*(escape(cell(item.get(key))) for key, _ in columns))
        if not data:
            err_console.print("(none)")
            return
    console.print(table)


def cell(value: Any) -> str:
    """A readable one-line form of a JSON value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(cell(v.get("name", v)) if isinstance(v, Mapping) else cell(v) for v in value)
    text = str(value)
    stamp = _TIMESTAMP.fullmatch(text)
    if stamp is not None:
        suffix = " UTC" if stamp.group(4) else ""
        return f"{stamp.group(1)} {stamp.group(2)}{suffix}"
    return text


def note(message: str) -> None:
    """A message for the person at the terminal (stderr, so that stdout stays parseable)."""
    err_console.print(message, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Stop with ``error: <message>``; code 2 means the command line itself was wrong."""
    err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def progress(message: str) -> Iterator[None]:
    """A spinner on stderr while slow work runs (shown only on a terminal)."""
    with err_console.status(message):
        yield


def run(app: Callable[[], Any]) -> None:
    """Run the Typer app, turning every mlyard error into one red line and exit code 1."""
    try:
        app()
    except MlyardError as exc:
        message = exc.message
        if isinstance(exc, ServiceUnreachable) and "mlyard up" not in message:
            message += " Start a server with 'mlyard up'."
        err_console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
        sys.exit(1)
