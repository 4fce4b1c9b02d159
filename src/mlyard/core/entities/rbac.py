"""Role definitions and role assignments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mlyard.core.actions import any_matches
from mlyard.core.entities.identity import PrincipalType


@dataclass(frozen=True)
class RoleDefinition:
    id: str
    name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    assignable_scopes: tuple[str, ...]
    is_custom: bool
    created_at: datetime

    def allows(self, action: str) -> bool:
        # Azure semantics: a role grants (its actions - its not_actions); another role may grant back.
        return any_matches(self.actions, action) and not any_matches(self.not_actions, action)


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    principal_id: str
    principal_type: PrincipalType
    role_definition_id: str
    role_name: str
    scope: str
    created_at: datetime
    created_by: str | None
