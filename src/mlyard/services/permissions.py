"""The caller's own effective permissions at a scope, and which of some actions they may do.

As Azure's ``Microsoft.Authorization/permissions``: one entry per role that holds at the scope
(assigned there or above, to the caller or one of its groups). ``check_access`` answers each
action with the role that grants it, or the action that is missing. The studio uses both to
disable what a user cannot do. A scope where the caller holds no role answers like a scope
that does not exist, so that nobody learns what lies beyond their reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlyard.core import actions as A
from mlyard.core.entities.rbac import RoleDefinition
from mlyard.core.errors import InvalidRoleDefinition, ValidationError
from mlyard.core.scopes import Scope
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer, not_found_for
from mlyard.services.role_definitions import check_action, existing_scope

MAX_ACTIONS = 200


@dataclass(frozen=True)
class Permission:
    role: RoleDefinition
    assigned_at: Scope


@dataclass(frozen=True)
class AccessDecision:
    action: str
    allowed: bool
    reason: str


def permissions_at(p: Platform, authz: Authorizer, scope: Scope) -> tuple[Scope, list[Permission]]:
    """The scope (names as stored) and every role the caller holds there, innermost assignment first."""
    if not authz.roles_at(scope):
        raise not_found_for(scope)
    target = existing_scope(p, scope)
    # Assignments are kept by folded scope; the target's own ancestors give back their names' case.
    by_key = {s.key: s for s in target.ancestors()}
    held = [(by_key[key], role) for key, role in authz.held() if key in by_key]
    depth = {s.key: i for i, s in enumerate(target.ancestors())}
    held.sort(key=lambda pair: (depth[pair[0].key], pair[1].name.lower()))
    return target, [Permission(role, at) for at, role in held]


def _concrete(action: object, index: int) -> str:
    where = f"actions[{index}]"
    try:
        checked = check_action(action, where)
    except InvalidRoleDefinition as exc:
        raise ValidationError(exc.message, target=where) from None
    if "*" in checked:
        raise ValidationError(
            f"{where} '{checked}' is a pattern: ask about one action, such as 'workspaces/computes/write'.",
            target=where,
        )
    return checked


def _decide(action: str, scope: Scope, held: list[Permission]) -> AccessDecision:
    if action.lower() == A.SELF:
        return AccessDecision(action, True, "every signed-in principal may act on itself")
    for perm in held:
        if perm.role.allows(action):
            return AccessDecision(action, True, f"granted by role '{perm.role.name}' assigned at '{perm.assigned_at}'")
    for perm in held:
        excluded = next((n for n in perm.role.not_actions if A.action_matches(n, action)), None)
        if excluded is not None and A.any_matches(perm.role.actions, action):
            return AccessDecision(
                action,
                False,
                f"missing '{action}' at '{scope}': role '{perm.role.name}' (assigned at '{perm.assigned_at}') "
                f"excludes it by its notActions entry '{excluded}'",
            )
    return AccessDecision(
        action, False, f"missing '{action}' at '{scope}': no role you hold there or above includes it"
    )


def check_access(p: Platform, authz: Authorizer, scope: Scope, actions: list[str]) -> list[AccessDecision]:
    if not actions:
        raise ValidationError("actions is empty: name the actions to check.", target="actions")
    if len(actions) > MAX_ACTIONS:
        raise ValidationError(f"Check at most {MAX_ACTIONS} actions at a time.", target="actions")
    wanted = [_concrete(a, i) for i, a in enumerate(actions)]
    target, held = permissions_at(p, authz, scope)
    return [_decide(action, target, held) for action in wanted]
