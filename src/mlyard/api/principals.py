"""Users (the administrator's side), groups, members and service principals on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from mlyard.api.base import RequestModel, WireModel


class UserCreate(RequestModel):
    username: str = Field(max_length=200)
    password: str | None = Field(default=None, max_length=1000)
    display_name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=255)


class UserOut(WireModel):
    id: str
    username: str
    display_name: str
    email: str | None
    is_active: bool
    created_at: datetime


class PasswordSet(RequestModel):
    password: str = Field(max_length=1000)


class PasswordChange(RequestModel):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class GroupCreate(RequestModel):
    name: str = Field(max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class GroupOut(WireModel):
    id: str
    name: str
    description: str
    created_at: datetime


class PrincipalRefOut(WireModel):
    """A principal as a member or an assignee: its id, its type and its name."""

    id: str
    type: str
    name: str


class ServicePrincipalCreate(RequestModel):
    display_name: str = Field(max_length=200)


class ServicePrincipalOut(WireModel):
    id: str
    display_name: str
    client_id: str
    secret_expires_at: datetime
    created_at: datetime
    created_by: str | None


class ServicePrincipalSecretOut(ServicePrincipalOut):
    """Returned when a service principal is made or its secret reset: the only time the secret is shown."""

    client_secret: str


class OAuth2TokenOut(BaseModel):
    """RFC 6749's token response, in its own snake_case names."""

    access_token: str
    token_type: str
    expires_in: int
