"""Identifiers and clock: one place that makes ids and timestamps."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import NewType

SubscriptionId = NewType("SubscriptionId", str)
ResourceGroupId = NewType("ResourceGroupId", str)
WorkspaceId = NewType("WorkspaceId", str)
PrincipalId = NewType("PrincipalId", str)
TokenId = NewType("TokenId", str)
RoleDefinitionId = NewType("RoleDefinitionId", str)


def new_id() -> str:
    return str(uuid.uuid4())


def new_secret(prefix: str, nbytes: int = 32) -> str:
    """A high-entropy secret such as an access token: ``mly_`` + url-safe random text."""
    return f"{prefix}{secrets.token_urlsafe(nbytes)}"


def utcnow() -> datetime:
    return datetime.now(UTC)
