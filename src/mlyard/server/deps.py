"""Typed dependencies: the platform, the calling principal, and the one authorization check.

Every route declares exactly one action through :class:`Authorize`; a test walks the route
table and fails on any route without one (``PUBLIC_PATHS`` aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mlyard.core.entities.identity import Principal
from mlyard.core.errors import AuthenticationError
from mlyard.core.scopes import Scope
from mlyard.services import identity
from mlyard.services.platform import Platform
from mlyard.services.rbac import Authorizer

# Routes that answer without a token.
PUBLIC_PATHS = frozenset({"/health", "/api/v1/auth/login", "/api/v1/openapi.json", "/api/v1/docs"})

_bearer = HTTPBearer(auto_error=False, description="A personal access token: 'Authorization: Bearer mly_…'")


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def current_principal(
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationError(
            "This request needs a bearer token: sign in with 'mlyard login' or pass auth= to the SDK."
        )
    return identity.authenticate_token(platform.db, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


@dataclass(frozen=True)
class AuthContext:
    principal: Principal
    authorizer: Authorizer
    scope: Scope


def scope_from_path(request: Request) -> Scope:
    params = request.path_params
    return Scope(params.get("subscriptionId"), params.get("resourceGroupName"), params.get("workspaceName"))


class Authorize:
    """Checks one action at the scope named by the request's path.

    ``filtered=True`` marks list routes whose answers are filtered item by item instead.
    """

    def __init__(self, action: str, *, filtered: bool = False) -> None:
        self.action = action
        self.filtered = filtered

    def __call__(self, request: Request, principal: PrincipalDep, platform: PlatformDep) -> AuthContext:
        scope = scope_from_path(request)
        authorizer = Authorizer(platform.db, principal)
        if not self.filtered:
            authorizer.require(self.action, scope)
        return AuthContext(principal, authorizer, scope)

    def __repr__(self) -> str:
        return f"Authorize({self.action!r}, filtered={self.filtered})"


def authorize(action: str, *, filtered: bool = False) -> object:
    return Depends(Authorize(action, filtered=filtered))
