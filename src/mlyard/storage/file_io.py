"""The system calls the local-folder blob store leans on: extended attributes (a blob's kept
digest), writeback hints and fsync by name, and the open flags it uses. Linux gives all of them;
elsewhere the attributes and hints quietly do nothing and the store still works.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from pathlib import Path

from mlyard.core.transfer_digests import DIGEST_HEX
from mlyard.storage.base import DIGEST_XATTR

_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
# Extended attributes (a blob's kept xxh128) are Linux only here; elsewhere nothing is kept.
_setxattr: Callable[..., None] | None = getattr(os, "setxattr", None)
_getxattr: Callable[..., bytes] | None = getattr(os, "getxattr", None)

SYNC_WORKERS = 8  # fsyncs in flight at once: the kernel joins their journal commits
WRITEBACK = 8 * 1024 * 1024  # a big file's bytes handed to the disk's writeback this often
_SYNC_FILE_RANGE_WRITE = 2
_sync_file_range = getattr(_LIBC, "sync_file_range", None)
if _sync_file_range is not None:
    _sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]


def syncfs(fd: int) -> bool:
    """Flush the file system that holds ``fd`` (syncfs(2): not every one, as os.sync does);
    False where there is no syncfs (not Linux) or it failed."""
    return _LIBC is not None and _LIBC.syncfs(fd) == 0


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing a big file's bytes to disk while the rest still arrives (sync_file_range(2),
    Linux), so that its final fsync has little left to wait for: that fsync was ~0.05 s of a 200 MB
    upload here, ~0.003 s after this. Only a hint: nothing is promised until the fsync."""
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def fsync_path(path: Path) -> None:
    """fsync a file or folder by name (a file removed since, by an undone archive, is skipped)."""
    try:
        fd = os.open(path, READ_FLAGS)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def keep_digest(fd: int, digest: str) -> bool:
    """Set the file's xxh128 attribute; False when the file system takes no extended attributes."""
    if _setxattr is None:
        return False
    try:
        _setxattr(fd, DIGEST_XATTR, digest.encode("ascii"))
    except OSError:  # ENOTSUP (some tmpfs, network file systems), EPERM, ...
        return False
    return True


def read_digest(path: Path, attribute: str, *, any_value: bool = False) -> str | None:
    """The digest kept in ``attribute`` (an xxh128), or None; with ``any_value``, whatever is there."""
    if _getxattr is None:
        return None
    try:
        value = _getxattr(path, attribute).decode("ascii", "replace")
    except OSError:  # no such attribute (written otherwise), no such file, no xattr support
        return None
    return value if any_value or DIGEST_HEX.fullmatch(value) else None


__all__ = [
    "READ_FLAGS",
    "SYNC_WORKERS",
    "WRITEBACK",
    "WRITE_FLAGS",
    "fsync_path",
    "keep_digest",
    "read_digest",
    "start_writeback",
    "syncfs",
]
