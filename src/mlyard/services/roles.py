"""The built-in roles, modelled on Azure ML's (actions without the provider prefix)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuiltinRole:
    name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()


_ACCESS_CONTROL_WRITES = (
    "roleAssignments/write",
    "roleAssignments/delete",
    "roleDefinitions/write",
    "roleDefinitions/delete",
    # Changing users, groups or service principals would let a Contributor reach an Owner's
    # rights (reset an Owner's password, join a group that holds Owner), so those stay Owner-only.
    "users/write",
    "users/delete",
    "groups/write",
    "groups/delete",
    "groups/members/write",
    "groups/members/delete",
    "servicePrincipals/write",
    "servicePrincipals/delete",
)

# Who did what is for Owners only: Reader's "*/read" and Contributor's "*" would match it.
_AUDIT_LOG = "auditLogs/*"

BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("Owner", "Full access to every resource, including assigning roles.", ("*",)),
    BuiltinRole(
        "Contributor",
        "Full access to every resource, but cannot assign or define roles, nor change users, groups or "
        "service principals.",
        ("*",),
        (*_ACCESS_CONTROL_WRITES, _AUDIT_LOG),
    ),
    BuiltinRole(
        "Reader",
        "Reads every resource; lists secret names but never reads their values.",
        ("*/read", "workspaces/secrets/list"),
        ("workspaces/secrets/read", _AUDIT_LOG),
    ),
    BuiltinRole(
        "Data Scientist",
        "Works inside a workspace (experiments, runs, data, models, endpoints) but cannot change "
        "the workspace itself, create or delete compute, or assign roles.",
        (
            "workspaces/read",
            "workspaces/*/read",
            "workspaces/*/action",
            "workspaces/*/delete",
            "workspaces/*/write",
            "workspaces/secrets/list",
        ),
        (
            "workspaces/delete",
            "workspaces/write",
            "workspaces/computes/*/write",
            "workspaces/computes/*/delete",
            "workspaces/computes/listKeys/action",
            "workspaces/listKeys/action",
        ),
    ),
    BuiltinRole(
        "Compute Operator",
        "Creates, manages and deletes compute targets and compute instances' notebooks VMs.",
        ("workspaces/read", "workspaces/computes/*", "workspaces/notebooks/vm/*"),
    ),
)
