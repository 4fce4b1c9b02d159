"""Files of a datastore: listed, and streamed in and out with their xxh128, whatever holds them.

A file ``name`` of a datastore is the key ``name`` under the datastore's location (see
:mod:`mlyard.services.datastore_access`): the workspace's own storage area, a folder of the
host, or an S3 bucket and prefix. Names follow the run files' rule (relative, no ``..``, ...).

Uploads stream through :class:`~mlyard.services.checksums.Hashed`: a body whose digest is not
the one the client announced is discarded by the store, and a file already there stays as it
was. The digest of each upload is kept with the file when the datastore is the workspace's own
file store (an extended attribute, :class:`~mlyard.storage.base.KeepsXxh128`); otherwise it is
recorded in the server's own blob store (never beside the data) with the size and time of the
write; a download announces it only while the file still
has that size and time, so a file changed by another tool since is sent without a digest
rather than with a stale one. A file whose record is still the sha256 of before the move to
xxh128 (and still holds) has its xxh128 computed the first time it is asked for, and recorded.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from mlyard.core.entities.datastores import Datastore, DatastoreFile
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.errors import (
    BlobNotFound,
    ChecksumMismatch,
    DatastoreFileAlreadyExists,
    DatastoreFileNotFound,
    InvalidBlobPath,
    InvalidFileName,
    MlyardError,
    ValidationError,
)
from mlyard.core.file_names import describe_bad_name, file_name_problem
from mlyard.services import archives
from mlyard.services.checksums import DIGEST_TARGET, Hashed, check_digest, xxh128_of
from mlyard.services.datastore_access import Location, digest_prefix, legacy_digest_prefix, open_location
from mlyard.services.datastores import datastore_of
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.storage import BlobInfo
from mlyard.storage.base import KeepsXxh128


def check_name(name: object) -> str:
    """Return ``name`` if it is an acceptable datastore file name, else raise ``InvalidFileName``."""
    problem = file_name_problem(name, "the datastore")
    if problem is not None:
        raise InvalidFileName(describe_bad_name(name, problem, "datastore file"), target="name")
    assert isinstance(name, str)  # file_name_problem refuses everything else
    return name


@dataclass(frozen=True)
class _Target:
    ws: Workspace
    datastore: Datastore
    location: Location


def _open(p: Platform, subscription_id: str, resource_group: str, workspace: str, datastore: str) -> _Target:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    ds = datastore_of(p, ws, datastore)
    return _Target(ws, ds, open_location(p, ws, ds))


def _digest_key(t: _Target, name: str) -> str:
    return f"{digest_prefix(t.ws.id, t.datastore.id)}/{name}"


def _legacy_digest_key(t: _Target, name: str) -> str:
    return f"{legacy_digest_prefix(t.ws.id, t.datastore.id)}/{name}"


def _interrupted(chunks: Iterable[bytes], name: str) -> Iterator[bytes]:
    """The body's chunks; a body that breaks off is the client's failure, not the datastore's."""
    try:
        yield from chunks
    except MlyardError:
        raise
    except Exception as exc:
        raise ValidationError(
            f"The upload of '{name}' broke off ({type(exc).__name__}): nothing was stored; upload it again.",
            target="body",
        ) from None


def upload(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    datastore: str,
    name: str,
    chunks: Iterable[bytes],
    expected_xxh128: str | None = None,
    *,
    overwrite: bool = False,
) -> DatastoreFile:
    """Stream ``chunks`` into the datastore's file ``name``; verify ``expected_xxh128`` when given
    (a hex digest, or ``'trailer'``: the chunks end with it, see :mod:`mlyard.services.checksums`).

    Refused before a byte is read: a bad name or digest, a datastore that cannot be reached, an
    existing file without ``overwrite`` (``DatastoreFileAlreadyExists``).
    """
    name = check_name(name)
    expected = check_digest(expected_xxh128, trailer=True)
    t = _open(p, subscription_id, resource_group, workspace, datastore)
    with t.location.reaching(f"uploading '{name}'"):
        if not overwrite and t.location.blobs.exists(t.location.key(name)):
            raise DatastoreFileAlreadyExists(
                f"Datastore '{t.datastore.name}' already has a file '{name}': upload with overwrite=True "
                "(--overwrite) to replace it.",
                target="name",
            )
    return _store(p, t, name, chunks, expected)


def _store(p: Platform, t: _Target, name: str, chunks: Iterable[bytes], expected: str | None) -> DatastoreFile:
    key = t.location.key(name)
    with t.location.reaching(f"uploading '{name}'"):
        hashed = Hashed(
            _interrupted(chunks, name),
            expected,
            lambda got, sent: ChecksumMismatch(
                f"File '{name}' for datastore '{t.datastore.name}' arrived with xxh128 {got}, but the client sent "
                f"{sent}: the upload was corrupted on the way and nothing was stored; upload it again.",
                target=DIGEST_TARGET,
            ),
        )
        blobs = t.location.blobs
        kept = False
        if isinstance(blobs, KeepsXxh128):  # the workspace's own file store: with the file itself
            info, kept = blobs.write_stream_xxh128(key, hashed, hashed.hexdigest)
        else:
            blobs.write_stream(key, hashed)
            info = blobs.stat(key)
    digest = hashed.hexdigest()
    if not kept:
        _record(p, t, name, info, digest)
    return DatastoreFile(name, info.size, info.modified, digest)


def _record(p: Platform, t: _Target, name: str, info: BlobInfo, digest: str) -> None:
    record = {"xxh128": digest, "size": info.size, "modified": info.modified.isoformat()}
    # A file store cannot keep records of both 'a' and 'a/b' (an S3 bucket can hold both files):
    # such a file goes without a recorded digest, and a stale record never matches its new size and time.
    with contextlib.suppress(InvalidBlobPath):
        p.blobs.put_bytes(_digest_key(t, name), json.dumps(record).encode())


def list_files(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, datastore: str, prefix: str = ""
) -> list[DatastoreFile]:
    """The datastore's files in the folder ``prefix`` (``''``: all of them), sorted by name."""
    folder = prefix.strip("/")
    if folder:
        check_name(folder)
    t = _open(p, subscription_id, resource_group, workspace, datastore)
    start = t.location.key(folder) if folder else t.location.prefix
    with t.location.reaching("listing its files"):
        found = list(t.location.blobs.list(start))
    return [DatastoreFile(t.location.name_of(b.key), b.size, b.modified) for b in found]


def open_file(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, datastore: str, name: str
) -> tuple[DatastoreFile, Iterator[bytes]]:
    """The file's details (with its xxh128 while the recorded one still holds) and its bytes."""
    name = check_name(name)
    t = _open(p, subscription_id, resource_group, workspace, datastore)
    key = t.location.key(name)
    try:
        with t.location.reaching(f"reading '{name}'"):
            info = t.location.blobs.stat(key)
            chunks = t.location.blobs.open_read(key)
    except BlobNotFound:
        raise DatastoreFileNotFound(
            f"Datastore '{t.datastore.name}' has no file '{name}': list its files with "
            f"'mlyard datastore files -n {t.datastore.name}'.",
            target="name",
        ) from None
    return DatastoreFile(name, info.size, info.modified, _recorded_xxh128(p, t, name, info)), chunks


@runtime_checkable
class _Removable(Protocol):
    def delete(self, key: str) -> None: ...


class _DatastoreFolder:
    """A datastore as the target of an archive (:mod:`mlyard.services.archives`)."""

    def __init__(self, p: Platform, t: _Target) -> None:
        self.p, self.t = p, t

    @property
    def what(self) -> str:
        return f"datastore '{self.t.datastore.name}'"

    def check_name(self, name: str) -> str:
        return check_name(name)

    def existing(self, names: Sequence[str]) -> set[str]:
        wanted = set(names)
        folder = archives.listing_folder(names)
        start = self.t.location.key(folder) if folder else self.t.location.prefix
        with self.t.location.reaching("listing its files"):
            return {self.t.location.name_of(b.key) for b in self.t.location.blobs.list(start)} & wanted

    def refuse_existing(self, names: Sequence[str]) -> MlyardError:
        return DatastoreFileAlreadyExists(
            f"Datastore '{self.t.datastore.name}' already has {archives.listed(names)}: nothing was uploaded. "
            "Pass overwrite=True (--overwrite) to replace them.",
            target="name",
        )

    def store(self, name: str, chunks: Iterable[bytes], xxh128: str) -> DatastoreFile:
        return _store(self.p, self.t, name, chunks, xxh128)

    def remove(self, name: str) -> None:
        blobs = self.t.location.blobs
        if isinstance(blobs, _Removable):  # both stores are; DatastoreBlobs does not promise it
            with self.t.location.reaching(f"removing '{name}'"):
                blobs.delete(self.t.location.key(name))
        self.p.blobs.delete(_digest_key(self.t, name))


def upload_archive(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    datastore: str,
    chunks: Iterable[bytes],
    *,
    overwrite: bool = False,
) -> list[DatastoreFile]:
    """Store every file of a tar stream (:mod:`mlyard.core.archives`) in the datastore; all or
    nothing new (see :func:`mlyard.services.archives.unpack`)."""
    t = _open(p, subscription_id, resource_group, workspace, datastore)
    return archives.unpack(chunks, _DatastoreFolder(p, t), overwrite=overwrite)


def archive(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    datastore: str,
    prefix: str = "",
    *,
    max_size: int | None = None,
) -> tuple[int, Iterator[bytes]]:
    """How many files lie in the folder ``prefix`` (``''``: all), and their tar stream (name order);
    only those of at most ``max_size`` bytes when given (the client fetches bigger ones one by one)."""
    folder = prefix.strip("/")
    if folder:
        check_name(folder)
    t = _open(p, subscription_id, resource_group, workspace, datastore)
    start = t.location.key(folder) if folder else t.location.prefix
    with t.location.reaching("listing its files"):
        found = [b for b in t.location.blobs.list(start) if max_size is None or b.size <= max_size]

    def opener(info: BlobInfo) -> Callable[[], tuple[str | None, Iterator[bytes]]]:
        def open_one() -> tuple[str | None, Iterator[bytes]]:
            name = t.location.name_of(info.key)
            with t.location.reaching(f"reading '{name}'"):
                chunks = t.location.blobs.open_read(info.key)
            return _recorded_xxh128(p, t, name, info), chunks

        return open_one

    return len(found), archives.pack(
        archives.Outgoing(t.location.name_of(b.key), b.size, b.modified, opener(b)) for b in found
    )


def _recorded_xxh128(p: Platform, t: _Target, name: str, info: BlobInfo) -> str | None:
    blobs = t.location.blobs
    if isinstance(blobs, KeepsXxh128):
        kept = blobs.kept_xxh128(t.location.key(name))  # computes it for a blob of the sha256 days
        if kept is not None:
            return kept
    digest = _holding(p, _digest_key(t, name), info, "xxh128")
    if digest is not None or _holding(p, _legacy_digest_key(t, name), info, "sha256") is None:
        return digest  # None: written by another tool, before digests were kept, or changed since
    # Uploaded while digests were sha256, unchanged since: its xxh128 read once, and recorded.
    with t.location.reaching(f"reading '{name}'"):
        digest = xxh128_of(blobs.open_read(t.location.key(name)))
    _record(p, t, name, info, digest)
    with contextlib.suppress(InvalidBlobPath):
        p.blobs.delete(_legacy_digest_key(t, name))
    return digest


def _holding(p: Platform, key: str, info: BlobInfo, field: str) -> str | None:
    """The digest ``field`` of the record at ``key`` while the file still has its size and time."""
    try:
        record = json.loads(p.blobs.get_bytes(key))
    except (BlobNotFound, InvalidBlobPath, ValueError):
        return None
    if record.get("size") != info.size or record.get("modified") != info.modified.isoformat():
        return None  # changed since mlyard wrote it
    digest = record.get(field)
    return digest if isinstance(digest, str) else None


__all__ = ["archive", "check_name", "list_files", "open_file", "upload", "upload_archive"]
