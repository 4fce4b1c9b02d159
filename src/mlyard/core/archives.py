"""The wire format that carries many files in one request: a streamed POSIX (PAX) tar.

Shared by the server (:mod:`mlyard.services.archives`) and the SDK (:mod:`mlyard.sdk.archives`),
for run files and datastore files alike. One request per folder instead of one per file is
what makes a thousand small files quick: authentication, the run or datastore lookup and the
audit row are paid once.

An upload is a tar whose first entry is a manifest (:data:`MANIFEST_NAME`, JSON): every file's
name, size and xxh128 (XXH3-128, see :mod:`mlyard.core.transfer_digests`), in the order the
entries follow. The server checks every name (and, without overwrite, that none exists) before
it stores a byte, then checks each entry against the manifest as it streams in. A download is a
tar of the folder's files in name order, each entry carrying its xxh128, when known, in the PAX
header :data:`DIGEST_PAX`. Only regular files travel: a link, a folder or a device entry is
refused on either side.

Both sides build and read the stream piece by piece (:func:`entry_header`, :class:`ChunkReader`
under :mod:`tarfile`'s stream mode), so nothing holds a whole archive in memory.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MEDIA_TYPE = "application/x-tar"
MANIFEST_NAME = ".~mlyard-manifest.json"
"""The first entry of an upload (a reserved name, so never a file's)."""
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
DIGEST_PAX = "MLYARD.xxh128"
"""The PAX header of a downloaded entry that holds its xxh128 (hex)."""
BLOCK = tarfile.BLOCKSIZE
END = b"\0" * (2 * BLOCK)
"""Two zero blocks close an archive."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One file announced by an upload's manifest."""

    name: str
    size: int
    xxh128: str


def padding(size: int) -> bytes:
    """The zeros that fill an entry's data to a whole block."""
    return b"\0" * (-size % BLOCK)


def entry_header(name: str, size: int, mtime: float = 0.0, xxh128: str | None = None) -> bytes:
    """The header blocks of a regular file entry (PAX, so long and non-ASCII names travel)."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o644
    if xxh128:
        info.pax_headers = {DIGEST_PAX: xxh128}
    return info.tobuf(tarfile.PAX_FORMAT, encoding="utf-8", errors="strict")


def manifest_bytes(entries: Iterable[ManifestEntry]) -> bytes:
    body = {"files": [{"name": e.name, "size": e.size, "xxh128": e.xxh128} for e in entries]}
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def parse_manifest(data: bytes) -> list[ManifestEntry]:
    """The manifest's entries; ``ValueError`` saying what is wrong with a malformed one."""
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the manifest is not JSON ({exc})") from None
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, list):
        raise ValueError('the manifest must be {"files": [{"name", "size", "xxh128"}, ...]}')
    out = []
    for i, item in enumerate(files):
        name, size, digest = (item.get(k) for k in ("name", "size", "xxh128")) if isinstance(item, dict) else (0, 0, 0)
        if not isinstance(name, str) or type(size) is not int or size < 0 or not isinstance(digest, str):
            raise ValueError(f"entry {i} of the manifest needs a name, a size (bytes, >= 0) and an xxh128")
        out.append(ManifestEntry(name, size, digest))
    return out


def entry_kind(member: tarfile.TarInfo) -> str | None:
    """What a non-regular entry is ('a symbolic link', ...), or None for a regular file."""
    if member.isreg():
        return None
    if member.issym():
        return f"a symbolic link to '{member.linkname}'"
    if member.islnk():
        return f"a hard link to '{member.linkname}'"
    if member.isdir():
        return "a folder"
    return "a device or special file"


class ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (what :func:`tarfile.open` reads with ``r|``)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = memoryview(b"")
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.consumed += n
        return n


def open_stream(chunks: Iterable[bytes]) -> tarfile.TarFile:
    """A tar read entry by entry from ``chunks`` (stream mode: no seeking, nothing kept)."""
    return tarfile.open(fileobj=io.BufferedReader(ChunkReader(chunks), 1024 * 1024), mode="r|")


def coalesce(pieces: Iterable[bytes], size: int = 256 * 1024) -> Iterator[bytes]:
    """Gather small pieces (headers, small files) into chunks of about ``size`` bytes."""
    pending: list[bytes] = []
    held = 0
    for piece in pieces:
        if len(piece) >= size:  # a big chunk goes as it is, after what was gathered before it
            if pending:
                yield b"".join(pending)
                pending, held = [], 0
            yield piece
            continue
        pending.append(piece)
        held += len(piece)
        if held >= size:
            yield b"".join(pending)
            pending, held = [], 0
    if pending:
        yield b"".join(pending)


__all__ = [
    "BLOCK",
    "DIGEST_PAX",
    "END",
    "MANIFEST_NAME",
    "MAX_MANIFEST_BYTES",
    "MEDIA_TYPE",
    "ChunkReader",
    "ManifestEntry",
    "coalesce",
    "entry_header",
    "entry_kind",
    "manifest_bytes",
    "open_stream",
    "padding",
    "parse_manifest",
]
