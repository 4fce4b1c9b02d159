"""A workspace's secrets on the wire: values only in answers to reads, never in metadata."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel

MAX_BATCH = 200


class SecretSet(RequestModel):
    # The service bounds the value (25 KiB of UTF-8) with a message that says so.
    value: str = Field(repr=False)


class SecretBatchSet(RequestModel):
    secrets: dict[str, str] = Field(min_length=1, max_length=MAX_BATCH, repr=False)


class SecretBatchGet(RequestModel):
    names: list[str] = Field(min_length=1, max_length=MAX_BATCH)


class SecretInfoOut(WireModel):
    """A secret version without its value."""

    name: str
    version: int
    created_at: datetime
    created_by: str | None = None


class SecretValueOut(WireModel):
    name: str
    value: str = Field(repr=False)
    version: int
    created_at: datetime


class SecretBatchOut(WireModel):
    secrets: list[SecretValueOut]


class SecretDeletionOut(WireModel):
    name: str
    deleted_versions: int
    deleted_at: datetime
