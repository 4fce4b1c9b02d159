"""Many files in one request, on the server's side: a tar stream unpacked into a folder of files
(a run's, a datastore's), and a folder's files packed into a tar stream (the format is
:mod:`mlyard.core.archives`).

Unpacking reads the manifest first and refuses the whole archive, before storing a byte, for a
bad or repeated name, a bad digest, or (without overwrite) a name that exists. Then each entry
must be the regular file the manifest announced, with its size; its bytes are hashed on their
way into the store, and a digest that differs discards that file. Small files are read whole
(at most :data:`SMALL` bytes each, :data:`IN_FLIGHT` of them at a time) and written by
threads (:data:`WRITERS`), so that the blob store's per-file costs (a file store's fsync, an S3 request) overlap;
larger ones stream in the request's own thread. Any failure midway (a checksum, a link entry,
an archive that breaks off) removes the files of this archive that were new, and the error
says so, or names the files it had already replaced when ``overwrite`` was given.
"""

from __future__ import annotations

import contextvars
import posixpath
import tarfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Generic, Protocol, TypeVar

from mlyard.core.archives import (
    END,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    ManifestEntry,
    coalesce,
    entry_header,
    entry_kind,
    open_stream,
    padding,
    parse_manifest,
)
from mlyard.core.errors import MlyardError, ValidationError
from mlyard.services.checksums import check_digest
from mlyard.storage.base import one_sync

SMALL = 256 * 1024
IN_FLIGHT = 64
WRITERS = 32
CHUNK = 1024 * 1024
_SHOWN = 5

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Folder(Protocol[T_co]):
    """Where an archive's files go: a run's files, a datastore."""

    @property
    def what(self) -> str:
        """How errors name the folder ("run 'abc'")."""
        ...

    def check_name(self, name: str) -> str:
        """The name, or ``InvalidFileName``."""
        ...

    def existing(self, names: Sequence[str]) -> set[str]:
        """Which of ``names`` are already there."""
        ...

    def refuse_existing(self, names: Sequence[str]) -> MlyardError:
        """The error for ``names`` existing without overwrite."""
        ...

    def store(self, name: str, chunks: Iterable[bytes], xxh128: str) -> T_co:
        """Write one file, its bytes checked against ``xxh128`` (nothing kept on a mismatch)."""
        ...

    def remove(self, name: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One file of a download: listed details, and ``open()`` for its xxh128 (if known) and bytes."""

    name: str
    size: int
    modified: datetime
    open: Callable[[], tuple[str | None, Iterator[bytes]]]


def listed(names: Sequence[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def listing_folder(names: Sequence[str]) -> str:
    """The deepest folder holding every one of ``names`` (what ``Folder.existing`` lists once)."""
    folder = posixpath.commonpath(names)
    return folder if folder not in set(names) else posixpath.dirname(folder)


# -- in ----------------------------------------------------------------------------------------


def unpack(chunks: Iterable[bytes], folder: Folder[T], *, overwrite: bool = False) -> list[T]:
    """Store every file of the uploaded tar ``chunks`` in ``folder``; answer them in archive order."""
    try:
        tar = open_stream(chunks)
    except MlyardError:
        raise
    except Exception as exc:
        raise _broken(folder, 0, 0, exc) from None
    with tar:
        members = iter(tar)
        manifest = _manifest(tar, members, folder)
        names = [entry.name for entry in manifest]
        before = folder.existing(names) if names else set()
        if before and not overwrite:
            raise folder.refuse_existing(sorted(before))
        with one_sync():  # the archive's files reach the disk once, before the answer
            return _Unpacking(tar, members, manifest, folder, before).run()


def _next(members: Iterator[tarfile.TarInfo]) -> tarfile.TarInfo | None:
    return next(members, None)


def _manifest(tar: tarfile.TarFile, members: Iterator[tarfile.TarInfo], folder: Folder[T]) -> list[ManifestEntry]:
    try:
        first = _next(members)
        if first is None or first.name != MANIFEST_NAME or not first.isreg():
            raise ValidationError(
                f"An archive of files must begin with the manifest '{MANIFEST_NAME}' (the files' names, sizes "
                "and xxh128 digests): nothing was stored.",
                target="body",
            )
        if first.size > MAX_MANIFEST_BYTES:
            raise ValidationError(f"The archive's manifest is over {MAX_MANIFEST_BYTES} bytes.", target="body")
        handle = tar.extractfile(first)
        assert handle is not None  # a regular file
        manifest = parse_manifest(handle.read())
    except MlyardError:
        raise
    except ValueError as exc:  # the manifest's own problems
        raise ValidationError(
            f"The archive's manifest is malformed: {exc}; nothing was stored.", target="body"
        ) from None
    except Exception as exc:
        raise _broken(folder, 0, 0, exc) from None
    problems: list[str] = []
    seen: set[str] = set()
    for entry in manifest:
        try:
            folder.check_name(entry.name)
            check_digest(entry.xxh128)
        except MlyardError as exc:
            problems.append(exc.message)
        if entry.name in seen:
            problems.append(f"'{entry.name}' is announced twice.")
        seen.add(entry.name)
    if problems:
        more = f" (and {len(problems) - _SHOWN} more problems)" if len(problems) > _SHOWN else ""
        raise ValidationError(
            f"Archive refused, nothing was stored in {folder.what}: {' '.join(problems[:_SHOWN])}{more}",
            target="name",
        )
    return manifest


def _broken(folder: Folder[T], done: int, total: int, exc: BaseException) -> ValidationError:
    where = f" after {done} of {total} files" if total else ""
    return ValidationError(
        f"The archive for {folder.what} broke off or is not a valid tar{where} ({type(exc).__name__}: {exc}).",
        target="body",
    )


class _Unpacking(Generic[T]):
    """One archive being stored: entries checked in order, small ones written by a thread pool."""

    def __init__(
        self,
        tar: tarfile.TarFile,
        members: Iterator[tarfile.TarInfo],
        manifest: list[ManifestEntry],
        folder: Folder[T],
        before: set[str],
    ) -> None:
        self.tar, self.members, self.manifest, self.folder, self.before = tar, members, manifest, folder, before
        self.results: list[T | None] = [None] * len(manifest)
        self.stored: list[str] = []
        self.lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(IN_FLIGHT)
        self.failed: BaseException | None = None  # the first failure of a writer thread

    def run(self) -> list[T]:
        futures: list[Future[None]] = []
        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="mlyard-unpack") as pool:
            try:
                for i, entry in enumerate(self.manifest):
                    handle = self._entry(i, entry)
                    if entry.size <= SMALL:
                        data = handle.read()
                        if len(data) != entry.size:
                            raise _broken(self.folder, i, len(self.manifest), EOFError("unexpected end of data"))
                        self.slots.acquire()
                        if self.failed is not None:
                            raise self.failed
                        futures.append(pool.submit(contextvars.copy_context().run, self._write, i, entry, (data,)))
                    else:
                        self._write(i, entry, _read(handle, entry.size), limited=False)
                if _safe_next(self, len(self.manifest)) is not None:
                    raise ValidationError(
                        f"The archive for {self.folder.what} holds more entries than its manifest announced "
                        f"({len(self.manifest)}).",
                        target="body",
                    )
                wait(futures)
                if self.failed is not None:
                    raise self.failed
            except BaseException as exc:
                for future in futures:
                    future.cancel()
                wait(futures)
                raise self._undo(exc) from None
        return [r for r in self.results if r is not None]

    def _entry(self, i: int, entry: ManifestEntry) -> IO[bytes]:
        member = _safe_next(self, i)
        if member is None:
            raise _broken(self.folder, i, len(self.manifest), EOFError("the archive ended"))
        kind = entry_kind(member)
        if kind is not None:
            raise ValidationError(f"Entry '{member.name}' of the archive is {kind}: only regular files are accepted.")
        if member.name != entry.name or member.size != entry.size:
            raise ValidationError(
                f"Entry {i + 1} of the archive is '{member.name}' ({member.size} bytes), but the manifest announced "
                f"'{entry.name}' ({entry.size} bytes).",
                target="body",
            )
        handle = self.tar.extractfile(member)
        assert handle is not None  # a regular file
        return handle

    def _write(self, i: int, entry: ManifestEntry, chunks: Iterable[bytes], limited: bool = True) -> None:
        try:
            self.results[i] = self.folder.store(entry.name, chunks, entry.xxh128)
            with self.lock:
                self.stored.append(entry.name)
        except BaseException as exc:
            with self.lock:
                self.failed = self.failed or exc
            raise
        finally:
            if limited:
                self.slots.release()

    def _undo(self, exc: BaseException) -> BaseException:
        """Remove the new files of this archive; the error, saying what stays."""
        error = exc if isinstance(exc, MlyardError) else _broken(self.folder, len(self.stored), len(self.manifest), exc)
        replaced = sorted(n for n in self.stored if n in self.before)
        for name in self.stored:
            if name not in self.before:
                self.folder.remove(name)
        if replaced:
            error.message += (
                f" The archive's new files were removed; the {len(replaced)} it had already replaced stay replaced: "
                f"{listed(replaced)}."
            )
        else:
            error.message += " Nothing of this archive was kept."
        return error


def _safe_next(state: _Unpacking[T], done: int) -> tarfile.TarInfo | None:
    try:
        return _next(state.members)
    except MlyardError:
        raise
    except Exception as exc:
        raise _broken(state.folder, done, len(state.manifest), exc) from None


def _read(handle: IO[bytes], size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        chunk = handle.read(min(CHUNK, left))
        if not chunk:
            raise EOFError(f"the entry ended {left} bytes short")
        left -= len(chunk)
        yield chunk


# -- out ---------------------------------------------------------------------------------------


def pack(files: Iterable[Outgoing]) -> Iterator[bytes]:
    """The tar of ``files`` as chunks: each with its xxh128 (when known) in a PAX header.

    A file whose size changed since it was listed breaks the stream off (the client then sees an
    incomplete archive) rather than sending an entry that disagrees with its header."""

    def pieces() -> Iterator[bytes]:
        for f in files:
            digest, chunks = f.open()
            yield entry_header(f.name, f.size, f.modified.timestamp(), digest)
            sent = 0
            for chunk in chunks:
                sent += len(chunk)
                if sent > f.size:
                    break
                yield chunk
            if sent != f.size:
                raise RuntimeError(f"'{f.name}' changed while it was sent ({sent} bytes, listed {f.size})")
            yield padding(f.size)
        yield END

    return coalesce(pieces())


__all__ = ["SMALL", "Folder", "Outgoing", "listed", "pack", "unpack"]
