"""Datastores: named places where a workspace's data lives, and what registering one takes.

Every workspace has two built-in datastores in its own storage area; others point at a folder
of the server's host, an S3 bucket or an Azure Blob container. A datastore's credentials are
never part of it: they are one version of a secret in the workspace's vault, named by
:class:`CredentialRef`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class DatastoreType(StrEnum):
    WORKSPACE_BLOB = "workspaceblob"
    WORKSPACE_FILE = "workspacefile"
    LOCAL = "local"
    S3 = "s3"
    AZURE_BLOB = "azure-blob"


BUILTIN_TYPES = frozenset({DatastoreType.WORKSPACE_BLOB, DatastoreType.WORKSPACE_FILE})


@dataclass(frozen=True)
class CredentialRef:
    """The vault secret that holds a datastore's credentials, pinned to the version registered."""

    secret_name: str
    version: int


@dataclass(frozen=True)
class Datastore:
    id: str
    workspace_id: str
    name: str
    datastore_type: DatastoreType
    is_default: bool
    properties: dict[str, Any]
    created_at: datetime
    created_by: str | None = None
    updated_at: datetime | None = None
    credentials: CredentialRef | None = None

    @property
    def builtin(self) -> bool:
        return self.datastore_type in BUILTIN_TYPES


@dataclass(frozen=True, slots=True)
class DatastoreFile:
    """One file of a datastore: its name, size in bytes, last write (UTC) and xxh128 when known."""

    name: str
    size: int
    modified: datetime
    xxh128: str | None = None


# -- what registering takes ----------------------------------------------------------------


@dataclass(frozen=True)
class LocalFolder:
    """A folder of the server's host, under one of ``MLYARD_LOCAL_DATASTORE_ROOTS``."""

    path: str


@dataclass(frozen=True)
class S3Bucket:
    bucket: str
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    prefix: str | None = None
    endpoint_url: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class AzureBlobContainer:
    container_name: str
    account_name: str
    sas_token: str | None = field(default=None, repr=False)
    account_key: str | None = field(default=None, repr=False)
    protocol: str | None = None
    endpoint: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None


DatastoreSpec = LocalFolder | S3Bucket | AzureBlobContainer
