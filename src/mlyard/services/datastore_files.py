"""Files of a datastore: listed, and streamed in and out with their sha256, whatever holds them.

A file ``name`` of a datastore is the key ``name`` under the datastore's location (see
:mod:`mlyard.services.datastore_access`): the workspace's own storage area, a folder of the
host, or an S3 bucket and prefix. Names follow the run files' rule (relative, no ``..``, ...).

Uploads stream through :class:`~mlyard.services.checksums.Hashed`: a body whose digest is not
the one the client announced is discarded by the store, and a file already there stays as it
was. The digest of each upload is recorded in the server's own blob store (never beside the
data) with the size and time of the write; a download announces it only while the file still
has that size and time, so a file changed by another tool since is sent without a digest
rather than with a stale one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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
from mlyard.services.checksums import SHA256_TARGET, Hashed, check_sha256
from mlyard.services.datastore_access import Location, digest_prefix, open_location
from mlyard.services.datastores import datastore_of
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.storage import BlobInfo


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
    expected_sha256: str | None = None,
    *,
    overwrite: bool = False,
) -> DatastoreFile:
    """Stream ``chunks`` into the datastore's file ``name``; verify ``expected_sha256`` when given.

    Refused before a byte is read: a bad name or digest, a datastore that cannot be reached, an
    existing file without ``overwrite`` (``DatastoreFileAlreadyExists``).
    """
    name = check_name(name)
    expected = check_sha256(expected_sha256)
    t = _open(p, subscription_id, resource_group, workspace, datastore)
    key = t.location.key(name)
    with t.location.reaching(f"uploading '{name}'"):
        if not overwrite and t.location.blobs.exists(key):
            raise DatastoreFileAlreadyExists(
                f"Datastore '{t.datastore.name}' already has a file '{name}': upload with overwrite=True "
                "(--overwrite) to replace it.",
                target="name",
            )
        hashed = Hashed(
            _interrupted(chunks, name),
            expected,
            lambda got, sent: ChecksumMismatch(
                f"File '{name}' for datastore '{t.datastore.name}' arrived with sha256 {got}, but the client sent "
                f"{sent}: the upload was corrupted on the way and nothing was stored; upload it again.",
                target=SHA256_TARGET,
            ),
        )
        size = t.location.blobs.write_stream(key, hashed)
        info = t.location.blobs.stat(key)
    sha = hashed.hexdigest()
    record = {"sha256": sha, "size": info.size, "modified": info.modified.isoformat()}
    # A file store cannot keep records of both 'a' and 'a/b' (an S3 bucket can hold both files):
    # such a file goes without a recorded digest, and a stale record never matches its new size and time.
    with contextlib.suppress(InvalidBlobPath):
        p.blobs.put_bytes(_digest_key(t, name), json.dumps(record).encode())
    return DatastoreFile(name, size, info.modified, sha)


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
    """The file's details (with its sha256 while the recorded one still holds) and its bytes."""
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
    return DatastoreFile(name, info.size, info.modified, _recorded_sha256(p, t, name, info)), chunks


def _recorded_sha256(p: Platform, t: _Target, name: str, info: BlobInfo) -> str | None:
    try:
        record = json.loads(p.blobs.get_bytes(_digest_key(t, name)))
    except (BlobNotFound, ValueError):
        return None  # written by another tool, or before digests were kept
    if record.get("size") != info.size or record.get("modified") != info.modified.isoformat():
        return None  # changed since mlyard wrote it
    sha = record.get("sha256")
    return sha if isinstance(sha, str) else None


__all__ = ["check_name", "list_files", "open_file", "upload"]
