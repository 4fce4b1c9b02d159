"""First start: built-in roles, the first admin, and the default subscription, group and workspace."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import Principal, PrincipalType
from mlyard.core.errors import NotFound
from mlyard.core.scopes import Scope
from mlyard.services import identity, rbac, subscriptions, workspaces
from mlyard.services.platform import Platform

ADMIN_USERNAME = "admin"
DEFAULT_SUBSCRIPTION = "default"
DEFAULT_RESOURCE_GROUP = "default"
DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True)
class BootstrapResult:
    admin: Principal | None
    admin_password: str | None  # only when this start created the admin
    password_generated: bool
    workspace: Workspace | None


def bootstrap(p: Platform, *, create_defaults: bool = True) -> BootstrapResult:
    """Idempotent: creates only what is missing."""
    rbac.ensure_builtin_roles(p.db)
    if identity.has_users(p.db):
        return BootstrapResult(None, None, False, None)
    password = p.settings.admin_password
    generated = password is None
    if password is None:
        password = secrets.token_urlsafe(18)
    user = identity.create_user(p.db, ADMIN_USERNAME, password, display_name="Administrator")
    admin = Principal(user.id, PrincipalType.USER, user.username, "bootstrap")
    rbac.assign_role(p.db, user.id, PrincipalType.USER, "Owner", Scope.root(), created_by=None)
    ws = ensure_default_workspace(p, admin) if create_defaults else None
    return BootstrapResult(admin, password, generated, ws)


def ensure_default_workspace(p: Platform, actor: Principal) -> Workspace:
    try:
        subscriptions.get_subscription(p, DEFAULT_SUBSCRIPTION)
    except NotFound:
        subscriptions.create_subscription(p, actor, DEFAULT_SUBSCRIPTION, "Default subscription")
    try:
        subscriptions.get_resource_group(p, DEFAULT_SUBSCRIPTION, DEFAULT_RESOURCE_GROUP)
    except NotFound:
        subscriptions.create_resource_group(p, actor, DEFAULT_SUBSCRIPTION, DEFAULT_RESOURCE_GROUP)
    try:
        return workspaces.get_workspace(p, DEFAULT_SUBSCRIPTION, DEFAULT_RESOURCE_GROUP, DEFAULT_WORKSPACE)
    except NotFound:
        return workspaces.create_workspace(
            p,
            actor,
            DEFAULT_SUBSCRIPTION,
            DEFAULT_RESOURCE_GROUP,
            DEFAULT_WORKSPACE,
            friendly_name="Default workspace",
        )
