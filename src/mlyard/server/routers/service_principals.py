"""Service principals, and the OAuth2 token endpoint where they trade their secret for a token."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Annotated
from urllib.parse import parse_qs, unquote_plus

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from mlyard.api.principals import (
    OAuth2TokenOut,
    ServicePrincipalCreate,
    ServicePrincipalOut,
    ServicePrincipalSecretOut,
)
from mlyard.core import actions as A
from mlyard.core.entities.identity import ServicePrincipal
from mlyard.core.errors import AuthenticationError, ValidationError
from mlyard.server.audit import CLIENT_CREDENTIALS, note_principal, note_sign_in
from mlyard.server.deps import AuthContext, PlatformDep, authorize
from mlyard.services import identity
from mlyard.services import service_principals as svc

router = APIRouter(prefix="/api/v1", tags=["servicePrincipals"])
SP = "/servicePrincipals/{clientId}"
TOKEN_PATH = "/api/v1/oauth2/token"
_MAX_FORM_BYTES = 16_384


def sp_out(sp: ServicePrincipal) -> ServicePrincipalOut:
    return ServicePrincipalOut(
        id=sp.id,
        display_name=sp.display_name,
        client_id=sp.client_id,
        secret_expires_at=sp.secret_expires_at,
        created_at=sp.created_at,
        created_by=sp.created_by,
    )


def secret_out(sp: ServicePrincipal, secret: str) -> ServicePrincipalSecretOut:
    return ServicePrincipalSecretOut(**sp_out(sp).model_dump(), client_secret=secret)


@router.get("/servicePrincipals", response_model=list[ServicePrincipalOut])
def list_service_principals(
    auth: Annotated[AuthContext, authorize(A.SERVICE_PRINCIPALS_READ)], platform: PlatformDep
) -> list[ServicePrincipalOut]:
    return [sp_out(s) for s in svc.list_service_principals(platform.db)]


@router.post("/servicePrincipals", response_model=ServicePrincipalSecretOut, status_code=201)
def create_service_principal(
    body: ServicePrincipalCreate,
    auth: Annotated[AuthContext, authorize(A.SERVICE_PRINCIPALS_WRITE)],
    platform: PlatformDep,
) -> ServicePrincipalSecretOut:
    sp, secret = svc.create_service_principal(
        platform.db,
        body.display_name,
        secret_ttl_days=platform.settings.service_principal_secret_ttl_days,
        created_by=auth.principal.id,
    )
    return secret_out(sp, secret)


@router.get(SP, response_model=ServicePrincipalOut)
def get_service_principal(
    clientId: str, auth: Annotated[AuthContext, authorize(A.SERVICE_PRINCIPALS_READ)], platform: PlatformDep
) -> ServicePrincipalOut:
    return sp_out(svc.get_service_principal(platform.db, clientId))


@router.delete(SP, response_model=ServicePrincipalOut)
def delete_service_principal(
    clientId: str, auth: Annotated[AuthContext, authorize(A.SERVICE_PRINCIPALS_DELETE)], platform: PlatformDep
) -> ServicePrincipalOut:
    return sp_out(svc.delete_service_principal(platform.db, clientId))


@router.post(SP + "/resetSecret", response_model=ServicePrincipalSecretOut)
def reset_secret(
    clientId: str, auth: Annotated[AuthContext, authorize(A.SERVICE_PRINCIPALS_WRITE)], platform: PlatformDep
) -> ServicePrincipalSecretOut:
    sp, secret = svc.reset_secret(
        platform.db, clientId, secret_ttl_days=platform.settings.service_principal_secret_ttl_days
    )
    return secret_out(sp, secret)


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1: ``Basic base64(urlencode(id):urlencode(secret))``."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationError(
            "The Basic credentials are not valid base64 of 'client_id:client_secret'.", reason="MalformedCredentials"
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise AuthenticationError(
            "The Basic credentials must be 'client_id:client_secret'.", reason="MalformedCredentials"
        )
    return unquote_plus(client_id), unquote_plus(secret)


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > _MAX_FORM_BYTES:
        raise ValidationError("The token request is too large.")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("", "application/x-www-form-urlencoded"):
        raise ValidationError(
            "Send the token request as application/x-www-form-urlencoded form data "
            "(grant_type=client_credentials&client_id=…&client_secret=…).",
        )
    try:
        fields = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ValidationError("The token request is not UTF-8 form data.") from None
    return {key: values[0] for key, values in fields.items() if values}


@router.post(TOKEN_PATH.removeprefix("/api/v1"), response_model=OAuth2TokenOut)
async def oauth2_token(request: Request, response: Response, platform: PlatformDep) -> OAuth2TokenOut:
    """OAuth2 client credentials: a short-lived bearer token for a service principal."""
    form = await _form(request)
    if form.get("grant_type") != "client_credentials":
        raise ValidationError(
            f"Unsupported grant_type '{form.get('grant_type', '')}': this endpoint takes "
            "grant_type=client_credentials.",
            target="grant_type",
        )
    basic = _basic_credentials(request.headers.get("authorization"))
    if basic is not None and ("client_secret" in form or form.get("client_id", basic[0]) != basic[0]):
        raise ValidationError("Send the client credentials either as HTTP Basic or in the form, not both.")
    client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    if not client_id or not secret:
        raise AuthenticationError(
            "The token request needs client_id and client_secret.", target="client_id", reason="MissingCredentials"
        )
    ttl = timedelta(seconds=platform.settings.service_principal_token_ttl_seconds)
    # argon2 is slow on purpose: keep it off the event loop.
    note_sign_in(request, CLIENT_CREDENTIALS)
    token, access = await run_in_threadpool(svc.exchange_secret, platform.db, client_id, secret, ttl=ttl)
    note_principal(request, await run_in_threadpool(identity.authenticate_token, platform.db, access))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    lifetime = int((token.expires_at - token.created_at).total_seconds())
    return OAuth2TokenOut(access_token=access, token_type="Bearer", expires_in=lifetime)
