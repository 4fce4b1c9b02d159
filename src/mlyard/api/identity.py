"""Sign-in, the current principal and access tokens on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel


class LoginRequest(RequestModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)
    token_name: str | None = Field(default=None, max_length=100)


class TokenCreate(RequestModel):
    name: str = Field(max_length=200)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(WireModel):
    id: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenSecretOut(TokenOut):
    """Returned once, when a token is made: the only time its secret is shown."""

    token: str


class WhoAmIOut(WireModel):
    id: str
    name: str
    type: str
    display_name: str
    auth_method: str
    token_id: str | None = None


class HealthOut(WireModel):
    status: str
    version: str
