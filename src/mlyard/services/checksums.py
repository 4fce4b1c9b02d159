"""The xxh128 (XXH3-128) of a streamed upload: the client announces it, the server checks it on arrival.

Shared by every file transfer (run files, datastore files, job snapshots). :class:`Hashed` hashes
chunks on their way into a blob store and raises at the end of the stream when the digest
differs, so the store discards what it wrote (its temporary file, or its multipart upload) and
an existing blob of that name stays as it was. Why XXH3-128 and not sha256:
:mod:`mlyard.core.transfer_digests`.

The digest leads the body (``X-Content-XXH128: <hex>``) when the client knows it before
sending, or follows it (``X-Content-XXH128: trailer``): the body's last 32 bytes are then the
hex xxh128 of the bytes before them. httpx cannot send HTTP trailers, and a client that had to
know the digest first read every file twice (hash, then send): a 200 MB upload went at 0.7x
MLflow's speed. A trailing digest is checked exactly as a leading one, before the store
publishes anything (the same idea as S3's ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from mlyard.core.errors import MlyardError, ValidationError
from mlyard.core.transfer_digests import DIGEST_HEADER, DIGEST_HEX, DIGEST_TRAILER, TRAILER_BYTES, new_hasher

DIGEST_TARGET = DIGEST_HEADER
TRAILER = DIGEST_TRAILER


def check_digest(digest: str | None, *, trailer: bool = False) -> str | None:
    """A client's announced digest, lowercased; 32 hex characters (an xxh128) or ``ValidationError``.

    With ``trailer``, the value :data:`TRAILER` (the digest follows the body) is accepted too."""
    if digest is None:
        return None
    lowered = digest.strip().lower()
    if trailer and lowered == TRAILER:
        return TRAILER
    if not DIGEST_HEX.fullmatch(lowered):
        also = f", or '{TRAILER}' when the body ends with it" if trailer else ""
        raise ValidationError(
            f"{DIGEST_HEADER} must be 32 hexadecimal characters (an XXH3-128 digest, as xxh128sum prints it)"
            f"{also}, not {digest[:80]!r}.",
            target=DIGEST_TARGET,
        )
    return lowered


class Hashed:
    """Chunks passed through with their xxh128 computed on the way (``hexdigest`` once consumed).

    ``expected`` is a digest, None (nothing to check) or :data:`TRAILER` (the digest is the last
    32 bytes of ``chunks``, held back from what passes through)."""

    def __init__(
        self, chunks: Iterable[bytes], expected: str | None, mismatch: Callable[[str, str], MlyardError]
    ) -> None:
        self._chunks = chunks
        self._expected = expected
        self._mismatch = mismatch
        self._digest = new_hasher()

    def __iter__(self) -> Iterator[bytes]:
        chunks = self._without_trailer() if self._expected == TRAILER else self._chunks
        for chunk in chunks:
            self._digest.update(chunk)
            yield chunk
        # Raising here, before the store publishes the blob, leaves nothing written.
        if self._expected is not None and self.hexdigest() != self._expected:
            raise self._mismatch(self.hexdigest(), self._expected)

    def _without_trailer(self) -> Iterator[bytes]:
        """The body's chunks but its last 32 bytes, which become the expected digest.

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
                f"The body ended after {len(held)} bytes, before the {TRAILER_BYTES}-character xxh128 that "
                f"'{DIGEST_HEADER}: trailer' announced: nothing was stored.",
                target=DIGEST_TARGET,
            )
        body, trailer = held[:-TRAILER_BYTES], held[-TRAILER_BYTES:]
        try:
            digest = trailer.decode("ascii").lower()
        except UnicodeDecodeError:
            digest = ""
        if not DIGEST_HEX.fullmatch(digest):
            raise ValidationError(
                f"The body's last {TRAILER_BYTES} bytes must be its xxh128 in hex ('{DIGEST_HEADER}: trailer'), "
                f"not {trailer[:80]!r}: nothing was stored.",
                target=DIGEST_TARGET,
            )
        self._expected = digest
        if body:
            yield body

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def xxh128_of(chunks: Iterable[bytes]) -> str:
    """The xxh128 of a blob read through (one whose digest was never recorded, or only its old sha256)."""
    digest = new_hasher()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


__all__ = ["DIGEST_TARGET", "TRAILER", "TRAILER_BYTES", "Hashed", "check_digest", "xxh128_of"]
