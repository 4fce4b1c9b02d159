"""Sign-in, the current principal, and its personal access tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from mlyard.api.identity import LoginRequest, TokenCreate, TokenOut, TokenSecretOut, WhoAmIOut
from mlyard.core import actions as A
from mlyard.core.entities.identity import AccessToken, Principal, PrincipalType
from mlyard.server.audit import PASSWORD, note_principal, note_sign_in
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import identity

router = APIRouter(prefix="/api/v1", tags=["auth"])
Self = Annotated[AuthContext, authorize(A.SELF)]


def token_out(token: AccessToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


def secret_out(token: AccessToken, secret: str) -> TokenSecretOut:
    return TokenSecretOut(**token_out(token).model_dump(), token=secret)


@router.post("/auth/login", response_model=TokenSecretOut, status_code=201)
def login(body: LoginRequest, request: Request, platform: PlatformDep) -> TokenSecretOut:
    note_sign_in(request, PASSWORD, body.username)
    user = identity.authenticate_password(platform.db, body.username, body.password)
    note_principal(request, Principal(user.id, PrincipalType.USER, user.username, PASSWORD))
    token, secret = identity.create_token(
        platform.db, user.id, body.token_name or "login", platform.settings.login_token_ttl_days
    )
    return secret_out(token, secret)


@router.get("/me", response_model=WhoAmIOut)
def whoami(auth: Self, platform: PlatformDep) -> WhoAmIOut:
    principal = auth.principal
    # A service principal has no user row: its name is its display name.
    user = identity.get_user(platform.db, principal.id) if principal.type is PrincipalType.USER else None
    return WhoAmIOut(
        id=principal.id,
        name=user.username if user else principal.name,
        type=principal.type.value,
        display_name=user.display_name if user else principal.name,
        auth_method=auth.principal.auth_method,
        token_id=auth.principal.token_id,
    )


@router.get("/me/tokens", response_model=list[TokenOut])
def list_tokens(auth: Self, platform: PlatformDep) -> list[TokenOut]:
    return [token_out(t) for t in identity.list_tokens(platform.db, auth.principal.id)]


@router.post("/me/tokens", response_model=TokenSecretOut, status_code=201)
def create_token(body: TokenCreate, auth: Self, platform: PlatformDep) -> TokenSecretOut:
    days = body.expires_in_days or platform.settings.token_ttl_days
    token, secret = identity.create_token(platform.db, auth.principal.id, body.name, days)
    return secret_out(token, secret)


@router.delete("/me/tokens/{tokenId}", response_model=TokenOut)
def revoke_token(tokenId: str, auth: Self, platform: PlatformDep) -> TokenOut:
    return token_out(identity.revoke_token(platform.db, auth.principal.id, tokenId))
