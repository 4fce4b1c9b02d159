"""Action strings: the names of the operations that roles allow.

They are Azure ML's, without the ``Microsoft.MachineLearningServices/`` prefix
(``workspaces/read``, ``workspaces/computes/write``, ``workspaces/experiments/runs/submit/action``);
the hierarchy above a workspace uses ``subscriptions/…`` and ``resourceGroups/…``, and access
control ``roleAssignments/…`` and ``roleDefinitions/…``. Patterns may use ``*``.
Matching ignores case, as Azure's does.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Azure provider prefixes that map onto mlyard's action names, longest first.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("microsoft.machinelearningservices/", ""),
    ("microsoft.resources/subscriptions/resourcegroups/", "resourceGroups/"),
    ("microsoft.resources/subscriptions/", "subscriptions/"),
    ("microsoft.resources/deployments/", "deployments/"),
    ("microsoft.authorization/", ""),
)

# Actions every authenticated principal has on itself (its own profile and tokens).
SELF = "self/action"

SUBSCRIPTIONS_READ = "subscriptions/read"
SUBSCRIPTIONS_WRITE = "subscriptions/write"
SUBSCRIPTIONS_DELETE = "subscriptions/delete"
RESOURCE_GROUPS_READ = "resourceGroups/read"
RESOURCE_GROUPS_WRITE = "resourceGroups/write"
RESOURCE_GROUPS_DELETE = "resourceGroups/delete"
DEPLOYMENTS_READ = "deployments/read"
DEPLOYMENTS_WRITE = "deployments/write"
DEPLOYMENTS_WHAT_IF = "deployments/whatIf/action"
WORKSPACES_READ = "workspaces/read"
WORKSPACES_WRITE = "workspaces/write"
WORKSPACES_DELETE = "workspaces/delete"
DATASTORES_READ = "workspaces/datastores/read"
DATASTORES_WRITE = "workspaces/datastores/write"
DATASTORES_DELETE = "workspaces/datastores/delete"
DATASETS_READ = "workspaces/datasets/read"
DATASETS_WRITE = "workspaces/datasets/write"
DATASETS_DELETE = "workspaces/datasets/delete"
# Listing secret names is its own action so that a Reader may list them without reading values.
SECRETS_LIST = "workspaces/secrets/list"
SECRETS_READ = "workspaces/secrets/read"
SECRETS_WRITE = "workspaces/secrets/write"
SECRETS_DELETE = "workspaces/secrets/delete"
EXPERIMENTS_READ = "workspaces/experiments/read"
EXPERIMENTS_WRITE = "workspaces/experiments/write"
EXPERIMENTS_DELETE = "workspaces/experiments/delete"
RUNS_READ = "workspaces/experiments/runs/read"
RUNS_WRITE = "workspaces/experiments/runs/write"
RUNS_DELETE = "workspaces/experiments/runs/delete"
RUNS_SUBMIT = "workspaces/experiments/runs/submit/action"
COMPUTES_READ = "workspaces/computes/read"
COMPUTES_WRITE = "workspaces/computes/write"
COMPUTES_DELETE = "workspaces/computes/delete"
COMPUTES_START = "workspaces/computes/start/action"
COMPUTES_STOP = "workspaces/computes/stop/action"
COMPUTES_RESTART = "workspaces/computes/restart/action"
# A compute instance's applications (Jupyter through the proxy), by the HTTP verb, as Azure's
# notebooks/vm actions; and the notebooks kept in the workspace's file storage.
NOTEBOOK_VM_READ = "workspaces/notebooks/vm/read"
NOTEBOOK_VM_WRITE = "workspaces/notebooks/vm/write"
NOTEBOOK_VM_DELETE = "workspaces/notebooks/vm/delete"
NOTEBOOKS_READ = "workspaces/notebooks/storage/read"
NOTEBOOKS_WRITE = "workspaces/notebooks/storage/write"
NOTEBOOKS_DELETE = "workspaces/notebooks/storage/delete"
ENVIRONMENTS_READ = "workspaces/environments/read"
ENVIRONMENTS_WRITE = "workspaces/environments/write"
ENVIRONMENTS_DELETE = "workspaces/environments/delete"
ENVIRONMENTS_BUILD = "workspaces/environments/build/action"
ROLE_ASSIGNMENTS_READ = "roleAssignments/read"
ROLE_ASSIGNMENTS_WRITE = "roleAssignments/write"
ROLE_ASSIGNMENTS_DELETE = "roleAssignments/delete"
ROLE_DEFINITIONS_READ = "roleDefinitions/read"
ROLE_DEFINITIONS_WRITE = "roleDefinitions/write"
ROLE_DEFINITIONS_DELETE = "roleDefinitions/delete"
# Owner-only: Contributor and Reader exclude auditLogs/* (see services/roles.py).
AUDIT_LOGS_READ = "auditLogs/read"
USERS_READ = "users/read"
USERS_WRITE = "users/write"
USERS_DELETE = "users/delete"
GROUPS_READ = "groups/read"
GROUPS_WRITE = "groups/write"
GROUPS_DELETE = "groups/delete"
GROUP_MEMBERS_WRITE = "groups/members/write"
GROUP_MEMBERS_DELETE = "groups/members/delete"
SERVICE_PRINCIPALS_READ = "servicePrincipals/read"
SERVICE_PRINCIPALS_WRITE = "servicePrincipals/write"
SERVICE_PRINCIPALS_DELETE = "servicePrincipals/delete"


def normalize_action(action: str) -> str:
    """Strip an Azure provider prefix so that an Azure custom role's actions mean the same here."""
    text = action.strip()
    low = text.lower()
    for prefix, replacement in _PREFIXES:
        if low.startswith(prefix):
            return replacement + text[len(prefix) :]
    return text


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    # '*' spans any characters, slashes included; '/*/' may also span nothing, so that
    # 'workspaces/*/read' covers 'workspaces/read' as Azure's built-in roles assume.
    out = ""
    i = 0
    p = normalize_action(pattern).lower()
    while i < len(p):
        if p.startswith("/*/", i):
            out += "/(?:.*/)?"
            i += 3
        elif p[i] == "*":
            out += ".*"
            i += 1
        else:
            out += re.escape(p[i])
            i += 1
    return re.compile(out)


def action_matches(pattern: str, action: str) -> bool:
    return _compile(pattern).fullmatch(action.lower()) is not None


def any_matches(patterns: list[str] | tuple[str, ...], action: str) -> bool:
    return any(action_matches(p, action) for p in patterns)
