"""A blob store in a local folder: ``file:///srv/mlyard/blobs`` or ``/srv/mlyard/blobs``.

Writes go to a temporary file beside the target and are renamed into place, so a reader
sees the old blob or the new one, never half of one. A blob's xxh128, when the writer gives it,
is kept in the file's extended attribute :data:`~mlyard.storage.base.DIGEST_XATTR`, set before
the rename (so the bytes and their digest appear together). A blob written before the move from
sha256 (only :data:`~mlyard.storage.base.LEGACY_SHA256_XATTR`) has its xxh128 computed the first
time it is asked for, through one descriptor that then keeps it (so a blob renamed over it
meanwhile is never given the old one's digest). Folders are made as needed and the
ones left empty by a delete are removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import Any
from urllib.parse import unquote, urlsplit

from mlyard.core.errors import BlobNotFound, InvalidBlobPath, ServiceUnavailable, ValidationError
from mlyard.core.transfer_digests import new_hasher
from mlyard.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DIGEST_XATTR,
    LEGACY_SHA256_XATTR,
    RESERVED_PREFIX,
    BlobInfo,
    split_options,
    sync_deferred,
    under_prefix,
    validate_key,
    validate_prefix,
)
from mlyard.storage.file_io import (
    READ_FLAGS,
    SYNC_WORKERS,
    WRITE_FLAGS,
    WRITEBACK,
    fsync_path,
    keep_digest,
    read_digest,
    start_writeback,
    syncfs,
)

__all__ = ["FileBlobStore"]


class FileBlobStore:
    """Blobs as files under ``root`` (an absolute folder, made on first write)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        path = Path(root)
        if not path.is_absolute():
            raise ValidationError(f"file blob store root must be an absolute path, not {str(root)!r}")
        self._root = Path(os.path.normpath(path))

    @classmethod
    def from_url(cls, url: str, **options: Any) -> FileBlobStore:
        """Build from ``file:///abs/path`` (host empty or ``localhost``) or ``/abs/path``."""
        split_options("file", options, ())
        if url.startswith("/"):
            return cls(url)
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise ValidationError(f"not a file URL: {url!r}", target="url")
        if parts.netloc not in ("", "localhost"):
            raise ValidationError(
                f"file URL {url!r} names host {parts.netloc!r}; use file:///absolute/path", target="url"
            )
        if parts.query or parts.fragment:
            raise ValidationError(f"file URL {url!r} must not carry a query or fragment", target="url")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ValidationError(f"file URL {url!r} has no absolute path", target="url")
        return cls(path)

    @property
    def root(self) -> Path:
        return self._root

    @property
    def url(self) -> str:
        return self._root.as_uri()

    def url_for(self, key: str) -> str:
        return self._path(key).as_uri()

    def __repr__(self) -> str:
        return f"FileBlobStore({self.url!r})"

    # -- writing -------------------------------------------------------------------------

    def put_bytes(self, key: str, data: bytes) -> None:
        self.write_stream(key, (data,))

    def write_stream(self, key: str, chunks: Iterable[bytes]) -> int:
        return self._write(key, chunks, None)[0].size

    def write_stream_xxh128(
        self, key: str, chunks: Iterable[bytes], xxh128: Callable[[], str]
    ) -> tuple[BlobInfo, bool]:
        """``write_stream`` that keeps ``xxh128()`` in the file's extended attribute
        :data:`DIGEST_XATTR`, set on the temporary file before it is renamed into place."""
        return self._write(key, chunks, xxh128)

    def kept_xxh128(self, key: str) -> str | None:
        path = self._path(key)
        kept = read_digest(path, DIGEST_XATTR)
        if kept is not None or read_digest(path, LEGACY_SHA256_XATTR, any_value=True) is None:
            return kept
        return self._legacy_xxh128(path)

    def _legacy_xxh128(self, path: Path) -> str | None:
        """A blob that kept only its old sha256: its xxh128 computed and kept (best effort),
        read and set through one descriptor, so a blob renamed over it meanwhile keeps its own."""
        try:
            fd = os.open(path, READ_FLAGS)
        except OSError:
            return None
        try:
            digest = new_hasher()
            while chunk := os.read(fd, DEFAULT_CHUNK_SIZE):
                digest.update(chunk)
            # Opened to read: the permission a user attribute asks is the file's, not the descriptor's.
            keep_digest(fd, digest.hexdigest())
        finally:
            os.close(fd)
        return digest.hexdigest()

    def _write(self, key: str, chunks: Iterable[bytes], xxh128: Callable[[], str] | None) -> tuple[BlobInfo, bool]:
        target = self._path(key)
        tmp, fd = self._open_temp(key, target)
        written = 0
        kept = False
        try:
            try:
                started = 0  # bytes handed to the disk's writeback so far
                # Plain os.write on the descriptor: a buffered file object per blob cost more
                # than the write itself for the small files of an archive.
                for chunk in chunks:
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
                    written += len(chunk)
                    if written - started >= WRITEBACK:
                        start_writeback(fd, started, written - started)
                        started = written
                if xxh128 is not None:
                    kept = keep_digest(fd, xxh128())
                if not sync_deferred(self, target):
                    os.fsync(fd)
                # From the descriptor held (a rename keeps the time): no stat by name afterwards.
                modified = os.fstat(fd).st_mtime
            finally:
                os.close(fd)
            self._replace(key, tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return BlobInfo(key, written, datetime.fromtimestamp(modified, tz=UTC)), kept

    def sync(self, paths: Sequence[Path] | None = None) -> None:
        """Flush writes to disk at once (``one_sync``): the files ``paths`` and their folders up
        to the root, fsync'ed a few at a time; without ``paths``, the store's whole file system.

        The files' own fsyncs, not syncfs(2): syncfs also writes out whatever else is waiting on
        that file system (another upload, a download just written beside the server), which
        cost a 1,000-file archive 0.2-0.3 s here when 200 MB of someone else's data was pending;
        parallel fsyncs of its own files took ~0.1 s, and the kernel joins their journal commits."""
        self._root.mkdir(parents=True, exist_ok=True)
        if paths is None:
            fd = os.open(self._root, os.O_RDONLY)
            try:
                if not syncfs(fd):
                    os.sync()  # syncfs(2) is Linux only: flush every file system instead
            finally:
                os.close(fd)
            return
        folders: set[Path] = set()
        for path in paths:
            folder = path.parent
            while folder not in folders and (folder == self._root or self._root in folder.parents):
                folders.add(folder)  # a new folder's entry is in its parent: flush the chain
                folder = folder.parent
        targets = [*dict.fromkeys(paths), *sorted(folders, key=lambda p: -len(p.parts))]
        if len(targets) <= 1:
            for target in targets:
                fsync_path(target)
            return
        with ThreadPoolExecutor(max_workers=SYNC_WORKERS, thread_name_prefix="mlyard-fsync") as pool:
            list(pool.map(fsync_path, targets))

    def copy(self, src_key: str, dst_key: str) -> None:
        source = self._path(src_key)
        target = self._path(dst_key)
        if source == target:
            self.stat(src_key)
            return
        try:
            src = source.open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(f"blob {src_key!r} not found in {self.url}", target=src_key) from None
        with src:
            tmp, fd = self._open_temp(dst_key, target)
            try:
                with os.fdopen(fd, "wb") as handle:
                    shutil.copyfileobj(src, handle, DEFAULT_CHUNK_SIZE)
                    handle.flush()
                    kept = self.kept_xxh128(src_key)  # the same bytes: the same digest
                    if kept is not None:
                        keep_digest(handle.fileno(), kept)
                    os.fsync(handle.fileno())
                self._replace(dst_key, tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise

    # -- reading -------------------------------------------------------------------------

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise self._not_found(key) from None

    def open_read(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.stat(key)  # BlobNotFound now, not at the first next()
        return self._read_chunks(key, chunk_size)

    def _read_chunks(self, key: str, chunk_size: int) -> Iterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise self._not_found(key) from None
        with handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def stat(self, key: str) -> BlobInfo:
        try:
            st = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            raise self._not_found(key) from None
        if not S_ISREG(st.st_mode):
            raise self._not_found(key)
        return BlobInfo(key=key, size=st.st_size, modified=datetime.fromtimestamp(st.st_mtime, tz=UTC))

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        prefix = validate_prefix(prefix)
        return iter(sorted(self._walk(prefix), key=lambda info: info.key))

    def _walk(self, prefix: str) -> Iterator[BlobInfo]:
        start = self._root / prefix if prefix else self._root
        if prefix and start.is_file():
            yield self._info(start)
        if not start.is_dir():
            return
        for folder, _dirs, files in os.walk(start):
            for name in files:
                if name.startswith(RESERVED_PREFIX):
                    continue
                path = Path(folder, name)
                try:
                    info = self._info(path)
                except FileNotFoundError:  # deleted while we walked
                    continue
                if under_prefix(info.key, prefix):
                    yield info

    def _info(self, path: Path) -> BlobInfo:
        st = path.stat()
        key = path.relative_to(self._root).as_posix()
        return BlobInfo(key=key, size=st.st_size, modified=datetime.fromtimestamp(st.st_mtime, tz=UTC))

    # -- deleting ------------------------------------------------------------------------

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        except IsADirectoryError:
            return  # a folder is not a blob
        self._prune(path.parent)

    def delete_prefix(self, prefix: str) -> int:
        prefix = validate_prefix(prefix, allow_empty=False)
        count = 0
        for info in self.list(prefix):
            path = self._root / info.key
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            count += 1
        start = self._root / prefix
        if start.is_dir():
            for folder, _dirs, _files in os.walk(start, topdown=False):
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
        self._prune(start.parent)
        return count

    def _prune(self, folder: Path) -> None:
        """Remove ``folder`` and its parents while they are empty, never the root."""
        while folder != self._root and self._root in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    # -- health --------------------------------------------------------------------------

    def check(self) -> None:
        key = f".mlyard-check/{uuid.uuid4().hex}"
        probe = b"mlyard blob store check"
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            self.put_bytes(key, probe)
            try:
                if self.get_bytes(key) != probe:
                    raise OSError("the probe read back differs from what was written")
            finally:
                self.delete(key)
        except (OSError, InvalidBlobPath, BlobNotFound) as exc:
            raise ServiceUnavailable(
                f"blob store {self.url} is not usable: {type(exc).__name__}: {exc}", target=self.url
            ) from exc

    # -- helpers -------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self._root / validate_key(key)

    def _not_found(self, key: str) -> BlobNotFound:
        return BlobNotFound(f"blob {key!r} not found in {self.url}", target=key)

    def _open_temp(self, key: str, target: Path) -> tuple[Path, int]:
        """A new temporary file beside ``target`` (its descriptor), its folders made when missing
        (twice, if a delete raced). The folder is made only after an open fails: most writes go
        to a folder that exists, and a mkdir that finds it costs two system calls per blob."""
        tmp = target.with_name(f"{RESERVED_PREFIX}{secrets.token_hex(16)}.part")
        for attempt in (1, 2, 3):
            try:
                return tmp, os.open(tmp, WRITE_FLAGS, 0o666)
            except FileNotFoundError:
                if attempt == 3:
                    raise
            except (FileExistsError, NotADirectoryError) as exc:
                raise self._conflict(key, exc) from None
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError) as exc:
                raise self._conflict(key, exc) from None
        raise AssertionError("unreachable")

    def _replace(self, key: str, tmp: Path, target: Path) -> None:
        try:
            os.replace(tmp, target)
        except IsADirectoryError as exc:
            raise self._conflict(key, exc) from None
        except OSError as exc:
            if exc.errno in (errno.EISDIR, errno.ENOTEMPTY, errno.EEXIST):
                raise self._conflict(key, exc) from None
            raise

    def _conflict(self, key: str, exc: OSError) -> InvalidBlobPath:
        return InvalidBlobPath(
            f"blob key {key!r} clashes with a folder or file already in {self.url} "
            f"(a key cannot be both a blob and a folder in a file store): {exc.strerror or exc}",
            target=key,
        )
