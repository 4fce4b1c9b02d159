"""``mlyard role definition …`` and ``mlyard role assignment …`` (``az role``).

A role definition is a JSON file (or inline JSON) in mlyard's form or an Azure custom role's,
unchanged. An assignment's scope is ``--scope``, or the workspace (``-w``) or resource group
(``-g``) named by the flags, each missing part taken from config.json.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mlyard.cli.context import Context, ResourceGroupOption, SubscriptionOption
from mlyard.cli.output import Columns, OutputFormat, OutputOption, fail, note, render
from mlyard.core.scopes import Scope
from mlyard.sdk import access

app = typer.Typer(help="Roles and who holds them: role definitions and role assignments.", no_args_is_help=True)
definition_app = typer.Typer(help="Role definitions: the built-in roles and custom ones.", no_args_is_help=True)
assignment_app = typer.Typer(help="Role assignments: who holds which role at which scope.", no_args_is_help=True)
app.add_typer(definition_app, name="definition")
app.add_typer(assignment_app, name="assignment")

DEFINITION_COLUMNS: Columns = (
    ("name", "Name"),
    ("roleType", "Type"),
    ("description", "Description"),
    ("assignableScopes", "Assignable scopes"),
)
DEFINITION_DETAIL: Columns = (
    ("name", "name"),
    ("roleType", "type"),
    ("description", "description"),
    ("actions", "actions"),
    ("notActions", "not actions"),
    ("assignableScopes", "assignable scopes"),
    ("id", "id"),
)
ASSIGNMENT_COLUMNS: Columns = (
    ("principalName", "Principal"),
    ("principalType", "Type"),
    ("roleDefinitionName", "Role"),
    ("scope", "Scope"),
    ("id", "Id"),
)

RoleDefinitionOption = Annotated[
    str, typer.Option("--role-definition", help="The role as a JSON file's path or inline JSON (mlyard's or Azure's).")
]
RoleNameOption = Annotated[str, typer.Option("--name", "-n", help="The role's name.")]
ScopeOption = Annotated[
    str | None,
    typer.Option("--scope", help="'/', /subscriptions/S[/resourceGroups/R[/workspaces/W]] or Azure's long form."),
]
WorkspaceOption = Annotated[
    str | None,
    typer.Option("--workspace-name", "-w", help="Scope: this workspace (group and subscription from config)."),
]
AssigneeOption = Annotated[
    str | None,
    typer.Option("--assignee", help="A user, group or service principal (name, client id or id; 'group:NAME')."),
]


# definitions


@definition_app.command("create")
def definition_create(role_definition: RoleDefinitionOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Define a custom role."""
    ctx = Context.load()
    render(
        access.create_role_definition(ctx.client, access.load_role_definition(role_definition)),
        output,
        DEFINITION_DETAIL,
    )


@definition_app.command("list")
def definition_list(
    custom_only: Annotated[bool, typer.Option("--custom-only", help="Only custom roles.")] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the roles you may assign somewhere."""
    render(access.list_role_definitions(Context.load().client, custom_only=custom_only), output, DEFINITION_COLUMNS)


@definition_app.command("show")
def definition_show(name: RoleNameOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Show a role's actions, not-actions and assignable scopes."""
    render(access.get_role_definition(Context.load().client, name), output, DEFINITION_DETAIL)


@definition_app.command("update")
def definition_update(role_definition: RoleDefinitionOption, output: OutputOption = OutputFormat.TABLE) -> None:
    """Replace a custom role (named by the JSON's Name); its assignments stay."""
    ctx = Context.load()
    render(
        access.update_role_definition(ctx.client, access.load_role_definition(role_definition)),
        output,
        DEFINITION_DETAIL,
    )


@definition_app.command("delete")
def definition_delete(
    name: RoleNameOption,
    force: Annotated[bool, typer.Option("--force", help="Delete the role's assignments too.")] = False,
) -> None:
    """Delete a custom role (one still assigned only with --force)."""
    removed = access.delete_role_definition(Context.load().client, name, force=force)
    count = len(removed.get("removedAssignments", []))
    note(f"Deleted role '{removed['name']}'" + (f" and its {count} assignment(s)." if count else "."))


# assignments


def _scope(
    ctx: Context, scope: str | None, workspace: str | None, group: str | None, subscription: str | None
) -> str | None:
    """--scope, else the workspace (-w) or resource group (-g) the flags name; None when none is given."""
    if scope is not None:
        return Scope.parse(scope).path
    if workspace is not None:
        return Scope(ctx.subscription(subscription), ctx.resource_group(group), workspace).path
    if group is not None:
        return Scope(ctx.subscription(subscription), group).path
    if subscription is not None:
        return Scope(subscription).path
    return None


@assignment_app.command("create")
def assignment_create(
    role: Annotated[str, typer.Option("--role", help="The role's name (see 'mlyard role definition list').")],
    assignee: Annotated[str, typer.Option("--assignee", help="Who gets the role: a user, group or service principal.")],
    scope: ScopeOption = None,
    workspace: WorkspaceOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """Give a principal a role at a scope (and everything below it)."""
    ctx = Context.load()
    target = _scope(ctx, scope, workspace, resource_group, subscription)
    if target is None:
        fail("Name where the role holds: --scope, or -w/-g for a workspace or resource group.", 2)
    render(access.create_role_assignment(ctx.client, assignee, role, target), output, ASSIGNMENT_COLUMNS)


@assignment_app.command("list")
def assignment_list(
    assignee: AssigneeOption = None,
    scope: ScopeOption = None,
    workspace: WorkspaceOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
    include_inherited: Annotated[
        bool, typer.Option("--include-inherited", help="Also the assignments above the scope that hold there.")
    ] = False,
    output: OutputOption = OutputFormat.TABLE,
) -> None:
    """List the role assignments you may read, at the scope and below (everywhere by default)."""
    ctx = Context.load()
    target = _scope(ctx, scope, workspace, resource_group, subscription)
    found = access.list_role_assignments(
        ctx.client, scope=target, assignee=assignee, include_inherited=include_inherited
    )
    render(found, output, ASSIGNMENT_COLUMNS)


@assignment_app.command("delete")
def assignment_delete(
    assignment_id: Annotated[str | None, typer.Option("--id", help="The assignment's id.")] = None,
    assignee: AssigneeOption = None,
    role: Annotated[str | None, typer.Option("--role", help="With --assignee: the role to take away.")] = None,
    scope: ScopeOption = None,
    workspace: WorkspaceOption = None,
    resource_group: ResourceGroupOption = None,
    subscription: SubscriptionOption = None,
) -> None:
    """Delete a role assignment, by --id or by --assignee, --role and scope."""
    ctx = Context.load()
    if assignment_id is not None:
        if assignee or role:
            fail("Give either --id or --assignee with --role, not both.", 2)
        access.delete_role_assignment(ctx.client, assignment_id)
        note(f"Deleted role assignment {assignment_id}.")
        return
    target = _scope(ctx, scope, workspace, resource_group, subscription)
    if not assignee or not role or target is None:
        fail("Name the assignment: --id ID, or --assignee, --role and --scope (or -w/-g).", 2)
    for gone in access.delete_role_assignments(ctx.client, assignee, role, target):
        who, held = gone["principalName"], gone["roleDefinitionName"]
        note(f"Deleted role assignment {gone['id']}: {who} as {held} at {gone['scope']}.")
