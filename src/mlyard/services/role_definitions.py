"""Role definitions: the built-in roles, and custom roles defined from mlyard's JSON or Azure's.

An Azure ML custom role's JSON means the same here: its actions keep their provider prefix on
the way in and are normalised (``Microsoft.MachineLearningServices/workspaces/read`` is
``workspaces/read``), and its Azure-style assignable scopes parse as mlyard scopes.

Who may see a role: whoever holds ``roleDefinitions/read`` somewhere the role could be assigned
(at one of its assignable scopes, above one or below one). Who may define, change or delete
it: whoever holds ``roleDefinitions/write`` (``…/delete``) at every one of its assignable scopes,
so that a subscription's Owner may define roles for that subscription alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from mlyard.core import actions as A
from mlyard.core.entities.rbac import RoleAssignment, RoleDefinition
from mlyard.core.errors import (
    InvalidRoleDefinition,
    InvalidScope,
    RoleDefinitionAlreadyExists,
    RoleDefinitionInUse,
    RoleDefinitionNotFound,
    RoleDefinitionReadOnly,
)
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import NameRule, name_key
from mlyard.core.scopes import Scope
from mlyard.services import subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer
from mlyard.store.rbac import RbacRepository, RoleDefinitionRow

ROLE_NAME = NameRule(
    "role",
    1,
    128,
    re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 _.,'&()+-]*[A-Za-z0-9_.)-])?"),
    "use 1 to 128 letters, digits, spaces or _ . , ' & ( ) + -, starting with a letter or digit "
    "and not ending with a space",
)
MAX_DESCRIPTION = 2000
MAX_ENTRIES = 500
_VERBS = frozenset({"read", "write", "delete", "action"})
_SEGMENT = re.compile(r"[A-Za-z0-9_.*-]+")
_PROVIDERS = "Microsoft.MachineLearningServices/, Microsoft.Authorization/ and Microsoft.Resources/"


@dataclass(frozen=True)
class RoleSpec:
    """A role as a caller describes it (from either JSON form), before it is checked."""

    name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    assignable_scopes: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()


@cache
def resource_types() -> dict[str, str]:
    """The first segment of every action that mlyard names (``workspaces``, ``roleAssignments``, …), by folded name."""
    names = {v.split("/", 1)[0] for k, v in vars(A).items() if k.isupper() and isinstance(v, str) and "/" in v}
    return {n.lower(): n for n in sorted(names)}


def check_action(pattern: object, where: str) -> str:
    """The normalised pattern, or InvalidRoleDefinition naming the entry and what is wrong with it."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise InvalidRoleDefinition(f"{where} is empty: give an action such as 'workspaces/read'.", target=where)
    text = A.normalize_action(pattern)
    quoted = f"{where} '{pattern.strip()}'"
    segments = text.split("/")
    if any(not s for s in segments):
        raise InvalidRoleDefinition(f"{quoted} has an empty segment (a leading, trailing or double '/').", target=where)
    if not all(_SEGMENT.fullmatch(s) for s in segments):
        raise InvalidRoleDefinition(
            f"{quoted} may hold only letters, digits, '.', '_', '-', '*' and '/'.", target=where
        )
    first, last = segments[0], segments[-1]
    if "." in first:
        raise InvalidRoleDefinition(
            f"{quoted}: mlyard has no actions of provider '{first}'; its actions are those of {_PROVIDERS}.",
            target=where,
        )
    known = resource_types()
    if "*" not in first and first.lower() not in known:
        raise InvalidRoleDefinition(
            f"{quoted}: '{first}' is not an mlyard resource type; known types are "
            f"{', '.join(known.values())} (see docs/actions.md).",
            target=where,
        )
    if "*" not in last and last.lower() not in _VERBS:
        raise InvalidRoleDefinition(
            f"{quoted} must end in /read, /write, /delete, /action or a '*' wildcard.", target=where
        )
    return text


def _check_list(values: tuple[str, ...], field: str) -> tuple[str, ...]:
    if len(values) > MAX_ENTRIES:
        raise InvalidRoleDefinition(f"{field} holds at most {MAX_ENTRIES} entries.", target=field)
    out: list[str] = []
    for i, value in enumerate(values):
        action = check_action(value, f"{field}[{i}]")
        if action.lower() not in (a.lower() for a in out):
            out.append(action)
    return tuple(out)


def existing_scope(p: Platform, scope: Scope) -> Scope:
    """The scope with its names as stored, or the scope's 404 when it does not exist."""
    if scope.workspace is not None:
        return workspaces.get_workspace(p, scope.subscription or "", scope.resource_group or "", scope.workspace).scope
    if scope.resource_group is not None:
        return subscriptions.get_resource_group(p, scope.subscription or "", scope.resource_group).scope
    if scope.subscription is not None:
        return subscriptions.get_subscription(p, scope.subscription).scope
    return scope


def _check_scopes(p: Platform, values: tuple[str, ...]) -> tuple[Scope, ...]:
    if not values:
        raise InvalidRoleDefinition(
            "assignableScopes is empty: name where the role may be assigned, such as "
            "'/subscriptions/S/resourceGroups/R/workspaces/W' (or '/' for everywhere).",
            target="assignableScopes",
        )
    if len(values) > MAX_ENTRIES:
        raise InvalidRoleDefinition(f"assignableScopes holds at most {MAX_ENTRIES} entries.", target="assignableScopes")
    out: list[Scope] = []
    for i, value in enumerate(values):
        try:
            scope = Scope.parse(value)
        except InvalidScope as exc:
            raise InvalidRoleDefinition(
                f"assignableScopes[{i}]: {exc.message}", target=f"assignableScopes[{i}]"
            ) from None
        if scope.key not in (s.key for s in out):
            out.append(existing_scope(p, scope))
    return tuple(out)


def check_spec(p: Platform, spec: RoleSpec) -> tuple[RoleSpec, tuple[Scope, ...]]:
    """The spec with its actions normalised and its scopes parsed; InvalidRoleDefinition if not valid."""
    ROLE_NAME.check(spec.name, target="name")
    if len(spec.description) > MAX_DESCRIPTION:
        raise InvalidRoleDefinition(f"A description takes at most {MAX_DESCRIPTION} characters.", target="description")
    for field, values in (("dataActions", spec.data_actions), ("notDataActions", spec.not_data_actions)):
        if values:
            raise InvalidRoleDefinition(
                f"{field} are not supported: mlyard has no data-plane actions (data access is "
                f"'workspaces/datastores/…' and 'workspaces/secrets/…' in actions); remove '{values[0]}'.",
                target=field,
            )
    actions = _check_list(spec.actions, "actions")
    if not actions:
        raise InvalidRoleDefinition("actions is empty: a role must allow at least one action.", target="actions")
    not_actions = _check_list(spec.not_actions, "notActions")
    scopes = _check_scopes(p, spec.assignable_scopes)
    checked = RoleSpec(spec.name, spec.description, actions, not_actions, tuple(s.path for s in scopes))
    return checked, scopes


def scopes_of(role: RoleDefinition) -> list[Scope]:
    return [Scope.parse(s) for s in role.assignable_scopes]


def is_visible(authz: Authorizer, role: RoleDefinition) -> bool:
    """Whether the caller may read roleDefinitions somewhere this role could be assigned."""
    targets = scopes_of(role)
    for scope_key, held in authz.held():
        if not held.allows(A.ROLE_DEFINITIONS_READ):
            continue
        at = Scope.parse(scope_key)
        if any(t.contains(at) or at.contains(t) for t in targets):
            return True
    return False


def _not_found(name: str) -> RoleDefinitionNotFound:
    return RoleDefinitionNotFound(
        f"No role named '{name}' is visible to you: 'mlyard role definition list' shows the roles you can assign.",
        target="name",
    )


def _read_only(role: RoleDefinition) -> RoleDefinitionReadOnly:
    return RoleDefinitionReadOnly(
        f"'{role.name}' is a built-in role and cannot be changed or deleted: define a custom role instead "
        "(mlyard role definition create).",
        target="name",
    )


def list_role_definitions(p: Platform, authz: Authorizer, *, custom_only: bool = False) -> list[RoleDefinition]:
    with p.db.read() as session:
        roles = RbacRepository(session).list_roles()
    return [r for r in roles if (r.is_custom or not custom_only) and is_visible(authz, r)]


def get_role_definition(p: Platform, authz: Authorizer, name: str) -> RoleDefinition:
    with p.db.read() as session:
        row = RbacRepository(session).get_role_row(name)
        role = row.to_entity() if row is not None else None
    if role is None or not is_visible(authz, role):
        raise _not_found(name)
    return role


def create_role_definition(p: Platform, authz: Authorizer, spec: RoleSpec) -> RoleDefinition:
    checked, scopes = check_spec(p, spec)
    for scope in scopes:
        authz.require(A.ROLE_DEFINITIONS_WRITE, scope)
    with p.db.write() as session:
        repo = RbacRepository(session)
        existing = repo.get_role_row(checked.name)
        if existing is not None:
            kind = "custom" if existing.is_custom else "built-in"
            raise RoleDefinitionAlreadyExists(
                f"A {kind} role named '{existing.name}' already exists: pick another name, or change it with "
                "'mlyard role definition update'.",
                target="name",
            )
        row = RoleDefinitionRow(
            id=new_id(),
            name=checked.name,
            name_key=name_key(checked.name),
            description=checked.description,
            actions=list(checked.actions),
            not_actions=list(checked.not_actions),
            assignable_scopes=list(checked.assignable_scopes),
            is_custom=True,
            created_at=utcnow(),
        )
        repo.add(row)
        return row.to_entity()


def update_role_definition(p: Platform, authz: Authorizer, name: str, spec: RoleSpec) -> RoleDefinition:
    """Replace a custom role's description, actions and scopes; its assignments stay."""
    current = get_role_definition(p, authz, name)
    if not current.is_custom:
        raise _read_only(current)
    if name_key(spec.name) != name_key(current.name):
        raise InvalidRoleDefinition(
            f"The body names role '{spec.name}' but the request changes '{current.name}': a role cannot be "
            "renamed; define a new one and move the assignments.",
            target="name",
        )
    checked, scopes = check_spec(p, spec)
    for scope in {s.key: s for s in (*scopes_of(current), *scopes)}.values():
        authz.require(A.ROLE_DEFINITIONS_WRITE, scope)
    with p.db.write() as session:
        repo = RbacRepository(session)
        row = repo.get_role_row(current.name)
        if row is None:
            raise _not_found(name)
        stranded = [
            a for a in repo.assignments_of_role(row.id) if not any(s.contains(Scope.parse(a.scope)) for s in scopes)
        ]
        if stranded:
            raise InvalidRoleDefinition(
                f"Role '{row.name}' is assigned at {', '.join(sorted({a.scope for a in stranded}))}, outside the new "
                "assignableScopes: keep those scopes, or delete the assignments first.",
                target="assignableScopes",
            )
        row.description = checked.description
        row.actions = list(checked.actions)
        row.not_actions = list(checked.not_actions)
        row.assignable_scopes = list(checked.assignable_scopes)
        session.flush()
        return row.to_entity()


def delete_role_definition(p: Platform, authz: Authorizer, name: str, *, force: bool = False) -> list[RoleAssignment]:
    """Delete a custom role; with ``force`` its assignments too (they are returned)."""
    current = get_role_definition(p, authz, name)
    if not current.is_custom:
        raise _read_only(current)
    for scope in scopes_of(current):
        authz.require(A.ROLE_DEFINITIONS_DELETE, scope)
    with p.db.write() as session:
        repo = RbacRepository(session)
        row = repo.get_role_row(current.name)
        if row is None:
            raise _not_found(name)
        assigned = repo.assignments_of_role(row.id)
        if assigned and not force:
            listed = "; ".join(f"{a.id} at {a.scope}" for a in assigned[:10])
            more = f" and {len(assigned) - 10} more" if len(assigned) > 10 else ""
            raise RoleDefinitionInUse(
                f"Role '{row.name}' has {len(assigned)} assignment(s) ({listed}{more}): delete them first, "
                "or pass force (CLI: --force) to delete them with the role.",
                target="name",
            )
        repo.delete_role(row)
        return assigned
