"""Access control over the client: role definitions, role assignments, effective permissions.

Azure ML's v1 SDK has no role API (Azure has ``az role`` and the Authorization REST API), so
these are functions over :class:`~mlyard.sdk.client.Client`, answering the server's JSON.
A role definition is given in mlyard's JSON or as an Azure custom role's JSON, unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlyard.core.errors import RoleAssignmentNotFound, ValidationError
from mlyard.core.scopes import Scope
from mlyard.sdk.client import API, Client, seg

DEFINITIONS = f"{API}/roleDefinitions"
ASSIGNMENTS = f"{API}/roleAssignments"


def load_role_definition(source: str | Path) -> dict[str, Any]:
    """A role definition from a JSON file's path, or from inline JSON text."""
    text = str(source).strip()
    if not text.startswith("{"):
        path = Path(text).expanduser()
        if not path.is_file():
            raise ValidationError(
                f"'{source}' is neither a JSON file nor inline JSON: pass a path such as role.json, "
                "or the definition itself ('{\"Name\": …}').",
                target="role_definition",
            )
        text = path.read_text(encoding="utf-8-sig")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"The role definition is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            target="role_definition",
        ) from None
    if not isinstance(body, dict):
        raise ValidationError('A role definition is a JSON object ({"Name": …, "Actions": […]}).')
    return body


def role_name_of(definition: dict[str, Any]) -> str:
    name = definition.get("name", definition.get("Name"))
    if not isinstance(name, str) or not name:
        raise ValidationError("The role definition has no 'Name' (or 'name').", target="name")
    return name


def list_role_definitions(client: Client, *, custom_only: bool = False) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = client.get(DEFINITIONS, customOnly=custom_only or None)
    return answer


def get_role_definition(client: Client, name: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"{DEFINITIONS}/{seg(name)}")
    return answer


def create_role_definition(client: Client, definition: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = client.post(DEFINITIONS, definition)
    return answer


def update_role_definition(client: Client, definition: dict[str, Any]) -> dict[str, Any]:
    """Replace the custom role that the definition names (its assignments stay)."""
    answer: dict[str, Any] = client.put(f"{DEFINITIONS}/{seg(role_name_of(definition))}", definition)
    return answer


def delete_role_definition(client: Client, name: str, *, force: bool = False) -> dict[str, Any]:
    """Delete a custom role; ``force`` deletes its assignments too. Answers what was removed."""
    answer: dict[str, Any] = client.delete(f"{DEFINITIONS}/{seg(name)}", force=force or None)
    return answer


def list_role_assignments(
    client: Client,
    *,
    scope: str | None = None,
    assignee: str | None = None,
    include_inherited: bool = False,
) -> list[dict[str, Any]]:
    """Assignments at the scope and below (everywhere by default) that you may read."""
    answer: list[dict[str, Any]] = client.get(
        ASSIGNMENTS, scope=scope, assignee=assignee, includeInherited=include_inherited or None
    )
    return answer


def create_role_assignment(client: Client, assignee: str, role: str, scope: str) -> dict[str, Any]:
    answer: dict[str, Any] = client.post(ASSIGNMENTS, {"assignee": assignee, "role": role, "scope": scope})
    return answer


def delete_role_assignment(client: Client, assignment_id: str) -> None:
    client.delete(f"{ASSIGNMENTS}/{seg(assignment_id)}")


def delete_role_assignments(client: Client, assignee: str, role: str, scope: str) -> list[dict[str, Any]]:
    """Delete the assignee's assignments of the role exactly at the scope (as ``az role assignment delete``)."""
    key = Scope.parse(scope).key
    found = [
        a
        for a in list_role_assignments(client, scope=scope, assignee=assignee)
        if a["scope"].lower() == key and a["roleDefinitionName"].lower() == role.lower()
    ]
    if not found:
        raise RoleAssignmentNotFound(
            f"'{assignee}' holds no role '{role}' at '{scope}' that you can see: "
            "'mlyard role assignment list --assignee NAME' shows theirs.",
            target="assignee",
        )
    for assignment in found:
        delete_role_assignment(client, assignment["id"])
    return found


def get_permissions(client: Client, scope: str) -> dict[str, Any]:
    """Your own roles at the scope: ``{"scope", "value": [{roleDefinitionName, assignedAt, actions, notActions}]}``."""
    answer: dict[str, Any] = client.get(f"{API}/permissions", scope=scope)
    return answer


def check_access(client: Client, scope: str, actions: list[str]) -> list[dict[str, Any]]:
    """Whether you may do each action at the scope: ``[{"action", "allowed", "reason"}]``."""
    answer: list[dict[str, Any]] = client.post(f"{API}/checkAccess", {"scope": scope, "actions": actions})
    return answer
