"""The sha256 of a streamed upload: the client announces it, the server checks it on arrival.

Shared by every file transfer (run files, datastore files). :func:`verified` hashes chunks on
their way into a blob store and raises at the end of the stream when the digest differs, so
the store discards what it wrote (its temporary file, or its multipart upload) and an existing
blob of that name stays as it was.

The digest leads the body (``X-Content-SHA256: <hex>``) when the client knows it before
sending, or follows it (``X-Content-SHA256: trailer``): the body's last 64 bytes are then the
hex sha256 of the bytes before them. httpx cannot send HTTP trailers, and a client that had to
know the digest first read every file twice (hash, then send): a 200 MB upload went at 0.7x
MLflow's speed. A trailing digest is checked exactly as a leading one, before the store
publishes anything (the same idea as S3's ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator

from mlyard.core.errors import MlyardError, ValidationError
from mlyard.core.transfer_digests import SHA256_HEADER, SHA256_TRAILER, TRAILER_BYTES

SHA256_TARGET = SHA256_HEADER
TRAILER = SHA256_TRAILER
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def check_sha256(digest: str | None, *, trailer: bool = False) -> str | None:
    """A client's announced digest, lowercased; 64 hex characters or ``ValidationError``.

    With ``trailer``, the value :data:`TRAILER` (the digest follows the body) is accepted too."""
    if digest is None:
        return None
    lowered = digest.strip().lower()
    if trailer and lowered == TRAILER:
        return TRAILER
    if not _SHA256_HEX.fullmatch(lowered):
        also = f", or '{TRAILER}' when the body ends with it" if trailer else ""
        raise ValidationError(
            f"X-Content-SHA256 must be 64 hexadecimal characters (a sha256 digest){also}, not {digest[:80]!r}.",
            target=SHA256_TARGET,
        )
    return lowered


class Hashed:
    """Chunks passed through with their sha256 computed on the way (``hexdigest`` once consumed).

    ``expected`` is a digest, None (nothing to check) or :data:`TRAILER` (the digest is the last
    64 bytes of ``chunks``, held back from what passes through)."""

    def __init__(
        self, chunks: Iterable[bytes], expected: str | None, mismatch: Callable[[str, str], MlyardError]
    ) -> None:
        self._chunks = chunks
        self._expected = expected
        self._mismatch = mismatch
        self._digest = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        chunks = self._without_trailer() if self._expected == TRAILER else self._chunks
        for chunk in chunks:
            self._digest.update(chunk)
            yield chunk
        # Raising here, before the store publishes the blob, leaves nothing written.
        if self._expected is not None and self.hexdigest() != self._expected:
            raise self._mismatch(self.hexdigest(), self._expected)

    def _without_trailer(self) -> Iterator[bytes]:
        """The body's chunks but its last 64 bytes, which become the expected digest.

        Each chunk is held until the next one comes, so only the last one is ever cut (copied)."""
        held = b""
        for chunk in self._chunks:
            if len(chunk) >= TRAILER_BYTES:
                if held:
                    yield held
                held = chunk
            elif chunk:
                held += chunk  # a tiny piece: the trailer may straddle it and the one before
        if len(held) < TRAILER_BYTES:
            raise ValidationError(
                f"The body ended after {len(held)} bytes, before the {TRAILER_BYTES}-character sha256 that "
                "'X-Content-SHA256: trailer' announced: nothing was stored.",
                target=SHA256_TARGET,
            )
        body, trailer = held[:-TRAILER_BYTES], held[-TRAILER_BYTES:]
        try:
            digest = trailer.decode("ascii").lower()
        except UnicodeDecodeError:
            digest = ""
        if not _SHA256_HEX.fullmatch(digest):
            raise ValidationError(
                f"The body's last {TRAILER_BYTES} bytes must be its sha256 in hex ('X-Content-SHA256: trailer'), "
                f"not {trailer[:80]!r}: nothing was stored.",
                target=SHA256_TARGET,
            )
        self._expected = digest
        if body:
            yield body

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


__all__ = ["SHA256_TARGET", "TRAILER", "TRAILER_BYTES", "Hashed", "check_sha256"]
