"""Role definitions, role assignments and effective permissions on the wire.

A role definition is accepted in mlyard's JSON (``name``, ``description``, ``actions``,
``notActions``, ``assignableScopes``) or as an Azure custom role's JSON, unchanged (``Name``,
``IsCustom``, ``Description``, ``Actions``, ``NotActions``, ``DataActions``, ``NotDataActions``,
``AssignableScopes``, ``Id``): Azure's keys are ours with a capital first letter. What
``show`` prints is accepted back, so a role can be shown, edited and updated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from mlyard.api.base import RequestModel, WireModel

BUILT_IN = "BuiltInRole"
CUSTOM = "CustomRole"

Actions = list[str]


def _camel_keys(data: Any) -> Any:
    """Azure's PascalCase keys as ours; a key given in both spellings is refused."""
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        camel = key[:1].lower() + key[1:] if isinstance(key, str) else key
        if camel in out:
            raise ValueError(f"'{key}' is given twice (as '{camel}' too): keep one spelling")
        out[camel] = value
    return out


class RoleDefinitionIn(RequestModel):
    name: str = Field(max_length=512)
    description: str = Field(default="", max_length=5000)
    actions: Actions = Field(default_factory=list, max_length=1000)
    not_actions: Actions = Field(default_factory=list, max_length=1000)
    data_actions: Actions = Field(default_factory=list, max_length=1000)
    not_data_actions: Actions = Field(default_factory=list, max_length=1000)
    assignable_scopes: list[str] = Field(default_factory=list, max_length=1000)
    is_custom: bool | None = None
    # Read-only fields of what `show` prints (and Azure's Id), accepted back and ignored.
    id: str | None = None
    role_type: str | None = None
    created_at: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _azure_keys(cls, data: Any) -> Any:
        return _camel_keys(data)

    @model_validator(mode="after")
    def _only_custom(self) -> RoleDefinitionIn:
        if self.is_custom is False:
            raise ValueError("IsCustom is false: only custom roles can be defined (the built-in ones exist already)")
        return self


class RoleDefinitionOut(WireModel):
    id: str
    name: str
    description: str
    is_custom: bool
    role_type: str
    actions: Actions
    not_actions: Actions
    data_actions: Actions = Field(default_factory=list)
    not_data_actions: Actions = Field(default_factory=list)
    assignable_scopes: list[str]
    created_at: datetime


class RoleDefinitionDeletionOut(WireModel):
    name: str
    removed_assignments: list[str]


class RoleAssignmentCreate(RequestModel):
    assignee: str = Field(min_length=1, max_length=512)
    role: str = Field(min_length=1, max_length=512)
    scope: str = Field(min_length=1, max_length=2000)


class RoleAssignmentOut(WireModel):
    id: str
    scope: str
    principal_id: str
    principal_name: str
    principal_type: str
    role_definition_id: str
    role_definition_name: str
    created_at: datetime
    created_by: str | None


class PermissionOut(WireModel):
    role_definition_name: str
    role_definition_id: str
    assigned_at: str
    actions: Actions
    not_actions: Actions
    data_actions: Actions = Field(default_factory=list)
    not_data_actions: Actions = Field(default_factory=list)


class PermissionsOut(WireModel):
    scope: str
    value: list[PermissionOut]


class CheckAccessRequest(RequestModel):
    scope: str = Field(min_length=1, max_length=2000)
    actions: Actions = Field(min_length=1, max_length=200)


class AccessDecisionOut(WireModel):
    action: str
    allowed: bool
    reason: str
