"""What every service needs from the running server: settings, the store, the blob store."""

from __future__ import annotations

from dataclasses import dataclass

from mlyard.core.settings import Settings
from mlyard.storage import BlobStore, open_blob_store
from mlyard.store.database import Database


@dataclass(frozen=True)
class Platform:
    settings: Settings
    db: Database
    blobs: BlobStore


def build_platform(settings: Settings) -> Platform:
    """The store and blob store that ``settings`` name, as the server and ``mlyard gc`` use them."""
    options = {"endpoint_url": settings.s3_endpoint_url} if settings.s3_endpoint_url else {}
    return Platform(
        settings,
        Database(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms),
        open_blob_store(settings.storage_url, **options),
    )
