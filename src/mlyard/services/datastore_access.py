"""Where a datastore's files are: a blob store (and a key prefix in it) for each kind of datastore.

- ``workspaceblob`` / ``workspacefile``: the server's own blob store, under the workspace's
  storage area (``workspaces/{id}/blobs``, ``…/files``).
- ``local``: a folder of the server's host, allowed only under ``MLYARD_LOCAL_DATASTORE_ROOTS``
  and never over the server's own files. The folder is resolved (symbolic links followed) when
  registered and again on every use, and each file's real path must stay inside it, so that a
  link planted in the folder cannot reach the rest of the host.
- ``s3``: a bucket (and prefix) reached with the credentials kept in the workspace's vault,
  never with the server's own: an S3 datastore without credentials is refused.
- ``azure-blob``: registered, but not reachable from this installation (``DatastoreNotSupported``).

Opened S3 stores are kept (a few dozen, keyed by the datastore's id and its last change), since
building an S3 client and unsealing its secret for every file of a 10,000-file upload would
dominate the transfer.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from mlyard.core.entities.datastores import Datastore, DatastoreType
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.errors import (
    DatastoreNotSupported,
    DatastorePathNotAllowed,
    DatastoreUnreachable,
    MlyardError,
    ServiceUnavailable,
)
from mlyard.services import vault
from mlyard.services.platform import Platform
from mlyard.services.workspaces import storage_prefix
from mlyard.storage import DEFAULT_CHUNK_SIZE, BlobInfo, FileBlobStore, S3BlobStore, validate_key

log = logging.getLogger("mlyard.datastores")

ROOTS_SETTING = "MLYARD_LOCAL_DATASTORE_ROOTS"
AZURE_NOT_BUILT = "Azure Blob support is not built in this installation"
_CACHE_SIZE = 32


class DatastoreBlobs(Protocol):
    """What the files of a datastore need of a blob store (``FileBlobStore``, ``S3BlobStore``)."""

    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> BlobInfo: ...

    def open_read(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]: ...

    def write_stream(self, key: str, chunks: Iterable[bytes]) -> int: ...

    def list(self, prefix: str = "") -> Iterator[BlobInfo]: ...


@dataclass(frozen=True)
class Location:
    """A datastore's files: ``blobs`` under ``prefix``; ``where`` is displayable (no secret)."""

    datastore: str
    blobs: DatastoreBlobs
    prefix: str
    where: str
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def name_of(self, key: str) -> str:
        return key[len(self.prefix) + 1 :] if self.prefix else key

    @contextlib.contextmanager
    def reaching(self, doing: str) -> Iterator[None]:
        """Turn a failure of the storage behind the datastore into ``DatastoreUnreachable``."""
        try:
            yield
        except MlyardError as exc:
            if not isinstance(exc, ServiceUnavailable):
                raise  # not found, a bad name, a checksum mismatch: the caller's to hear as they are
            raise self._unreachable(doing, exc) from None
        except Exception as exc:  # the storage client's own errors (OSError, botocore's, ...)
            log.warning("datastore %s (%s) failed while %s", self.datastore, self.where, doing, exc_info=True)
            raise self._unreachable(doing, exc) from None

    def _unreachable(self, doing: str, exc: Exception) -> DatastoreUnreachable:
        detail = exc.message if isinstance(exc, MlyardError) else f"{type(exc).__name__}: {exc}"
        for secret in self.secrets:
            detail = detail.replace(secret, "***")
        return DatastoreUnreachable(
            f"Datastore '{self.datastore}' ({self.where}) could not be reached while {doing}: {detail[:500]}",
            target="datastore",
        )


def records_prefix(workspace_id: str, datastore_id: str) -> str:
    """Everything the server keeps about a datastore's files in its own blob store (the digests)."""
    return f"{storage_prefix(workspace_id)}/datastores/{datastore_id}"


def digest_prefix(workspace_id: str, datastore_id: str) -> str:
    """Where the xxh128 of each file uploaded through mlyard is kept, in the server's own blob store
    (never beside the data: a bucket or folder shared with other tools stays as they left it)."""
    return f"{records_prefix(workspace_id, datastore_id)}/xxh128"


def legacy_digest_prefix(workspace_id: str, datastore_id: str) -> str:
    """Where the sha256 of each uploaded file was kept before digests became xxh128."""
    return f"{records_prefix(workspace_id, datastore_id)}/sha256"


# -- local folders -------------------------------------------------------------------------


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_local_folder(p: Platform, path: str, name: str) -> Path:
    """The folder ``path`` resolved, if the administrator's roots allow it; else why not."""
    roots = [Path(os.path.realpath(r)) for r in p.settings.local_datastore_roots]
    if not roots:
        raise DatastorePathNotAllowed(
            f"Local datastore '{name}' is refused: this server allows no local folders. An administrator "
            f"names the folders that local datastores may use in {ROOTS_SETTING} (separated by "
            f"'{os.pathsep}'), then restarts the server.",
            target="path",
        )
    given = Path(path).expanduser()
    if not given.is_absolute():
        raise DatastorePathNotAllowed(
            f"Local datastore '{name}': '{path}' must be an absolute folder of the server's host.", target="path"
        )
    real = Path(os.path.realpath(given))
    allowed = ", ".join(f"'{r}'" for r in roots)
    if not any(_inside(real, root) for root in roots):
        via = f" (it resolves to '{real}')" if real != given else ""
        raise DatastorePathNotAllowed(
            f"Local datastore '{name}': '{path}'{via} is outside the folders this server allows "
            f"({ROOTS_SETTING}: {allowed}).",
            target="path",
        )
    for own in _server_folders(p):
        if _inside(real, own) or _inside(own, real):
            raise DatastorePathNotAllowed(
                f"Local datastore '{name}': '{path}' overlaps the server's own files ('{own}'): pick a folder "
                "that holds neither the server's home nor its blob store.",
                target="path",
            )
    if not real.is_dir():
        raise DatastorePathNotAllowed(
            f"Local datastore '{name}': '{real}' is not an existing folder of the server's host.", target="path"
        )
    return real


def _server_folders(p: Platform) -> list[Path]:
    folders = [Path(os.path.realpath(p.settings.home))]
    if isinstance(p.blobs, FileBlobStore):
        folders.append(Path(os.path.realpath(p.blobs.root)))
    return folders


class ConfinedFolder:
    """A file store over one folder whose files must really be inside it (links are followed)."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._store = FileBlobStore(root)

    def _check(self, key: str) -> str:
        real = Path(os.path.realpath(self._root / validate_key(key)))
        if not _inside(real, self._root):
            raise DatastorePathNotAllowed(
                f"'{key}' leads out of the datastore's folder through a symbolic link: refused.", target="name"
            )
        return key

    def exists(self, key: str) -> bool:
        return self._store.exists(self._check(key))

    def stat(self, key: str) -> BlobInfo:
        return self._store.stat(self._check(key))

    def open_read(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        return self._store.open_read(self._check(key), chunk_size)

    def write_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        return self._store.write_stream(self._check(key), chunks)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        found = self._store.list(prefix)
        return iter([b for b in found if _inside(Path(os.path.realpath(self._root / b.key)), self._root)])


# -- S3 ------------------------------------------------------------------------------------

_opened: OrderedDict[tuple[str, str, int], Location] = OrderedDict()
_opened_lock = threading.Lock()


def s3_store(props: dict[str, object], access_key_id: str, secret_access_key: str) -> S3BlobStore:
    def text(key: str) -> str | None:
        value = props.get(key)
        return value if isinstance(value, str) and value else None

    return S3BlobStore(
        str(props["bucket"]),
        text("prefix") or "",
        endpoint_url=text("endpointUrl"),
        region=text("region"),
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
    )


def s3_where(props: dict[str, object]) -> str:
    where = f"s3://{props['bucket']}" + (f"/{props['prefix']}" if props.get("prefix") else "")
    return where + (f" at {props['endpointUrl']}" if props.get("endpointUrl") else "")


def _s3_location(p: Platform, ws: Workspace, ds: Datastore) -> Location:
    if ds.credentials is None:
        raise DatastoreUnreachable(
            f"Datastore '{ds.name}' has no credentials in the vault: register it again with them.", target="datastore"
        )
    cache_key = (ds.id, (ds.updated_at or ds.created_at).isoformat(), ds.credentials.version)
    with _opened_lock:
        found = _opened.get(cache_key)
        if found is not None:
            _opened.move_to_end(cache_key)
            return found
    secret = vault.get_secret(p, ws.scope, ds.credentials.secret_name, ds.credentials.version)
    creds = json.loads(secret.value)
    store = s3_store(ds.properties, creds["access_key_id"], creds["secret_access_key"])
    location = Location(ds.name, store, "", s3_where(ds.properties), (creds["secret_access_key"],))
    with _opened_lock:
        _opened[cache_key] = location
        while len(_opened) > _CACHE_SIZE:
            _opened.popitem(last=False)
    return location


def forget(datastore_id: str) -> None:
    """Drop the opened stores of a datastore (after it changed or went)."""
    with _opened_lock:
        for key in [k for k in _opened if k[0] == datastore_id]:
            del _opened[key]


# -- any datastore -------------------------------------------------------------------------


def open_location(p: Platform, ws: Workspace, ds: Datastore) -> Location:
    """Where the files of ``ds`` (a datastore of ``ws``) are, ready to read and write."""
    if ds.builtin:
        prefix = str(ds.properties["path"])
        return Location(ds.name, p.blobs, prefix, p.blobs.url_for(prefix))
    if ds.datastore_type is DatastoreType.LOCAL:
        folder = str(ds.properties["path"])
        try:
            real = check_local_folder(p, folder, ds.name)
        except DatastorePathNotAllowed as exc:
            raise DatastoreUnreachable(f"{exc.message} Its files cannot be reached.", target="datastore") from None
        return Location(ds.name, ConfinedFolder(real), "", real.as_uri())
    if ds.datastore_type is DatastoreType.S3:
        return _s3_location(p, ws, ds)
    raise DatastoreNotSupported(
        f"Datastore '{ds.name}' (Azure Blob container '{ds.properties.get('containerName')}' of account "
        f"'{ds.properties.get('accountName')}') is registered but not reachable: {AZURE_NOT_BUILT}. "
        "Copy its data into an S3 or local datastore to use it here.",
        target="datastore",
    )


__all__ = [
    "AZURE_NOT_BUILT",
    "ROOTS_SETTING",
    "ConfinedFolder",
    "DatastoreBlobs",
    "Location",
    "check_local_folder",
    "digest_prefix",
    "forget",
    "legacy_digest_prefix",
    "open_location",
    "records_prefix",
    "s3_store",
    "s3_where",
]
