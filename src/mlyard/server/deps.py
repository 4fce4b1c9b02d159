"""Typed dependencies: the platform, the calling principal, and the one authorization check.

Every route declares exactly one action through :class:`Authorize`; a test walks the route
table and fails on any route without one (``PUBLIC_PATHS`` aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from mlyard.core.entities.identity import Principal
from mlyard.core.errors import AuthenticationError, NotFound, ValidationError
from mlyard.core.scopes import Scope
from mlyard.server.audit import SCOPE_NOT_VISIBLE, audit_note
from mlyard.services import identity
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer

# Routes that answer without a token.
PUBLIC_PATHS = frozenset(
    {"/health", "/api/v1/auth/login", "/api/v1/oauth2/token", "/api/v1/openapi.json", "/api/v1/docs"}
)

_bearer = HTTPBearer(auto_error=False, description="A personal access token: 'Authorization: Bearer mly_…'")


async def get_platform(request: Request) -> Platform:
    # Async: FastAPI runs a sync dependency in a worker thread, a hop on every request.
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def current_principal(
    request: Request, platform: Platform, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    """The caller, from its bearer token. Async, so that a token the cache knows costs no hop to
    a worker thread; only a miss (database I/O) runs in one. Called by :class:`Authorize` itself,
    not as a dependency of its own: FastAPI resolves each dependency on every request, at a cost
    that showed on the busiest routes."""
    note = audit_note(request)
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationError(
            "This request needs a bearer token: sign in with 'mlyard login' or pass auth= to the SDK.",
            reason="MissingCredentials",
        )
    note.auth_method = "token"
    secret = credentials.credentials
    principal = identity.cached_principal(platform.db, secret)
    if principal is None:
        principal = await run_in_threadpool(identity.authenticate_token, platform.db, secret)
    note.principal = principal
    return principal


@dataclass(frozen=True)
class AuthContext:
    principal: Principal
    authorizer: Authorizer
    scope: Scope


def scope_from_path(request: Request) -> Scope:
    params = request.path_params
    return Scope(params.get("subscriptionId"), params.get("resourceGroupName"), params.get("workspaceName"))


async def body_field(request: Request, name: str, action: str) -> str:
    """A string field of the JSON body.

    FastAPI has parsed the body before the dependencies run, and the request keeps it, so
    this reads no byte twice.
    """
    try:
        body = await request.json()
    except ValueError:
        body = None
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            f"The request body needs '{name}': the scope to check '{action}' at, such as "
            "'/subscriptions/S/resourceGroups/R/workspaces/W'.",
            target=name,
        )
    return value


class Authorize:
    """Checks one action at the scope named by the request's path.

    ``filtered=True`` marks list routes whose answers are filtered item by item instead;
    ``scope_query`` names a query parameter that holds the scope (default ``/``) instead of the path;
    ``scope_body`` names a field of the JSON body that holds it (required), for writes whose target
    is in the body (``POST /api/v1/roleAssignments``); ``per_item=True`` marks writes of an item
    that has its own scopes (a role definition's assignable scopes, an assignment's scope): the
    service checks this route's action at each of them, through the authorizer it is given.
    """

    def __init__(
        self,
        action: str,
        *,
        filtered: bool = False,
        scope_query: str | None = None,
        scope_body: str | None = None,
        per_item: bool = False,
    ) -> None:
        self.action = action
        self.filtered = filtered
        self.scope_query = scope_query
        self.scope_body = scope_body
        self.per_item = per_item

    async def __call__(self, request: Request, credentials: Credentials) -> AuthContext:
        platform: Platform = request.app.state.platform
        principal = await current_principal(request, platform, credentials)
        if self.scope_query:
            scope = Scope.parse(request.query_params.get(self.scope_query) or "/")
        elif self.scope_body:
            scope = Scope.parse(await body_field(request, self.scope_body, self.action))
        else:
            scope = scope_from_path(request)
        note = audit_note(request)
        note.action, note.scope = self.action, scope
        route = request.scope.get("route")
        note.success_status = getattr(route, "status_code", None) or 200
        authorizer = Authorizer(platform.db, principal)
        if not (self.filtered or self.per_item):
            if not authorizer.held_in_memory():
                await run_in_threadpool(authorizer.held)  # database I/O off the event loop
            try:
                authorizer.require(self.action, scope)
            except NotFound:
                note.reason = SCOPE_NOT_VISIBLE
                raise
        return AuthContext(principal, authorizer, scope)

    def __repr__(self) -> str:
        return f"Authorize({self.action!r}, filtered={self.filtered})"


def authorize(
    action: str,
    *,
    filtered: bool = False,
    scope_query: str | None = None,
    scope_body: str | None = None,
    per_item: bool = False,
) -> object:
    return Depends(
        Authorize(action, filtered=filtered, scope_query=scope_query, scope_body=scope_body, per_item=per_item)
    )
