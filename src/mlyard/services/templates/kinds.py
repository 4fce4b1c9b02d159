"""Resource types of a template, and what mlyard makes of each.

A type is matched case-insensitively, either provider-qualified
(``Microsoft.MachineLearningServices/workspaces``) or short (``workspaces``).
"""

from __future__ import annotations

RESOURCE_GROUP = "resourceGroup"
WORKSPACE = "workspace"
ROLE_ASSIGNMENT = "roleAssignment"

#: The provider-qualified type of each kind mlyard deploys.
FULL_TYPES: dict[str, str] = {
    RESOURCE_GROUP: "Microsoft.Resources/resourceGroups",
    WORKSPACE: "Microsoft.MachineLearningServices/workspaces",
    ROLE_ASSIGNMENT: "Microsoft.Authorization/roleAssignments",
}

_KINDS: dict[str, str] = {}
for _kind, _full in FULL_TYPES.items():
    _KINDS[_full.lower()] = _kind
    _KINDS[_full.split("/", 1)[1].lower()] = _kind

#: Types that mlyard provides itself with every workspace, and why they are skipped.
_PROVIDED: dict[str, str] = {
    "microsoft.storage/storageaccounts": "mlyard gives every workspace its own blob storage",
    "microsoft.keyvault/vaults": "mlyard gives every workspace its own secrets vault",
    "microsoft.insights/components": "mlyard records workspace metrics and logs itself",
    "microsoft.containerregistry/registries": "mlyard builds and keeps workspace images itself",
    "microsoft.operationalinsights/workspaces": "mlyard records workspace metrics and logs itself",
}


def resource_kind(resource_type: str) -> str | None:
    """``workspace``, ``resourceGroup`` or ``roleAssignment``; None for any other type."""
    return _KINDS.get(resource_type.strip().lower())


def canonical_type(resource_type: str) -> str:
    """A lower-case, provider-qualified form of the type, for matching resources to ids."""
    kind = resource_kind(resource_type)
    return FULL_TYPES[kind].lower() if kind else resource_type.strip().lower()


def provided_reason(resource_type: str) -> str | None:
    """Why a type that mlyard provides itself with every workspace is skipped, else None."""
    return _PROVIDED.get(resource_type.strip().lower())


def expand_short_type(resource_type: str) -> str:
    """``workspaces`` -> ``Microsoft.MachineLearningServices/workspaces``; others unchanged."""
    kind = resource_kind(resource_type)
    if kind and "/" not in resource_type:
        return FULL_TYPES[kind]
    return resource_type
