"""Datastores on the wire: what registering takes, what a datastore looks like, its files.

A registration is one JSON body whose ``datastoreType`` says which fields it has. Credentials
(``secretAccessKey``, ``sasToken``, ``accountKey``, ...) travel only in registrations: answers
name the vault secret that holds them (``credentials.secretName`` and ``version``), never a
value. File bodies are raw bytes, their xxh128 in ``X-Content-XXH128`` both ways.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel
from mlyard.api.run_files import DIGEST_HEADER


class LocalDatastoreIn(RequestModel):
    datastore_type: Literal["local"]
    path: str = Field(min_length=1, max_length=4096, description="An absolute folder of the server's host.")


class S3DatastoreIn(RequestModel):
    datastore_type: Literal["s3"]
    bucket: str = Field(max_length=63)
    prefix: str | None = Field(default=None, max_length=900)
    endpoint_url: str | None = Field(default=None, max_length=2048)
    region: str | None = Field(default=None, max_length=64)
    access_key_id: str | None = Field(default=None, max_length=256, repr=False)
    secret_access_key: str | None = Field(default=None, max_length=1024, repr=False)


class AzureBlobDatastoreIn(RequestModel):
    datastore_type: Literal["azure-blob"]
    container_name: str = Field(max_length=63)
    account_name: str = Field(max_length=24)
    sas_token: str | None = Field(default=None, max_length=8192, repr=False)
    account_key: str | None = Field(default=None, max_length=1024, repr=False)
    protocol: str | None = Field(default=None, max_length=5)
    endpoint: str | None = Field(default=None, max_length=255)
    subscription_id: str | None = Field(default=None, max_length=64)
    resource_group: str | None = Field(default=None, max_length=90)


DatastoreRegister = Annotated[
    LocalDatastoreIn | S3DatastoreIn | AzureBlobDatastoreIn, Field(discriminator="datastore_type")
]


class DefaultDatastoreIn(RequestModel):
    name: str = Field(min_length=1, max_length=255)


class CredentialsOut(WireModel):
    """The vault secret holding a datastore's credentials (``mlyard secret show -n <secretName>``)."""

    secret_name: str
    version: int


class DatastoreOut(WireModel):
    id: str
    name: str
    datastore_type: str
    is_default: bool
    workspace: str
    properties: dict[str, Any]
    created_at: datetime
    created_by: str | None = None
    updated_at: datetime | None = None
    credentials: CredentialsOut | None = None


class DatastoreFileOut(WireModel):
    name: str
    size: int
    modified_utc: datetime
    xxh128: str | None = None


class DatastoreFileListOut(WireModel):
    value: list[DatastoreFileOut]


__all__ = [
    "DIGEST_HEADER",
    "AzureBlobDatastoreIn",
    "CredentialsOut",
    "DatastoreFileListOut",
    "DatastoreFileOut",
    "DatastoreOut",
    "DatastoreRegister",
    "DefaultDatastoreIn",
    "LocalDatastoreIn",
    "S3DatastoreIn",
]
