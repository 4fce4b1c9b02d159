"""Files of a run (outputs, logs, images), kept in the workspace's blob store.

A file ``name`` of run R in workspace W is the blob
``workspaces/{W}/runs/{R}/files/{name}``; its xxh128 (XXH3-128, hex) is kept with it by a store
that can (:class:`~mlyard.storage.base.KeepsXxh128`: the file store's extended attribute), else
in a small blob beside it under ``workspaces/{W}/runs/{R}/xxh128/{name}``, so that a download can
announce the digest in its headers without reading the file twice. A file uploaded before the
move from sha256 (its digest blob under ``.../sha256/``) has its xxh128 computed the first time a
download asks for it, and recorded then. Everything of a run lives under
``workspaces/{W}/runs/{R}/``, which :func:`delete_all` removes.

Uploads stream: the digest is computed chunk by chunk while the store writes, and a digest
that differs from the one the client announced makes the chunk iterator raise at its end, so
the store discards its temporary file (or aborts its multipart upload) and an existing file of
that name stays as it was.

An overwrite is atomic without a staging key of our own: ``BlobStore.write_stream`` already
writes to a temporary key and publishes it whole (the file store renames a temporary file
over the old one; S3 makes a multipart upload visible only when it completes), so a reader
sees the old file or the new one, and an upload that fails midway leaves the old one. A
reader already streaming the old file keeps reading it (the file store's open handle) or
fails (s3fs notices the changed ETag) rather than mixing the two. What is not atomic is the
pair of file and digest: a reader racing an overwrite may briefly see the new file with the
old digest (only where the digest is a blob of its own); the SDK then reports a checksum
mismatch and a retry succeeds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from mlyard.core.entities.tracking import Run
from mlyard.core.errors import (
    BlobNotFound,
    ChecksumMismatch,
    InvalidFileName,
    MlyardError,
    RunFileAlreadyExists,
    RunFileNotFound,
)
from mlyard.core.file_names import describe_bad_name, file_name_problem
from mlyard.services import archives
from mlyard.services.checksums import DIGEST_TARGET, Hashed, check_digest, xxh128_of
from mlyard.services.platform import Platform
from mlyard.services.runs import ensure_writable
from mlyard.services.workspaces import storage_prefix
from mlyard.storage.base import KeepsXxh128


@dataclass(frozen=True, slots=True)
class RunFile:
    """One file of a run: its name, size in bytes, last write (UTC) and xxh128 when known."""

    name: str
    size: int
    modified: datetime
    xxh128: str | None = None


def check_name(name: object) -> str:
    """Return ``name`` if it is an acceptable run file name, else raise ``InvalidFileName``."""
    problem = file_name_problem(name)
    if problem is not None:
        raise InvalidFileName(describe_bad_name(name, problem), target="name")
    assert isinstance(name, str)  # file_name_problem refuses everything else
    return name


def run_prefix(run: Run) -> str:
    return f"{storage_prefix(run.workspace_id)}/runs/{run.id}"


def _file_key(run: Run, name: str) -> str:
    return f"{run_prefix(run)}/files/{name}"


def _digest_key(run: Run, name: str) -> str:
    return f"{run_prefix(run)}/xxh128/{name}"


def _legacy_digest_key(run: Run, name: str) -> str:
    """Where a file uploaded before the move to xxh128 had its sha256 recorded."""
    return f"{run_prefix(run)}/sha256/{name}"


# -- writes --------------------------------------------------------------------------------


def upload(
    p: Platform,
    run: Run,
    name: str,
    chunks: Iterable[bytes],
    expected_xxh128: str | None = None,
    *,
    overwrite: bool = False,
) -> RunFile:
    """Stream ``chunks`` into the run's file ``name``; verify ``expected_xxh128`` when given
    (a hex digest, or ``'trailer'``: the chunks end with it, see :mod:`mlyard.services.checksums`).

    Refused before any byte is read: a bad name, a bad digest, a finished or deleted run
    (``RunNotWritable``), an existing name without ``overwrite`` (``RunFileAlreadyExists``).
    """
    name = check_name(name)
    expected = check_digest(expected_xxh128, trailer=True)
    ensure_writable(run)
    if not overwrite and p.blobs.exists(_file_key(run, name)):
        raise RunFileAlreadyExists(
            f"Run '{run.id}' already has a file '{name}': upload with overwrite=true to replace it.", target="name"
        )
    return _store(p, run, name, chunks, expected, overwrite)


def _store(p: Platform, run: Run, name: str, chunks: Iterable[bytes], expected: str | None, replacing: bool) -> RunFile:
    key = _file_key(run, name)
    hashed = Hashed(
        chunks,
        expected,
        lambda got, sent: ChecksumMismatch(
            f"File '{name}' of run '{run.id}' arrived with xxh128 {got}, but the client sent "
            f"{sent}: the upload was corrupted on the way and nothing was stored; upload it again.",
            target=DIGEST_TARGET,
        ),
    )
    blobs = p.blobs
    kept = False
    if isinstance(blobs, KeepsXxh128):
        info, kept = blobs.write_stream_xxh128(key, hashed, hashed.hexdigest)
    else:
        blobs.write_stream(key, hashed)
        info = blobs.stat(key)
    digest = hashed.hexdigest()
    if not kept:
        blobs.put_bytes(_digest_key(run, name), digest.encode("ascii"))
    elif replacing:
        blobs.delete(_digest_key(run, name))  # a digest blob of an older version would be stale
    return RunFile(name, info.size, info.modified, digest)


def _recorded_xxh128(p: Platform, run: Run, name: str) -> str | None:
    """The file's digest: kept with it by the store, else in its digest blob; for a file uploaded
    before the move from sha256, computed now (read once) and recorded; else None."""
    blobs = p.blobs
    if isinstance(blobs, KeepsXxh128):
        kept = blobs.kept_xxh128(_file_key(run, name))  # computes it for a blob of the sha256 days
        if kept is not None:
            return kept
    try:
        return blobs.get_bytes(_digest_key(run, name)).decode("ascii")
    except BlobNotFound:
        pass
    if not blobs.exists(_legacy_digest_key(run, name)):
        return None  # written by something other than upload(): no digest to announce
    try:
        digest = xxh128_of(blobs.open_read(_file_key(run, name)))
    except BlobNotFound:
        return None
    blobs.put_bytes(_digest_key(run, name), digest.encode("ascii"))
    blobs.delete(_legacy_digest_key(run, name))
    return digest


class _RunFolder:
    """A run's files as the target of an archive (:mod:`mlyard.services.archives`)."""

    def __init__(self, p: Platform, run: Run, overwrite: bool) -> None:
        self.p, self.run, self.overwrite = p, run, overwrite

    @property
    def what(self) -> str:
        return f"run '{self.run.id}'"

    def check_name(self, name: str) -> str:
        return check_name(name)

    def existing(self, names: Sequence[str]) -> set[str]:
        wanted = set(names)
        folder = archives.listing_folder(names)
        return {f.name for f in list_files(self.p, self.run, folder)} & wanted

    def refuse_existing(self, names: Sequence[str]) -> MlyardError:
        return RunFileAlreadyExists(
            f"Run '{self.run.id}' already has {archives.listed(names)}: nothing was stored; upload with "
            "overwrite=true to replace them.",
            target="name",
        )

    def store(self, name: str, chunks: Iterable[bytes], xxh128: str) -> RunFile:
        return _store(self.p, self.run, name, chunks, xxh128, self.overwrite)

    def remove(self, name: str) -> None:
        self.p.blobs.delete(_file_key(self.run, name))
        self.p.blobs.delete(_digest_key(self.run, name))


def upload_archive(p: Platform, run: Run, chunks: Iterable[bytes], *, overwrite: bool = False) -> list[RunFile]:
    """Store every file of a tar stream (:mod:`mlyard.core.archives`) in the run; all or nothing
    new (see :func:`mlyard.services.archives.unpack`). A finished or deleted run is refused first."""
    ensure_writable(run)
    return archives.unpack(chunks, _RunFolder(p, run, overwrite), overwrite=overwrite)


def delete_file(p: Platform, run: Run, name: str) -> None:
    """Remove the run's file ``name`` and its digest (``RunFileNotFound`` when there is none).

    Finished and deleted runs allow it too: deleting is its own permission, and the purge of a
    deleted run's files (``mlflow gc``) must work.
    """
    name = check_name(name)
    key = _file_key(run, name)
    if not p.blobs.exists(key):
        raise _not_found(run, name)
    p.blobs.delete(key)
    p.blobs.delete(_digest_key(run, name))
    p.blobs.delete(_legacy_digest_key(run, name))


def delete_files(p: Platform, run: Run, prefix: str = "") -> int:
    """Remove the file ``prefix`` or every file in the folder ``prefix`` (``''``: all of them).

    Answers how many files went; a prefix that matches nothing is not an error.
    """
    folders = [f"{run_prefix(run)}/{part}" for part in ("files", "xxh128", "sha256")]  # sha256: older digests
    if prefix:
        folder = check_name(prefix.removesuffix("/"))
        folders = [f"{f}/{folder}" for f in folders]
    count = p.blobs.delete_prefix(folders[0])
    for digests in folders[1:]:
        p.blobs.delete_prefix(digests)
    return count


def delete_all(p: Platform, run: Run) -> int:
    """Remove every file of the run (and the digests beside them); answer how many blobs went."""
    return p.blobs.delete_prefix(run_prefix(run))


def _not_found(run: Run, name: str) -> RunFileNotFound:
    return RunFileNotFound(
        f"Run '{run.id}' has no file '{name}': list its files with 'mlyard run files {run.id}'.", target="name"
    )


# -- reads ---------------------------------------------------------------------------------


def list_files(p: Platform, run: Run, prefix: str = "") -> list[RunFile]:
    """The run's files under the folder ``prefix`` (``''``: all of them), sorted by name."""
    base = f"{run_prefix(run)}/files"
    if prefix:
        check_name(prefix.removesuffix("/"))
        base = f"{base}/{prefix.removesuffix('/')}"
    cut = len(run_prefix(run)) + len("/files/")
    return [RunFile(b.key[cut:], b.size, b.modified) for b in p.blobs.list(base)]


def open_file(p: Platform, run: Run, name: str) -> tuple[RunFile, Iterator[bytes]]:
    """The file's details (with its xxh128 when recorded) and an iterator over its bytes."""
    name = check_name(name)
    key = _file_key(run, name)
    try:
        info = p.blobs.stat(key)
        chunks = p.blobs.open_read(key)
    except BlobNotFound:
        raise _not_found(run, name) from None
    return RunFile(name, info.size, info.modified, _recorded_xxh128(p, run, name)), chunks


def archive(p: Platform, run: Run, prefix: str = "") -> tuple[int, Iterator[bytes]]:
    """How many files lie in the folder ``prefix`` (``''``: all), and their tar stream (name order)."""
    found = list_files(p, run, prefix)

    def opener(name: str) -> Callable[[], tuple[str | None, Iterator[bytes]]]:
        def open_one() -> tuple[str | None, Iterator[bytes]]:
            # Listed just now: no name check and no stat again (pack() checks the size it reads).
            chunks = p.blobs.open_read(_file_key(run, name))
            return _recorded_xxh128(p, run, name), chunks

        return open_one

    return len(found), archives.pack(archives.Outgoing(f.name, f.size, f.modified, opener(f.name)) for f in found)


__all__ = [
    "RunFile",
    "archive",
    "check_digest",
    "check_name",
    "delete_all",
    "delete_file",
    "delete_files",
    "list_files",
    "open_file",
    "run_prefix",
    "upload",
    "upload_archive",
]
