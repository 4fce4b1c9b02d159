"""Wire schemas of a run's files: what an upload answers and what a listing holds.

Uploads and downloads carry the file's raw bytes, not JSON; the file's xxh128 (XXH3-128, see
:mod:`mlyard.core.transfer_digests`) travels in the ``X-Content-XXH128`` header (32 hex) both ways
(an upload may instead send ``trailer`` there and end its body with the 32 hex characters), and a
download's ``ETag`` is that digest quoted.
Many files travel as one tar stream (``.../files.tar``, format in :mod:`mlyard.core.archives`).
"""

from __future__ import annotations

from datetime import datetime

from mlyard.api.base import WireModel
from mlyard.core.transfer_digests import DIGEST_HEADER, DIGEST_TRAILER

ARCHIVE_COUNT_HEADER = "X-File-Count"
"""How many files a downloaded archive (``GET .../files.tar``) holds: a progress bar's total."""


class RunFileOut(WireModel):
    name: str
    size: int
    modified_utc: datetime
    xxh128: str | None = None


class RunFileListOut(WireModel):
    value: list[RunFileOut]


__all__ = ["ARCHIVE_COUNT_HEADER", "DIGEST_HEADER", "DIGEST_TRAILER", "RunFileListOut", "RunFileOut"]
