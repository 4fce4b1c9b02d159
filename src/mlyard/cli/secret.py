"""``mlyard secret set|show|list|delete``: the secrets in a workspace's vault.

Values stay off the screen unless asked for: ``show`` prints metadata, and the value only with
``--show-value``, because terminals are recorded (scrollback, screen sharing, CI logs). ``set``
reads the value from ``--value``, ``--file`` or, without either, a hidden prompt (a terminal)
or standard input (a pipe), so that it need not appear in the shell's history.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption, WorkspaceNameOption, YesOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.sdk.keyvault import Keyvault

app = typer.Typer(help="Secrets in a workspace's vault: versioned, encrypted at rest.", no_args_is_help=True)

NameOption = Annotated[str, typer.Option("--name", "-n", help="The secret's name (letters, digits, hyphens).")]
DETAIL_COLUMNS: Columns = (
    ("name", "name"),
    ("version", "version"),
    ("createdAt", "created"),
    ("createdBy", "created by"),
    ("versions", "versions"),
)
LIST_COLUMNS: Columns = (
    ("name", "Name"),
    ("version", "Version"),
    ("createdAt", "Updated"),
    ("createdBy", "By"),
)


def _vault(workspace_name: str | None, resource_group: str | None, subscription: str | None) -> Keyvault:
    return Context.load().workspace(workspace_name, resource_group, subscription).get_default_keyvault()


def _read_value(value: str | None, file: Path | None) -> str:
    if value is not None and file is not None:
        fail("Give the value by --value or by --file, not both.", 2)
    if value is not None:
        return value
    if file is not None and str(file) != "-":
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"Cannot read --file '{file}': {type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}.", 2)
    if file is None and sys.stdin.isatty():
        return str(typer.prompt("Value", hide_input=True, confirmation_prompt=True))
    # A pipe (or --file -): its text, without the one newline that echo and editors add.
    text = sys.stdin.read()
    text = text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text
    if not text:
        fail("No value was given: pass --value or --file, or pipe the value in.", 2)
    return text


@app.command("set")
def set_(
    name: NameOption,
    value: Annotated[
        str | None, typer.Option("--value", help="The value (beware: it stays in your shell's history).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the value from this file ('-': stdin).")
    ] = None,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Set a secret: each set adds a version. Without --value or --file, prompts (hidden) or reads stdin."""
    vault = _vault(workspace_name, resource_group, subscription)
    made = vault.set_secret(name, _read_value(value, file))
    render(made, output, DETAIL_COLUMNS[:-1])


@app.command("show")
def show(
    name: NameOption,
    version: Annotated[int | None, typer.Option("--version", min=1, help="A version (default: the newest).")] = None,
    show_value: Annotated[
        bool, typer.Option("--show-value", help="Print the value too (alone on stdout with the table output).")
    ] = False,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Show a secret's metadata; its value only with --show-value (terminals get recorded)."""
    vault = _vault(workspace_name, resource_group, subscription)
    if show_value:
        details = vault.get_secret_details(name, version)
        if output is OutputFormat.TABLE:
            sys.stdout.write(str(details["value"]) + "\n")
        else:
            render(details, output, ())
        return
    versions = vault.list_secret_versions(name)
    chosen: dict[str, Any] | None = versions[-1] if version is None else _version(versions, version)
    if chosen is None:
        fail(f"Secret '{name}' has no version {version}: its versions are {_numbers(versions)}.")
    render({**chosen, "versions": _numbers(versions)}, output, DETAIL_COLUMNS)


@app.command("list")
def list_(
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the secrets' names and newest versions (never their values)."""
    render(_vault(workspace_name, resource_group, subscription).list_secrets(), output, LIST_COLUMNS)


@app.command("delete")
def delete(
    name: NameOption,
    workspace_name: WorkspaceNameOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    yes: YesOption = False,
) -> None:
    """Delete a secret, every version of it; setting it again later starts a new version."""
    vault = _vault(workspace_name, resource_group, subscription)
    if not yes:
        typer.confirm(
            f"Delete secret '{name}' (every version) from the vault of workspace '{vault.workspace.name}'?",
            abort=True,
        )
    gone = vault.delete_secret(name)
    note(f"Deleted secret '{gone['name']}' ({gone['deletedVersions']} version(s)).")


def _version(versions: list[dict[str, Any]], number: int) -> dict[str, Any] | None:
    return next((v for v in versions if v.get("version") == number), None)


def _numbers(versions: list[dict[str, Any]]) -> str:
    return ", ".join(str(v["version"]) for v in versions)
