"""Role definitions, role assignments and effective permissions through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from mlyard.api.rbac import RoleDefinitionIn
from mlyard.core import actions as A
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.errors import (
    AuthorizationError,
    InvalidName,
    InvalidRoleDefinition,
    LastOwner,
    NotFound,
    PrincipalNotFound,
    RoleAssignmentAlreadyExists,
    RoleAssignmentNotFound,
    RoleDefinitionAlreadyExists,
    RoleDefinitionInUse,
    RoleDefinitionNotFound,
    RoleDefinitionReadOnly,
    RoleNotAssignable,
    SubscriptionNotFound,
    ValidationError,
    WorkspaceNotFound,
)
from mlyard.core.scopes import Scope
from mlyard.services import groups, identity, permissions, rbac, role_assignments, role_definitions, subscriptions
from mlyard.services import workspaces as ws_svc
from mlyard.services.platform import Platform
from mlyard.services.role_definitions import RoleSpec

SUB = Scope("sub1")
RG = Scope("sub1", "rg1")
WS = Scope("sub1", "rg1", "ws1")
WS_AZURE = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1"
ML = "Microsoft.MachineLearningServices/"

AZURE_ROLE = {
    "Name": "Data Scientist Custom",
    "IsCustom": True,
    "Description": "Can run experiments but cannot create or delete compute.",
    "Actions": ["*"],
    "NotActions": [
        f"{ML}workspaces/*/delete",
        f"{ML}workspaces/write",
        f"{ML}workspaces/computes/*/write",
        f"{ML}workspaces/computes/*/delete",
        "Microsoft.Authorization/*/write",
    ],
    "DataActions": [],
    "NotDataActions": [],
    "AssignableScopes": [WS_AZURE],
}


def user(p: Platform, name: str) -> Principal:
    made = identity.create_user(p.db, name, "a-long-password")
    return Principal(made.id, PrincipalType.USER, made.username, "test")


def authz(p: Platform, who: Principal) -> rbac.Authorizer:
    return rbac.Authorizer(p.db, who)


def spec(name: str = "Ops", actions: tuple[str, ...] = ("workspaces/computes/*",), **kw: object) -> RoleSpec:
    return RoleSpec(name, str(kw.pop("description", "")), actions, **kw)  # type: ignore[arg-type]


def from_json(body: dict[str, object]) -> RoleSpec:
    parsed = RoleDefinitionIn.model_validate(body)
    return RoleSpec(
        parsed.name,
        parsed.description,
        tuple(parsed.actions),
        tuple(parsed.not_actions),
        tuple(parsed.assignable_scopes),
        tuple(parsed.data_actions),
        tuple(parsed.not_data_actions),
    )


@pytest.fixture
def world(platform: Platform, admin: Principal) -> Platform:
    """sub1/rg1/ws1 and sub2/rg2/ws2, all owned by the admin (Owner at '/')."""
    for sub, rg, ws in (("sub1", "rg1", "ws1"), ("sub2", "rg2", "ws2")):
        subscriptions.create_subscription(platform, admin, sub)
        subscriptions.create_resource_group(platform, admin, sub, rg)
        ws_svc.create_workspace(platform, admin, sub, rg, ws)
    return platform


# role definitions


def test_an_azure_custom_role_imports_unchanged(world: Platform, admin: Principal) -> None:
    role = role_definitions.create_role_definition(world, authz(world, admin), from_json(AZURE_ROLE))
    assert role.is_custom and role.name == "Data Scientist Custom"
    assert role.actions == ("*",)
    assert role.not_actions == (
        "workspaces/*/delete",
        "workspaces/write",
        "workspaces/computes/*/write",
        "workspaces/computes/*/delete",
        "*/write",
    )
    assert role.assignable_scopes == ("/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1",)
    # It means the same as in Azure.
    assert role.allows("workspaces/experiments/runs/submit/action")
    assert not role.allows("workspaces/computes/write") and not role.allows("roleAssignments/write")


def test_our_json_and_azure_json_are_the_same_role() -> None:
    ours = from_json(
        {
            "name": "X",
            "description": "d",
            "actions": [f"{ML}workspaces/read"],
            "notActions": [],
            "assignableScopes": ["/"],
        }
    )
    azure = from_json({"Name": "X", "Description": "d", "Actions": [f"{ML}workspaces/read"], "AssignableScopes": ["/"]})
    assert ours == azure


@pytest.mark.parametrize(
    "body, needle",
    [
        ({"Name": "X", "name": "Y"}, "twice"),
        ({"Name": "X", "IsCustom": False}, "IsCustom"),
        ({"Name": "X", "Colour": "red"}, "colour"),
    ],
)
def test_malformed_role_json_is_refused(body: dict[str, object], needle: str) -> None:
    with pytest.raises(Exception, match=needle):
        RoleDefinitionIn.model_validate(body)


@pytest.mark.parametrize(
    "actions, target, needle",
    [
        (("Microsoft.Storage/storageAccounts/read",), "actions[0]", "provider 'Microsoft.Storage'"),
        (("workspaces/read", "computers/write"), "actions[1]", "'computers' is not an mlyard resource type"),
        (("workspaces//read",), "actions[0]", "empty segment"),
        (("workspaces/computes",), "actions[0]", "must end in /read"),
        (("workspaces/re ad",), "actions[0]", "may hold only"),
        (("",), "actions[0]", "is empty"),
        ((), "actions", "at least one action"),
    ],
)
def test_bad_actions_are_refused_naming_the_entry(
    world: Platform, admin: Principal, actions: tuple[str, ...], target: str, needle: str
) -> None:
    with pytest.raises(InvalidRoleDefinition, match=needle) as caught:
        role_definitions.create_role_definition(
            world, authz(world, admin), spec(actions=actions, assignable_scopes=("/",))
        )
    assert caught.value.target == target
    if actions and actions[-1]:
        assert repr(actions[-1])[1:-1] in caught.value.message


def test_other_validation_errors(world: Platform, admin: Principal) -> None:
    z = authz(world, admin)
    with pytest.raises(InvalidRoleDefinition, match="notActions\\[0\\]"):
        role_definitions.create_role_definition(world, z, spec(not_actions=("nope/read",), assignable_scopes=("/",)))
    with pytest.raises(InvalidRoleDefinition, match="dataActions are not supported") as caught:
        role_definitions.create_role_definition(
            world, z, spec(data_actions=("Microsoft.Storage/x/read",), assignable_scopes=("/",))
        )
    assert caught.value.target == "dataActions"
    with pytest.raises(InvalidRoleDefinition, match="assignableScopes is empty"):
        role_definitions.create_role_definition(world, z, spec())
    with pytest.raises(InvalidRoleDefinition, match="assignableScopes\\[1\\]"):
        role_definitions.create_role_definition(world, z, spec(assignable_scopes=("/", "/nowhere/x")))
    with pytest.raises(WorkspaceNotFound):
        role_definitions.create_role_definition(
            world, z, spec(assignable_scopes=("/subscriptions/sub1/resourceGroups/rg1/workspaces/nope",))
        )
    with pytest.raises(InvalidName):
        role_definitions.create_role_definition(world, z, spec(name="a/b", assignable_scopes=("/",)))


def test_names_are_unique_built_ins_included(world: Platform, admin: Principal) -> None:
    z = authz(world, admin)
    role_definitions.create_role_definition(world, z, spec(assignable_scopes=("/",)))
    with pytest.raises(RoleDefinitionAlreadyExists, match="custom role named 'Ops'"):
        role_definitions.create_role_definition(world, z, spec(name="OPS", assignable_scopes=("/",)))
    with pytest.raises(RoleDefinitionAlreadyExists, match="built-in"):
        role_definitions.create_role_definition(world, z, spec(name="owner", assignable_scopes=("/",)))


def test_built_in_roles_cannot_change(world: Platform, admin: Principal) -> None:
    z = authz(world, admin)
    with pytest.raises(RoleDefinitionReadOnly, match="built-in"):
        role_definitions.update_role_definition(world, z, "Owner", spec(name="Owner", assignable_scopes=("/",)))
    with pytest.raises(RoleDefinitionReadOnly):
        role_definitions.delete_role_definition(world, z, "reader", force=True)
    assert role_definitions.get_role_definition(world, z, "Owner").actions == ("*",)


def test_update_replaces_and_keeps_assignments(world: Platform, admin: Principal) -> None:
    z = authz(world, admin)
    role_definitions.create_role_definition(world, z, spec(assignable_scopes=(str(SUB),)))
    kim = user(world, "kim")
    role_assignments.create_role_assignment(world, admin, "kim", "Ops", WS)
    changed = role_definitions.update_role_definition(
        world, z, "ops", spec(actions=("workspaces/read",), description="new", assignable_scopes=(str(RG),))
    )
    assert (changed.actions, changed.description, changed.assignable_scopes) == (
        ("workspaces/read",),
        "new",
        ("/subscriptions/sub1/resourceGroups/rg1",),
    )
    assert authz(world, kim).can("workspaces/read", WS) and not authz(world, kim).can("workspaces/computes/write", WS)
    with pytest.raises(
        InvalidRoleDefinition, match="assigned at /subscriptions/sub1/resourceGroups/rg1/workspaces/ws1"
    ):
        role_definitions.update_role_definition(world, z, "Ops", spec(assignable_scopes=("/subscriptions/sub2",)))
    with pytest.raises(InvalidRoleDefinition, match="cannot be renamed"):
        role_definitions.update_role_definition(world, z, "Ops", spec(name="Other", assignable_scopes=("/",)))


def test_a_role_in_use_is_deleted_only_with_force(world: Platform, admin: Principal) -> None:
    z = authz(world, admin)
    role_definitions.create_role_definition(world, z, spec(assignable_scopes=("/",)))
    user(world, "kim")
    made = role_assignments.create_role_assignment(world, admin, "kim", "Ops", WS)
    with pytest.raises(RoleDefinitionInUse, match=made.assignment.id) as caught:
        role_definitions.delete_role_definition(world, z, "Ops")
    assert str(WS) in caught.value.message and "force" in caught.value.message
    removed = role_definitions.delete_role_definition(world, z, "Ops", force=True)
    assert [a.id for a in removed] == [made.assignment.id]
    with pytest.raises(RoleDefinitionNotFound):
        role_definitions.get_role_definition(world, z, "Ops")
    assert role_assignments.list_role_assignments(world, z, WS) == []


def test_a_subscription_owner_defines_roles_for_their_subscription_only(world: Platform, admin: Principal) -> None:
    kim = user(world, "kim")
    rbac.assign_role(world.db, kim.id, kim.type, "Owner", SUB, created_by=None)
    z = authz(world, kim)
    mine = role_definitions.create_role_definition(world, z, spec(name="Mine", assignable_scopes=(str(WS), str(SUB))))
    assert mine.assignable_scopes == (str(WS), str(SUB))
    with pytest.raises(SubscriptionNotFound):
        role_definitions.create_role_definition(
            world, z, spec(name="Theirs", assignable_scopes=("/subscriptions/sub2",))
        )
    with pytest.raises(AuthorizationError, match="'roleDefinitions/write' at scope '/'"):
        role_definitions.create_role_definition(world, z, spec(name="Everywhere", assignable_scopes=("/",)))
    role_definitions.create_role_definition(
        world, authz(world, admin), spec(name="Theirs", assignable_scopes=("/subscriptions/sub2",))
    )
    # Kim sees the built-in roles (assignable everywhere) and her own, not another subscription's.
    seen = {r.name for r in role_definitions.list_role_definitions(world, z)}
    assert {"Owner", "Reader", "Mine"} <= seen and "Theirs" not in seen
    assert [r.name for r in role_definitions.list_role_definitions(world, z, custom_only=True)] == ["Mine"]
    with pytest.raises(RoleDefinitionNotFound):
        role_definitions.get_role_definition(world, z, "Theirs")
    with pytest.raises(RoleDefinitionNotFound):
        role_definitions.delete_role_definition(world, z, "Theirs")
    role_definitions.delete_role_definition(world, z, "Mine")


def test_nobody_sees_roles_without_role_definitions_read(world: Platform) -> None:
    kim = user(world, "kim")
    rbac.assign_role(world.db, kim.id, kim.type, "Data Scientist", WS, created_by=None)
    assert role_definitions.list_role_definitions(world, authz(world, kim)) == []


# role assignments


def test_assignment_create_list_delete(world: Platform, admin: Principal) -> None:
    kim = user(world, "kim")
    made = role_assignments.create_role_assignment(world, admin, "KIM", "reader", WS)
    a = made.assignment
    assert (made.principal_name, a.principal_id, a.role_name, a.scope, a.created_by) == (
        "kim",
        kim.id,
        "Reader",
        "/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1",
        admin.id,
    )
    z = authz(world, admin)
    assert [n.assignment.id for n in role_assignments.list_role_assignments(world, z, WS)] == [a.id]
    assert [n.assignment.id for n in role_assignments.list_role_assignments(world, z, SUB, assignee="kim")] == [a.id]
    assert role_assignments.list_role_assignments(world, z, Scope("sub2")) == []
    with pytest.raises(RoleAssignmentAlreadyExists, match="already holds role 'Reader'"):
        role_assignments.create_role_assignment(world, admin, "kim", "Reader", Scope.parse(WS_AZURE))
    role_assignments.delete_role_assignment(world, z, a.id)
    assert role_assignments.list_role_assignments(world, z, WS) == []
    with pytest.raises(RoleAssignmentNotFound):
        role_assignments.delete_role_assignment(world, z, a.id)


def test_assignment_errors(world: Platform, admin: Principal) -> None:
    user(world, "kim")
    with pytest.raises(PrincipalNotFound):
        role_assignments.create_role_assignment(world, admin, "nobody", "Reader", WS)
    with pytest.raises(RoleDefinitionNotFound, match="No role named 'Boss'"):
        role_assignments.create_role_assignment(world, admin, "kim", "Boss", WS)
    with pytest.raises(WorkspaceNotFound):
        role_assignments.create_role_assignment(world, admin, "kim", "Reader", Scope("sub1", "rg1", "nope"))


def test_a_role_is_assignable_only_within_its_scopes(world: Platform, admin: Principal) -> None:
    user(world, "kim")
    role_definitions.create_role_definition(world, authz(world, admin), spec(assignable_scopes=(str(RG),)))
    role_assignments.create_role_assignment(world, admin, "kim", "Ops", WS)
    role_assignments.create_role_assignment(world, admin, "kim", "Ops", RG)
    for outside in (SUB, Scope("sub2", "rg2", "ws2"), Scope()):
        with pytest.raises(RoleNotAssignable, match="assignable only at /subscriptions/sub1/resourceGroups/rg1"):
            role_assignments.create_role_assignment(world, admin, "kim", "Ops", outside)


def test_lists_show_only_what_the_caller_may_read(world: Platform, admin: Principal) -> None:
    kim, lee = user(world, "kim"), user(world, "lee")
    rbac.assign_role(world.db, kim.id, kim.type, "Owner", WS, created_by=None)
    role_assignments.create_role_assignment(world, admin, "lee", "Reader", Scope("sub2", "rg2", "ws2"))
    role_assignments.create_role_assignment(world, admin, "lee", "Reader", WS)
    z = authz(world, kim)
    everything = role_assignments.list_role_assignments(world, z, Scope())
    assert {(n.principal_name, n.assignment.scope) for n in everything} == {("kim", str(WS)), ("lee", str(WS))}
    inherited = role_assignments.list_role_assignments(world, z, WS, include_inherited=True)
    assert ("root-admin", "/") in {(n.principal_name, n.assignment.scope) for n in inherited}
    assert lee.id not in {
        n.assignment.principal_id
        for n in role_assignments.list_role_assignments(world, z, SUB)
        if n.assignment.scope != str(WS)
    }
    # Kim cannot delete what she cannot see: the answer does not say it exists.
    root_owner = next(n.assignment for n in inherited if n.assignment.scope == "/")
    with pytest.raises(AuthorizationError, match="'roleAssignments/delete' at scope '/'"):
        role_assignments.delete_role_assignment(world, z, root_owner.id)
    hidden = role_assignments.list_role_assignments(world, authz(world, admin), Scope("sub2"))[0].assignment
    with pytest.raises(RoleAssignmentNotFound):
        role_assignments.delete_role_assignment(world, z, hidden.id)


def test_the_last_root_owner_cannot_remove_themselves(platform: Platform, admin: Principal) -> None:
    own = role_assignments.list_role_assignments(platform, authz(platform, admin), Scope())[0].assignment
    with pytest.raises(LastOwner, match="nobody else would own the whole installation"):
        role_assignments.delete_role_assignment(platform, authz(platform, admin), own.id)
    user(platform, "kim")
    role_assignments.create_role_assignment(platform, admin, "kim", "Owner", Scope())
    role_assignments.delete_role_assignment(platform, authz(platform, admin), own.id)


def test_the_last_owner_of_a_subscription_cannot_remove_themselves(platform: Platform) -> None:
    kim = user(platform, "kim")
    user(platform, "lee")
    subscriptions.create_subscription(platform, kim, "sub1")  # its creator owns it; nobody owns '/'
    made = role_assignments.create_role_assignment(platform, kim, "lee", "Owner", SUB)
    role_assignments.delete_role_assignment(platform, authz(platform, kim), made.assignment.id)
    own = role_assignments.list_role_assignments(platform, authz(platform, kim), SUB, assignee="kim")[0]
    with pytest.raises(LastOwner, match="nobody else would own subscription 'sub1'") as caught:
        role_assignments.delete_role_assignment(platform, authz(platform, kim), own.assignment.id)
    assert "mlyard role assignment create --role Owner --scope /subscriptions/sub1" in caught.value.message
    assert authz(platform, kim).can("roleAssignments/write", SUB)
    # An Owner below the subscription does not own it.
    subscriptions.create_resource_group(platform, kim, "sub1", "rg1")
    role_assignments.create_role_assignment(platform, kim, "lee", "Owner", RG)
    with pytest.raises(LastOwner):
        role_assignments.delete_role_assignment(platform, authz(platform, kim), own.assignment.id)


def test_an_owner_held_through_a_group_counts(platform: Platform) -> None:
    kim, lee = user(platform, "kim"), user(platform, "lee")
    rbac.assign_role(platform.db, kim.id, kim.type, "Owner", Scope(), created_by=None)
    groups.create_group(platform.db, "admins")
    groups.add_member(platform.db, "admins", "lee")
    role_assignments.create_role_assignment(platform, kim, "admins", "Owner", Scope())
    own = role_assignments.list_role_assignments(platform, authz(platform, kim), Scope(), assignee="kim")[0]
    role_assignments.delete_role_assignment(platform, authz(platform, kim), own.assignment.id)
    assert authz(platform, lee).can("roleAssignments/write", SUB)


# effective permissions


def test_permissions_are_inherited_and_checked(world: Platform, admin: Principal) -> None:
    kim = user(world, "kim")
    role_assignments.create_role_assignment(world, admin, "kim", "Data Scientist", RG)
    z = authz(world, kim)
    scope, held = permissions.permissions_at(world, z, Scope("SUB1", "RG1", "WS1"))
    assert scope.path == str(WS)
    assert [(p.role.name, p.assigned_at.path) for p in held] == [("Data Scientist", str(RG))]
    decisions = permissions.check_access(
        world,
        z,
        WS,
        [
            f"{ML}workspaces/experiments/runs/submit/action",
            "workspaces/computes/write",
            "roleAssignments/write",
            A.SELF,
        ],
    )
    assert [d.allowed for d in decisions] == [True, False, False, True]
    assert decisions[0].action == "workspaces/experiments/runs/submit/action"
    assert (
        "granted by role 'Data Scientist' assigned at '/subscriptions/sub1/resourceGroups/rg1'" in decisions[0].reason
    )
    assert "missing 'workspaces/computes/write' at '/subscriptions/sub1/resourceGroups/rg1/workspaces/ws1'" in (
        decisions[1].reason
    )
    assert "notActions entry 'workspaces/computes/*/write'" in decisions[1].reason
    assert "no role you hold there or above includes it" in decisions[2].reason


def test_permissions_where_the_caller_holds_nothing_answer_404(world: Platform, admin: Principal) -> None:
    kim = user(world, "kim")
    role_assignments.create_role_assignment(world, admin, "kim", "Reader", WS)
    for scope in (Scope("sub2", "rg2", "ws2"), Scope("sub1", "rg1", "nope"), SUB):
        with pytest.raises(NotFound):
            permissions.permissions_at(world, authz(world, kim), scope)
    with pytest.raises(WorkspaceNotFound):
        permissions.permissions_at(world, authz(world, admin), Scope("sub1", "rg1", "nope"))


def test_check_access_takes_actions_not_patterns(world: Platform, admin: Principal) -> None:
    with pytest.raises(ValidationError, match="is a pattern") as caught:
        permissions.check_access(world, authz(world, admin), WS, ["workspaces/read", "workspaces/*"])
    assert caught.value.target == "actions[1]"
    with pytest.raises(ValidationError, match="provider"):
        permissions.check_access(world, authz(world, admin), WS, ["Microsoft.Storage/x/read"])
