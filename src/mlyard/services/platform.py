"""What every service needs from the running server: settings, the store, the blob store."""

from __future__ import annotations

from dataclasses import dataclass

from mlyard.core.settings import Settings
from mlyard.storage import BlobStore
from mlyard.store.database import Database


@dataclass(frozen=True)
class Platform:
    settings: Settings
    db: Database
    blobs: BlobStore
