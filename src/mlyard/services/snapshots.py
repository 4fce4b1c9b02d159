"""Source snapshots: the folder a job was submitted from, kept in the workspace's storage.

The SDK sends a tar.gz of the folder (its ignore rules applied); the server spools it to a
temporary file while hashing it, reads the archive's headers to refuse what is unsafe (links,
absolute or ``..`` names, devices) or above the limits, and only then stores it:

- ``workspaces/{W}/snapshots/{id}/snapshot.tar.gz``: the archive, as sent;
- ``workspaces/{W}/snapshots/{id}/manifest.json``: its files and sizes, so that a submission
  can check its script without opening the archive.

A snapshot is immutable; several jobs may use one.
"""

from __future__ import annotations

import json
import re
import tarfile
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

from mlyard.core.errors import BlobNotFound, ChecksumMismatch, InvalidSnapshot, SnapshotNotFound, SnapshotTooLarge
from mlyard.core.ids import new_id
from mlyard.core.settings import Settings
from mlyard.core.snapshots import SnapshotLimits, human_size, over_limits
from mlyard.services.checksums import DIGEST_TARGET, Hashed, check_digest, xxh128_of
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace, storage_prefix

ARCHIVE = "snapshot.tar.gz"
MANIFEST = "manifest.json"
_CHUNK = 1024 * 1024
_SNAPSHOT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Snapshot:
    id: str
    workspace_id: str
    files: list[tuple[str, int]]
    xxh128: str

    @property
    def size(self) -> int:
        return sum(size for _, size in self.files)

    def has_file(self, name: str) -> bool:
        wanted = str(PurePosixPath(name))
        return any(path == wanted for path, _ in self.files)


def limits(settings: Settings) -> SnapshotLimits:
    return SnapshotLimits(settings.snapshot_max_mb * 1024 * 1024, settings.snapshot_max_files)


def _prefix(workspace_id: str, snapshot_id: str) -> str:
    return f"{storage_prefix(workspace_id)}/snapshots/{snapshot_id}"


def _read(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(_CHUNK):
        yield chunk


def _capped(chunks: Iterable[bytes], cap: int) -> Iterator[bytes]:
    """The body, refused as soon as it is larger than any acceptable archive could be."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > cap:
            raise SnapshotTooLarge(
                f"The snapshot archive is larger than {human_size(cap)}, the server's limit: leave large files out "
                "with a .amlignore file (or .gitignore) at the root of the source directory.",
                target="snapshot",
            )
        yield chunk


def members(handle: IO[bytes]) -> list[tuple[str, int]]:
    """The archive's files (path, size); InvalidSnapshot for anything but plain files and folders
    inside the archive's root."""
    files: list[tuple[str, int]] = []
    try:
        with tarfile.open(fileobj=handle, mode="r:gz") as archive:
            for member in archive:
                path = PurePosixPath(member.name)
                if path.is_absolute() or ".." in path.parts or not member.name.strip():
                    raise InvalidSnapshot(
                        f"The snapshot holds '{member.name}', which points outside the source directory.",
                        target="snapshot",
                    )
                if member.isfile():
                    files.append((str(path), member.size))
                elif not member.isdir():
                    raise InvalidSnapshot(
                        f"The snapshot holds '{member.name}', which is a link or a device: a snapshot holds plain "
                        "files and folders only (the SDK copies what links point to).",
                        target="snapshot",
                    )
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise InvalidSnapshot(f"The snapshot is not a readable tar.gz archive ({exc}).", target="snapshot") from None
    return files


def upload(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    chunks: Iterable[bytes],
    expected_xxh128: str | None = None,
) -> Snapshot:
    """Check and store a snapshot archive; nothing is stored when a check fails."""
    expected = check_digest(expected_xxh128)
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    cap = limits(p.settings)
    with tempfile.TemporaryFile(prefix="mlyard-snapshot-") as spool:
        hashed = Hashed(
            _capped(chunks, cap.max_bytes + 1024 * 1024),
            expected,
            lambda got, sent: ChecksumMismatch(
                f"The snapshot arrived with xxh128 {got}, but the client sent {sent}: it was corrupted on the way "
                "and nothing was stored; submit again.",
                target=DIGEST_TARGET,
            ),
        )
        for chunk in hashed:
            spool.write(chunk)
        spool.seek(0)
        files = members(spool)
        problem = over_limits(files, cap)
        if problem is not None:
            raise SnapshotTooLarge(problem, target="snapshot")
        snapshot = Snapshot(new_id(), ws.id, files, hashed.hexdigest())
        spool.seek(0)
        prefix = _prefix(ws.id, snapshot.id)
        p.blobs.write_stream(f"{prefix}/{ARCHIVE}", _read(spool))
    manifest = {"files": [[name, size] for name, size in files], "xxh128": snapshot.xxh128}
    p.blobs.put_bytes(f"{prefix}/{MANIFEST}", json.dumps(manifest).encode())
    return snapshot


def get_snapshot(p: Platform, workspace_id: str, snapshot_id: str) -> Snapshot:
    try:
        if not _SNAPSHOT_ID.fullmatch(snapshot_id):
            raise BlobNotFound(snapshot_id)
        text = p.blobs.get_bytes(f"{_prefix(workspace_id, snapshot_id)}/{MANIFEST}")
    except BlobNotFound:
        raise SnapshotNotFound(
            f"Snapshot '{snapshot_id}' was not found in this workspace: upload the source directory again "
            "(the SDK and CLI do it at every submission).",
            target="snapshotId",
        ) from None
    data = json.loads(text)
    digest = data.get("xxh128")
    if not isinstance(digest, str):  # uploaded while digests were sha256: the archive read once, kept
        digest = xxh128_of(open_archive(p, workspace_id, snapshot_id))
        data = {"files": data["files"], "xxh128": digest}
        p.blobs.put_bytes(f"{_prefix(workspace_id, snapshot_id)}/{MANIFEST}", json.dumps(data).encode())
    return Snapshot(snapshot_id, workspace_id, [(str(n), int(s)) for n, s in data["files"]], digest)


def open_archive(p: Platform, workspace_id: str, snapshot_id: str) -> Iterator[bytes]:
    return p.blobs.open_read(f"{_prefix(workspace_id, snapshot_id)}/{ARCHIVE}")
