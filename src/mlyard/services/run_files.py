"""Files of a run (outputs, logs, images), kept in the workspace's blob store.

A file ``name`` of run R in workspace W is the blob
``workspaces/{W}/runs/{R}/files/{name}``; its sha256 (hex) is a small blob beside it under
``workspaces/{W}/runs/{R}/sha256/{name}``, so that a download can announce the digest in its
headers without reading the file twice. Everything of a run lives under
``workspaces/{W}/runs/{R}/``, which :func:`delete_all` removes.

Uploads stream: the digest is computed chunk by chunk while the store writes, and a digest
that differs from the one the client announced makes the chunk iterator raise at its end, so
the store discards its temporary file (or aborts its multipart upload) and an existing file of
that name stays as it was. A reader racing an overwrite may briefly see the new file with the
old digest; the SDK then reports a checksum mismatch and a retry succeeds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from mlyard.core.entities.tracking import Run
from mlyard.core.errors import (
    BlobNotFound,
    ChecksumMismatch,
    InvalidFileName,
    RunFileAlreadyExists,
    RunFileNotFound,
    ValidationError,
)
from mlyard.core.file_names import describe_bad_name, file_name_problem
from mlyard.services.platform import Platform
from mlyard.services.runs import ensure_writable
from mlyard.services.workspaces import storage_prefix

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class RunFile:
    """One file of a run: its name, size in bytes, last write (UTC) and sha256 when known."""

    name: str
    size: int
    modified: datetime
    sha256: str | None = None


def check_name(name: object) -> str:
    """Return ``name`` if it is an acceptable run file name, else raise ``InvalidFileName``."""
    problem = file_name_problem(name)
    if problem is not None:
        raise InvalidFileName(describe_bad_name(name, problem), target="name")
    assert isinstance(name, str)  # file_name_problem refuses everything else
    return name


def check_sha256(digest: str | None) -> str | None:
    """A client's announced digest, lowercased; 64 hex characters or ``ValidationError``."""
    if digest is None:
        return None
    lowered = digest.strip().lower()
    if not _SHA256_HEX.fullmatch(lowered):
        raise ValidationError(
            f"X-Content-SHA256 must be 64 hexadecimal characters (a sha256 digest), not {digest[:80]!r}.",
            target="X-Content-SHA256",
        )
    return lowered


def run_prefix(run: Run) -> str:
    return f"{storage_prefix(run.workspace_id)}/runs/{run.id}"


def _file_key(run: Run, name: str) -> str:
    return f"{run_prefix(run)}/files/{name}"


def _digest_key(run: Run, name: str) -> str:
    return f"{run_prefix(run)}/sha256/{name}"


# -- writes --------------------------------------------------------------------------------


def upload(
    p: Platform,
    run: Run,
    name: str,
    chunks: Iterable[bytes],
    expected_sha256: str | None = None,
    *,
    overwrite: bool = False,
) -> RunFile:
    """Stream ``chunks`` into the run's file ``name``; verify ``expected_sha256`` when given.

    Refused before any byte is read: a bad name, a bad digest, a finished or deleted run
    (``RunNotWritable``), an existing name without ``overwrite`` (``RunFileAlreadyExists``).
    """
    name = check_name(name)
    expected = check_sha256(expected_sha256)
    ensure_writable(run)
    key = _file_key(run, name)
    if not overwrite and p.blobs.exists(key):
        raise RunFileAlreadyExists(
            f"Run '{run.id}' already has a file '{name}': upload with overwrite=true to replace it.", target="name"
        )
    digest = hashlib.sha256()

    def hashed() -> Iterator[bytes]:
        for chunk in chunks:
            digest.update(chunk)
            yield chunk
        # Raising here, before the store publishes the blob, leaves nothing written.
        if expected is not None and digest.hexdigest() != expected:
            raise ChecksumMismatch(
                f"File '{name}' of run '{run.id}' arrived with sha256 {digest.hexdigest()}, but the client sent "
                f"{expected}: the upload was corrupted on the way and nothing was stored; upload it again.",
                target="X-Content-SHA256",
            )

    size = p.blobs.write_stream(key, hashed())
    sha = digest.hexdigest()
    p.blobs.put_bytes(_digest_key(run, name), sha.encode("ascii"))
    info = p.blobs.stat(key)
    return RunFile(name, size, info.modified, sha)


def delete_all(p: Platform, run: Run) -> int:
    """Remove every file of the run (and the digests beside them); answer how many blobs went."""
    return p.blobs.delete_prefix(run_prefix(run))


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
    """The file's details (with its sha256 when recorded) and an iterator over its bytes."""
    name = check_name(name)
    key = _file_key(run, name)
    try:
        info = p.blobs.stat(key)
        chunks = p.blobs.open_read(key)
    except BlobNotFound:
        raise RunFileNotFound(
            f"Run '{run.id}' has no file '{name}': list its files with 'mlyard run files {run.id}'.", target="name"
        ) from None
    try:
        sha: str | None = p.blobs.get_bytes(_digest_key(run, name)).decode("ascii")
    except BlobNotFound:
        sha = None  # written by something other than upload(): no digest to announce
    return RunFile(name, info.size, info.modified, sha), chunks


__all__ = ["RunFile", "check_name", "check_sha256", "delete_all", "list_files", "open_file", "run_prefix", "upload"]
