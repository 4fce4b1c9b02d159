"""The sha256 of a streamed upload: the client announces it, the server checks it on arrival.

Shared by every file transfer (run files, datastore files). :func:`verified` hashes chunks on
their way into a blob store and raises at the end of the stream when the digest differs, so
the store discards what it wrote (its temporary file, or its multipart upload) and an existing
blob of that name stays as it was.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator

from mlyard.core.errors import MlyardError, ValidationError

SHA256_TARGET = "X-Content-SHA256"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def check_sha256(digest: str | None) -> str | None:
    """A client's announced digest, lowercased; 64 hex characters or ``ValidationError``."""
    if digest is None:
        return None
    lowered = digest.strip().lower()
    if not _SHA256_HEX.fullmatch(lowered):
        raise ValidationError(
            f"X-Content-SHA256 must be 64 hexadecimal characters (a sha256 digest), not {digest[:80]!r}.",
            target=SHA256_TARGET,
        )
    return lowered


class Hashed:
    """Chunks passed through with their sha256 computed on the way (``hexdigest`` once consumed)."""

    def __init__(
        self, chunks: Iterable[bytes], expected: str | None, mismatch: Callable[[str, str], MlyardError]
    ) -> None:
        self._chunks = chunks
        self._expected = expected
        self._mismatch = mismatch
        self._digest = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self._digest.update(chunk)
            yield chunk
        # Raising here, before the store publishes the blob, leaves nothing written.
        if self._expected is not None and self.hexdigest() != self._expected:
            raise self._mismatch(self.hexdigest(), self._expected)

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


__all__ = ["SHA256_TARGET", "Hashed", "check_sha256"]
