"""``mlyard ad user create|list|show|delete|set-password``."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli.context import Context
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.sdk import principals

app = typer.Typer(help="Users: people who sign in with a password.", no_args_is_help=True)

COLUMNS: Columns = (
    ("username", "Username"),
    ("displayName", "Display name"),
    ("email", "Email"),
    ("isActive", "Active"),
    ("createdAt", "Created"),
    ("id", "Id"),
)

UsernameOption = Annotated[str, typer.Option("--username", "-u", "--id", help="The user's name (or id).")]


def _new_password(password: str | None, whose: str) -> str:
    """The given password, else one typed twice without echo."""
    if password is not None:
        return password
    return str(typer.prompt(f"New password for {whose}", hide_input=True, confirmation_prompt=True))


@app.command("create")
def create(
    username: Annotated[str, typer.Option("--username", "-u", help="The name to sign in with.")],
    password: Annotated[
        str | None, typer.Option("--password", "-p", help="The password (asked twice, hidden, when missing).")
    ] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="Full name (default: username).")] = None,
    email: Annotated[str | None, typer.Option("--email", help="Email address.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a user."""
    client = Context.load().client
    secret = _new_password(password, username)
    render(principals.create_user(client, username, secret, display_name, email), output, COLUMNS)


@app.command("list")
def list_(output: OutputOption = OutputFormat.TABLE) -> None:
    """List the users."""
    render(principals.list_users(Context.load().client), output, COLUMNS)


@app.command("show")
def show(username: UsernameOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a user."""
    render(principals.get_user(Context.load().client, username), output, COLUMNS)


@app.command("delete")
def delete(username: UsernameOption) -> None:
    """Delete a user, with their tokens, role assignments and group memberships."""
    deleted = principals.delete_user(Context.load().client, username)
    note(f"Deleted user '{deleted['username']}'.")


@app.command("set-password")
def set_password(
    username: Annotated[
        str | None,
        typer.Option("--username", "-u", "--id", help="Whose password to set (administrators); default: your own."),
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", "-p", help="The new password (asked twice, hidden, when missing).")
    ] = None,
    current_password: Annotated[
        str | None,
        typer.Option("--current-password", help="Your current password, to change your own (asked when missing)."),
    ] = None,
) -> None:
    """Set a user's password: your own (proving the current one), or anyone's as an administrator."""
    client = Context.load().client
    if username is None:
        current = current_password
        if current is None:
            current = str(typer.prompt("Current password", hide_input=True))
        changed = principals.change_own_password(client, current, _new_password(password, "you"))
        note(f"Changed the password of '{changed['username']}'.")
        return
    if current_password is not None:
        fail("--current-password is for your own password: leave out --username to change yours.", 2)
    changed = principals.set_password(client, username, _new_password(password, username))
    note(f"Set the password of '{changed['username']}'.")
