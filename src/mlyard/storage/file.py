"""A blob store in a local folder: ``file:///srv/mlyard/blobs`` or ``/srv/mlyard/blobs``.

Writes go to a temporary file beside the target and are renamed into place, so a reader
sees the old blob or the new one, never half of one. Folders are made as needed and the
ones left empty by a delete are removed.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from mlyard.core.errors import BlobNotFound, InvalidBlobPath, ServiceUnavailable, ValidationError
from mlyard.storage.base import (
    DEFAULT_CHUNK_SIZE,
    RESERVED_PREFIX,
    BlobInfo,
    split_options,
    sync_deferred,
    under_prefix,
    validate_key,
    validate_prefix,
)

__all__ = ["FileBlobStore"]

# syncfs(2) flushes one file system (not every one, as os.sync does); Linux only.
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


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
        target = self._path(key)
        tmp, handle = self._open_temp(key, target)
        written = 0
        try:
            with handle:
                for chunk in chunks:
                    handle.write(chunk)
                    written += len(chunk)
                handle.flush()
                if not sync_deferred(self):
                    os.fsync(handle.fileno())
            self._replace(key, tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        return written

    def sync(self) -> None:
        """Flush every write of this store's file system to disk at once (``one_sync``)."""
        self._root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._root, os.O_RDONLY)
        try:
            if _LIBC is None or _LIBC.syncfs(fd) != 0:
                os.sync()  # syncfs(2) is Linux only: flush every file system instead
        finally:
            os.close(fd)

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
            tmp, handle = self._open_temp(dst_key, target)
            try:
                with handle:
                    shutil.copyfileobj(src, handle, DEFAULT_CHUNK_SIZE)
                    handle.flush()
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

    def _open_temp(self, key: str, target: Path) -> tuple[Path, IO[bytes]]:
        """A new temporary file beside ``target``, its folders made (twice, if a delete raced)."""
        tmp = target.with_name(f"{RESERVED_PREFIX}{uuid.uuid4().hex}.part")
        for attempt in (1, 2):
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(tmp, _WRITE_FLAGS, 0o666)
            except FileNotFoundError:
                if attempt == 2:
                    raise
                continue
            except (FileExistsError, NotADirectoryError) as exc:
                raise self._conflict(key, exc) from None
            return tmp, os.fdopen(fd, "wb")
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
