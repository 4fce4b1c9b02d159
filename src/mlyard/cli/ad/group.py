"""``mlyard ad group create|list|show|delete`` and ``mlyard ad group member add|remove|list``."""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli.context import Context
from mlyard.cli.output import Columns, OutputFormat, OutputOption, note, render
from mlyard.sdk import principals

app = typer.Typer(help="Groups: assign a role to a group, and every member holds it.", no_args_is_help=True)
member_app = typer.Typer(help="A group's members: users, service principals or other groups.", no_args_is_help=True)
app.add_typer(member_app, name="member")

COLUMNS: Columns = (("name", "Name"), ("description", "Description"), ("createdAt", "Created"), ("id", "Id"))
MEMBER_COLUMNS: Columns = (("name", "Name"), ("type", "Type"), ("id", "Id"))

NameOption = Annotated[str, typer.Option("--name", "-n", "--group", "-g", help="The group's name (or id).")]
GroupOption = Annotated[str, typer.Option("--group", "-g", help="The group's name (or id).")]
MemberOption = Annotated[
    str,
    typer.Option(
        "--member",
        "-m",
        help="A user, group or service principal by name, client id or id; prefix user:, group: or sp: "
        "when a name is shared.",
    ),
]


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", "-n", help="The group's name (spaces allowed).")],
    description: Annotated[str | None, typer.Option("--description", help="What the group is for.")] = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Create a group."""
    render(principals.create_group(Context.load().client, name, description), output, COLUMNS)


@app.command("list")
def list_(output: OutputOption = OutputFormat.TABLE) -> None:
    """List the groups."""
    render(principals.list_groups(Context.load().client), output, COLUMNS)


@app.command("show")
def show(name: NameOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a group."""
    render(principals.get_group(Context.load().client, name), output, COLUMNS)


@app.command("delete")
def delete(name: NameOption) -> None:
    """Delete a group: its members stay, without the roles it gave them."""
    deleted = principals.delete_group(Context.load().client, name)
    note(f"Deleted group '{deleted['name']}'.")


@member_app.command("add")
def add(group: GroupOption, member: MemberOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Add a member to a group (adding one twice changes nothing)."""
    added = principals.add_member(Context.load().client, group, member)
    if output is OutputFormat.TABLE:
        note(f"Added {added['type']} '{added['name']}' to group '{group}'.")
        return
    render(added, output, MEMBER_COLUMNS)


@member_app.command("remove")
def remove(group: GroupOption, member: MemberOption) -> None:
    """Remove a direct member from a group."""
    removed = principals.remove_member(Context.load().client, group, member)
    note(f"Removed {removed['type']} '{removed['name']}' from group '{group}'.")


@member_app.command("list")
def list_members(group: GroupOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """List a group's direct members."""
    render(principals.list_members(Context.load().client, group), output, MEMBER_COLUMNS)
