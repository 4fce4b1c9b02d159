"""The files of a dataset: globs resolved on datastores, pinned, checked, and made local to read.

A path is ``(datastore, pattern)``: ``folder/*.csv`` (``*`` and ``?`` stay within a folder,
``**`` crosses folders, ``[abc]`` a set), or a plain name (that file, or everything under that
folder). Resolving lists the datastore under the pattern's fixed leading folders only.

Pinning records each file's size, time and xxh128. The digest the datastore recorded at upload
is taken while the file still has the size and time it had then; any other file is hashed here,
streamed (several at a time). Checking a pinned file again costs a ``stat``: a file whose size
differs has changed; one whose time differs is hashed again, and has changed if its digest did.
A pin registered before digests became xxh128 holds a sha256, and is checked with sha256
(:meth:`~mlyard.core.entities.datasets.PinnedFile.digest`).

Reading needs local paths (DuckDB reads files): files in the server's own folder store or in a
local datastore are read where they are; others (S3) are copied into a temporary folder, hashed
on the way, so that a copy is checked in full against its pin.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mlyard.core.entities.datasets import FileChange, PinnedFile
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.errors import BlobNotFound, DatasetFilesChanged, DatastoreNotFound, InvalidDatasetDefinition
from mlyard.core.file_names import file_name_problem
from mlyard.core.transfer_digests import new_hasher
from mlyard.services import datastore_files
from mlyard.services.datastore_access import Location, open_location
from mlyard.services.datastores import datastore_of
from mlyard.services.platform import Platform

MAX_FILES = 100_000
_GLOB = re.compile(r"[*?\[]")
_SHOWN = 5
_THREADS = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SourcePath:
    datastore: str
    pattern: str


def _regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end]
            out += "[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]"
            i = end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def check_pattern(pattern: object) -> str:
    if not isinstance(pattern, str) or not pattern.strip("/ "):
        raise InvalidDatasetDefinition("A dataset path needs a file, folder or glob on its datastore.", target="path")
    clean = pattern.strip().strip("/")
    problem = file_name_problem(_GLOB.sub("x", clean), "the datastore")
    if problem is not None:
        raise InvalidDatasetDefinition(f"Dataset path '{pattern}' {problem}.", target="path")
    return clean


def _fixed_folder(pattern: str) -> str:
    parts = pattern.split("/")
    fixed = []
    for part in parts[:-1]:
        if _GLOB.search(part):
            break
        fixed.append(part)
    return "/".join(fixed)


def _matches(location: Location, pattern: str) -> list[str]:
    if not _GLOB.search(pattern):
        with location.reaching(f"listing '{pattern}'"):
            if location.blobs.exists(location.key(pattern)):
                return [pattern]
            found = location.blobs.list(location.key(pattern))
            return sorted(location.name_of(b.key) for b in found)
    folder = _fixed_folder(pattern)
    regex = _regex(pattern)
    with location.reaching(f"listing '{folder or '/'}'"):
        found = location.blobs.list(location.key(folder) if folder else location.prefix)
        names = [location.name_of(b.key) for b in found]
    return sorted(n for n in names if regex.fullmatch(n))


def unpinned(p: Platform, ws: Workspace, paths: Sequence[SourcePath]) -> tuple[PinnedFile, ...]:
    """The files the paths match now, without size or digest (to read a definition never registered)."""
    return tuple(PinnedFile(ds, name, 0, "", _EPOCH) for ds, name in match(p, ws, paths))


def match(p: Platform, ws: Workspace, paths: Sequence[SourcePath]) -> list[tuple[str, str]]:
    """``(datastore, name)`` of every file the paths match, in order, each once."""
    seen: dict[tuple[str, str], None] = {}
    for path in paths:
        ds = datastore_of(p, ws, path.datastore)
        names = _matches(open_location(p, ws, ds), path.pattern)
        if not names:
            raise InvalidDatasetDefinition(
                f"No file of datastore '{ds.name}' matches '{path.pattern}': nothing was registered. "
                f"List its files with 'mlyard datastore files -n {ds.name}'.",
                target="path",
            )
        for name in names:
            seen[(ds.name, name)] = None
    if len(seen) > MAX_FILES:
        raise InvalidDatasetDefinition(
            f"The paths match {len(seen)} files; a dataset holds at most {MAX_FILES}.", target="path"
        )
    return list(seen)


def _hash_stream(chunks: Iterator[bytes], algorithm: str = "xxh128") -> tuple[str, int]:
    digest, size = new_hasher(algorithm), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _pin_one(p: Platform, ws: Workspace, datastore: str, name: str) -> PinnedFile:
    info, chunks = datastore_files.open_file(p, ws.subscription_id, ws.resource_group, ws.name, datastore, name)
    if info.xxh128 is not None:
        with contextlib.suppress(Exception):
            chunks.close()  # type: ignore[attr-defined]  # a generator, not read: the recorded digest holds
        return PinnedFile(datastore, name, info.size, info.xxh128, info.modified)
    digest, _ = _hash_stream(chunks)
    return PinnedFile(datastore, name, info.size, digest, info.modified)


def pin(p: Platform, ws: Workspace, paths: Sequence[SourcePath]) -> tuple[PinnedFile, ...]:
    """Resolve ``paths`` and pin every file they match (size, time, xxh128)."""
    found = match(p, ws, paths)
    with ThreadPoolExecutor(_THREADS, thread_name_prefix="mlyard-pin") as pool:
        return tuple(pool.map(lambda f: _pin_one(p, ws, *f), found))


# -- checking and reading ------------------------------------------------------------------


def _locations(p: Platform, ws: Workspace, files: Sequence[PinnedFile]) -> dict[str, Location | None]:
    out: dict[str, Location | None] = {}
    for name in {f.datastore for f in files}:
        try:
            out[name] = open_location(p, ws, datastore_of(p, ws, name))
        except DatastoreNotFound:
            out[name] = None
    return out


def _change(location: Location | None, f: PinnedFile) -> str | None:
    if location is None:
        return "datastore unregistered"
    try:
        with location.reaching(f"checking '{f.name}'"):
            info = location.blobs.stat(location.key(f.name))
    except BlobNotFound:
        return "missing"
    if info.size != f.size:
        return f"size {f.size} -> {info.size}"
    if info.modified != f.modified:
        algorithm, pinned = f.digest()
        with location.reaching(f"reading '{f.name}'"):
            digest, _ = _hash_stream(location.blobs.open_read(location.key(f.name)), algorithm)
        if digest != pinned:
            return "content changed"
    return None


def changes(p: Platform, ws: Workspace, files: Sequence[PinnedFile]) -> list[FileChange]:
    """The pinned files that are no longer as they were."""
    locations = _locations(p, ws, files)
    with ThreadPoolExecutor(_THREADS, thread_name_prefix="mlyard-check") as pool:
        found = list(pool.map(lambda f: _change(locations[f.datastore], f), files))
    return [FileChange(f, c) for f, c in zip(files, found, strict=True) if c is not None]


def changed_error(what: str, found: Sequence[FileChange]) -> DatasetFilesChanged:
    shown = ", ".join(f"'{c.file.key()}' ({c.change})" for c in found[:_SHOWN])
    more = f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else ""
    return DatasetFilesChanged(
        f"{what} pins {len(found)} file(s) that changed since it was registered: {shown}{more}. It cannot be read "
        "as registered; register the files again as a new version (create_new_version=True) to use them.",
        target="version",
    )


def _local_root(location: Location) -> Path | None:
    parts = urlsplit(location.where)
    return Path(unquote(parts.path)) if parts.scheme == "file" else None


@contextlib.contextmanager
def local_paths(
    p: Platform, ws: Workspace, files: Sequence[PinnedFile], what: str, *, check: bool = True
) -> Iterator[dict[str, str]]:
    """Local paths of ``files`` (by ``PinnedFile.key()``), checked against their pins unless not
    ``check`` (files just matched, not pinned); remote ones copied into a temporary folder,
    removed on exit. Raises ``DatasetFilesChanged``."""
    found = changes(p, ws, files) if check else []
    if found:
        raise changed_error(what, found)
    locations = _locations(p, ws, files)
    out: dict[str, str] = {}
    remote: list[tuple[int, PinnedFile, Location]] = []
    for i, f in enumerate(files):
        location = locations[f.datastore]
        assert location is not None  # changes() found every datastore
        root = _local_root(location)
        if root is not None:
            path = Path(os.path.realpath(root / f.name))
            if not path.is_relative_to(os.path.realpath(root)):
                raise changed_error(what, [FileChange(f, "leads out of its datastore")])
            out[f.key()] = str(path)
        else:
            remote.append((i, f, location))
    if not remote:
        yield out
        return
    with tempfile.TemporaryDirectory(prefix="mlyard-dataset-", dir=p.settings.home) as folder:

        def copy(item: tuple[int, PinnedFile, Location]) -> FileChange | None:
            i, f, location = item
            target = Path(folder, f"{i}-{Path(f.name).name}")
            algorithm, pinned = f.digest()
            digest = new_hasher(algorithm)
            with location.reaching(f"reading '{f.name}'"), target.open("wb") as out_file:
                for chunk in location.blobs.open_read(location.key(f.name)):
                    digest.update(chunk)
                    out_file.write(chunk)
            out[f.key()] = str(target)
            return None if not check or digest.hexdigest() == pinned else FileChange(f, "content changed")

        with ThreadPoolExecutor(_THREADS, thread_name_prefix="mlyard-copy") as pool:
            bad = [c for c in pool.map(copy, remote) if c is not None]
        if bad:
            raise changed_error(what, bad)
        yield out


def open_pinned(p: Platform, ws: Workspace, f: PinnedFile, what: str) -> tuple[PinnedFile, Iterator[bytes]]:
    """The bytes of one pinned file, after checking its size and time (the SDK checks its digest
    against the pin's xxh128). A pin of before xxh128 (a sha256) is checked in full first, the
    file read once for both digests, and answered with the xxh128 the download announces."""
    found = changes(p, ws, [f])
    if found:
        raise changed_error(what, found)
    where = (p, ws.subscription_id, ws.resource_group, ws.name, f.datastore, f.name)
    algorithm, pinned = f.digest()
    if algorithm != "xxh128":
        _, chunks = datastore_files.open_file(*where)
        old, new = new_hasher(algorithm), new_hasher()
        for chunk in chunks:
            old.update(chunk)
            new.update(chunk)
        if old.hexdigest() != pinned:
            raise changed_error(what, [FileChange(f, "content changed")])
        f = dataclasses.replace(f, xxh128=new.hexdigest())
    return f, datastore_files.open_file(*where)[1]


__all__ = [
    "MAX_FILES",
    "SourcePath",
    "changed_error",
    "changes",
    "check_pattern",
    "local_paths",
    "match",
    "pin",
    "unpinned",
]
