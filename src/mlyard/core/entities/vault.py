"""A workspace's secrets vault: data keys, stored (encrypted) secrets, and what callers see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class DataKey:
    """A vault's data key as stored: wrapped (encrypted) by the server's master key."""

    vault_id: str
    workspace_id: str
    key_version: int
    wrapped_key: bytes = field(repr=False)
    nonce: bytes = field(repr=False)
    master_key_id: str
    created_at: datetime


@dataclass(frozen=True)
class StoredSecret:
    """One version of a secret as stored: its value is ciphertext under the vault's data key."""

    vault_id: str
    workspace_id: str
    name: str
    version: int
    key_version: int
    ciphertext: bytes = field(repr=False)
    nonce: bytes = field(repr=False)
    created_at: datetime
    created_by: str | None
    deleted_at: datetime | None

    def info(self) -> SecretInfo:
        return SecretInfo(self.name, self.version, self.created_at, self.created_by)


@dataclass(frozen=True)
class SecretInfo:
    """What may be shown of a secret version without its value."""

    name: str
    version: int
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class Secret:
    """A secret version with its value in the clear; the value never appears in a repr."""

    name: str
    version: int
    created_at: datetime
    value: str = field(repr=False)


@dataclass(frozen=True)
class SecretDeletion:
    """A secret's soft deletion: every live version of it was marked deleted at once."""

    name: str
    versions: int
    deleted_at: datetime
