"""Every built-in role against a representative action of every asset kind, written out as a table.

Azure semantics: Owner may do everything; Contributor everything but access control; Reader
reads (and lists secret names) but never reads a secret's value; Data Scientist works inside a
workspace but may not change the workspace itself or create and delete compute; Compute
Operator manages compute only.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mlyard.core.entities.rbac import RoleDefinition
from mlyard.services.roles import BUILTIN_ROLES

ROLES = ("Owner", "Contributor", "Reader", "Data Scientist", "Compute Operator")
Y, N = True, False

# action                                           Owner Contrib Reader DataSci ComputeOp
MATRIX: dict[str, tuple[bool, bool, bool, bool, bool]] = {
    "workspaces/read":                                (Y, Y, Y, Y, Y),
    "workspaces/write":                               (Y, Y, N, N, N),
    "workspaces/delete":                              (Y, Y, N, N, N),
    "workspaces/computes/read":                       (Y, Y, Y, Y, Y),
    "workspaces/computes/write":                      (Y, Y, N, N, Y),
    "workspaces/computes/delete":                     (Y, Y, N, N, Y),
    "workspaces/computes/start/action":               (Y, Y, N, Y, Y),
    "workspaces/computes/listKeys/action":            (Y, Y, N, N, Y),
    "workspaces/experiments/runs/submit/action":      (Y, Y, N, Y, N),
    "workspaces/experiments/runs/read":               (Y, Y, Y, Y, N),
    "workspaces/models/write":                        (Y, Y, N, Y, N),
    "workspaces/models/read":                         (Y, Y, Y, Y, N),
    "workspaces/datastores/write":                    (Y, Y, N, Y, N),
    "workspaces/datastores/read":                     (Y, Y, Y, Y, N),
    "workspaces/secrets/read":                        (Y, Y, N, Y, N),
    "workspaces/secrets/list":                        (Y, Y, Y, Y, N),
    "workspaces/listKeys/action":                     (Y, Y, N, N, N),
    "roleAssignments/read":                           (Y, Y, Y, N, N),
    "roleAssignments/write":                          (Y, N, N, N, N),
    "roleAssignments/delete":                         (Y, N, N, N, N),
    "roleDefinitions/write":                          (Y, N, N, N, N),
    "subscriptions/read":                             (Y, Y, Y, N, N),
    "subscriptions/write":                            (Y, Y, N, N, N),
    "resourceGroups/read":                            (Y, Y, Y, N, N),
    "resourceGroups/write":                           (Y, Y, N, N, N),
    "resourceGroups/delete":                          (Y, Y, N, N, N),
}  # fmt: skip

CASES = [
    pytest.param(role, action, allowed[i], id=f"{role}:{action}")
    for action, allowed in MATRIX.items()
    for i, role in enumerate(ROLES)
]


def definition(name: str) -> RoleDefinition:
    role = next(r for r in BUILTIN_ROLES if r.name == name)
    return RoleDefinition(
        id=name,
        name=role.name,
        description=role.description,
        actions=role.actions,
        not_actions=role.not_actions,
        assignable_scopes=("/",),
        is_custom=False,
        created_at=datetime.now(UTC),
    )


def test_the_built_in_roles_are_exactly_these() -> None:
    assert tuple(r.name for r in BUILTIN_ROLES) == ROLES
    for role in BUILTIN_ROLES:
        assert role.description and role.actions


@pytest.mark.parametrize(("role", "action", "allowed"), CASES)
def test_matrix(role: str, action: str, allowed: bool) -> None:
    assert definition(role).allows(action) is allowed


@pytest.mark.parametrize(("role", "action", "allowed"), CASES)
def test_matrix_holds_for_any_case_and_for_azure_prefixed_roles(role: str, action: str, allowed: bool) -> None:
    """The same role written as an Azure custom role (with the provider prefix) means the same."""
    base = definition(role)

    def azure(pattern: str) -> str:
        return "Microsoft.MachineLearningServices/" + pattern if pattern.startswith("workspaces/") else pattern

    prefixed = RoleDefinition(
        base.id,
        base.name,
        base.description,
        tuple(azure(a) for a in base.actions),
        tuple(azure(a) for a in base.not_actions),
        base.assignable_scopes,
        True,
        base.created_at,
    )
    assert prefixed.allows(action) is allowed
    assert base.allows(action.upper()) is allowed


def test_not_actions_subtract_only_from_their_own_role() -> None:
    """Azure semantics: a role's not_actions are not a deny; another role can grant them back."""
    reader, scientist = definition("Reader"), definition("Data Scientist")
    action = "workspaces/secrets/read"
    assert not reader.allows(action)
    assert any(r.allows(action) for r in (reader, scientist))
