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
)

BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("Owner", "Full access to every resource, including assigning roles.", ("*",)),
    BuiltinRole(
        "Contributor",
        "Full access to every resource, but cannot assign roles or define them.",
        ("*",),
        _ACCESS_CONTROL_WRITES,
    ),
    BuiltinRole(
        "Reader",
        "Reads every resource; lists secret names but never reads their values.",
        ("*/read", "workspaces/secrets/list"),
        ("workspaces/secrets/read",),
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
