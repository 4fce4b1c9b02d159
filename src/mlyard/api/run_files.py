"""Wire schemas of a run's files: what an upload answers and what a listing holds.

Uploads and downloads carry the file's raw bytes, not JSON; the file's sha256 travels in the
``X-Content-SHA256`` header (hex) both ways (an upload may instead send ``trailer`` there and
end its body with the 64 hex characters), and a download's ``ETag`` is that digest quoted.
Many files travel as one tar stream (``.../files.tar``, format in :mod:`mlyard.core.archives`).
"""

from __future__ import annotations

from datetime import datetime

from mlyard.api.base import WireModel
from mlyard.core.transfer_digests import SHA256_HEADER, SHA256_TRAILER

ARCHIVE_COUNT_HEADER = "X-File-Count"
"""How many files a downloaded archive (``GET .../files.tar``) holds: a progress bar's total."""


class RunFileOut(WireModel):
    name: str
    size: int
    modified_utc: datetime
    sha256: str | None = None


class RunFileListOut(WireModel):
    value: list[RunFileOut]


__all__ = ["ARCHIVE_COUNT_HEADER", "SHA256_HEADER", "SHA256_TRAILER", "RunFileListOut", "RunFileOut"]
