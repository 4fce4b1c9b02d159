"""Principals and their credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mlyard.core.scopes import Scope


class PrincipalType(StrEnum):
    USER = "User"
    GROUP = "Group"
    SERVICE_PRINCIPAL = "ServicePrincipal"


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    email: str | None
    is_active: bool
    created_at: datetime


@dataclass(frozen=True)
class AccessToken:
    id: str
    principal_id: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True)
class PrincipalRef:
    """A principal named in a request (an assignee, a group member), resolved to its id."""

    id: str
    type: PrincipalType
    name: str


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved once per request by authentication."""

    id: str
    type: PrincipalType
    name: str
    auth_method: str
    token_id: str | None = None
    # Set for a job's token: nothing outside this scope (its run's workspace) is allowed.
    limited_to: Scope | None = None


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    description: str
    created_at: datetime


@dataclass(frozen=True)
class ServicePrincipal:
    """An application's identity: it signs in with its client id and a secret kept only hashed."""

    id: str
    display_name: str
    client_id: str
    secret_expires_at: datetime
    created_at: datetime
    created_by: str | None
