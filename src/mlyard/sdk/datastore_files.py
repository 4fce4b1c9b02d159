"""Azure ML's file methods of a datastore: ``upload``, ``upload_files``, ``download``.

Every file goes through the server (which reaches the folder or bucket behind the datastore),
streamed and checked by xxh128 both ways: the small files of a call in one tar stream
(:mod:`mlyard.sdk.archives`, as run files are), each big one (:data:`SINGLE_FILE` and more) in a
request of its own, a few at a time, read once and hashed on the way (the tar path copies every
byte several times more: 1 GB of big files went at ~130 MB/s through it). Everything that can be
known before a byte moves is checked first, so that a bad call changes nothing: a missing
source, a name that would leave the datastore (``..``, an absolute path), and, without
``overwrite``, files that already exist at the other end (one listing of the target folder, or
of the local targets). Unlike Azure ML, which skips existing files silently, mlyard then refuses
the whole transfer and names them. Each file lands whole and verified or not at all, and a file
it replaces stays as it was until then; the archive of small files is all or nothing, but a
failure midway (a broken connection) keeps the big files already sent.

``show_progress`` draws a progress bar (bytes and files) on stderr and prints one line at the
end.
"""

from __future__ import annotations

import os
import posixpath
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from mlyard.core.errors import DatastoreFileAlreadyExists, InvalidFileName, ValidationError
from mlyard.core.file_names import describe_bad_name, file_name_problem
from mlyard.sdk import archives
from mlyard.sdk.client import Client
from mlyard.sdk.transfers import (
    PARALLEL_LARGE,
    SINGLE_FILE,
    Bytes,
    PathLike,
    get_to_path,
    quote_name,
    run_all,
    stream_path,
)

if TYPE_CHECKING:
    from mlyard.sdk.datastore import DataReference, Datastore

_SHOWN = 5
Counters = tuple[Bytes | None, Callable[[str], None]]


def check_file_name(name: object) -> str:
    """The server's rule for a datastore file name, checked before a byte is sent."""
    problem = file_name_problem(name, "the datastore")
    if problem is not None:
        raise InvalidFileName(describe_bad_name(name, problem, "datastore file"), target="name")
    assert isinstance(name, str)
    return name


def _join(target_path: str | None, relative: str) -> str:
    folder = (target_path or "").replace("\\", "/").strip("/")
    return check_file_name(f"{folder}/{relative}" if folder else relative)


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


@contextmanager
def _progress(show: bool, description: str, total: int, files: int) -> Iterator[Counters]:
    """A rich progress bar in bytes with a file count, on stderr; nothing when not ``show``."""
    if not show or files == 0:
        yield None, lambda _name: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    done = [0]
    lock = threading.Lock()
    with Progress(*columns, TextColumn("{task.fields[files]}"), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total, files=f"0/{files} files")

        def one_file(_name: str) -> None:
            with lock:
                done[0] += 1
                bar.update(task, files=f"{done[0]}/{files} files")

        yield (lambda n: bar.advance(task, n)), one_file


class DatastoreFilesMixin:
    """File methods of ``Datastore``, which sets ``workspace`` and ``name``."""

    workspace: Any
    name: str

    @property
    def _client(self) -> Client:
        client: Client = self.workspace._client
        return client

    def _files_path(self) -> str:
        return f"{self.workspace._path}/datastores/{quote_name(self.name)}/files"

    def list_files(self, prefix: str | None = None) -> list[dict[str, Any]]:
        """The datastore's files in the folder ``prefix`` (all when None): ``name``, ``size``, ``modifiedUtc``."""
        folder = (prefix or "").strip("/")
        if folder:
            check_file_name(folder)
        found: list[dict[str, Any]] = self._client.get(self._files_path(), prefix=folder or None)["value"]
        return found

    # -- uploading -----------------------------------------------------------------------

    def upload(
        self,
        src_dir: PathLike,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Upload every file under the folder ``src_dir`` to ``target_path/<its relative path>``."""
        root = Path(src_dir)
        if not root.exists():
            raise FileNotFoundError(f"Cannot upload '{root}': no such folder.")
        if not root.is_dir():
            raise NotADirectoryError(f"Cannot upload '{root}': it is not a folder (upload_files takes files).")
        files = sorted(
            Path(folder, f) for folder, _dirs, names in os.walk(root) for f in names if Path(folder, f).is_file()
        )
        names = [_join(target_path, p.relative_to(root).as_posix()) for p in files]
        return self._upload(files, names, target_path, overwrite, show_progress)

    def upload_files(
        self,
        files: Sequence[PathLike],
        relative_root: PathLike | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> DataReference:
        """Upload ``files``, each to ``target_path/<its path relative to relative_root>``.

        ``relative_root`` defaults to the folder the files have in common.
        """
        if isinstance(files, str | os.PathLike):
            raise TypeError("upload_files takes a list of files; upload takes a folder.")
        paths = [Path(f).absolute() for f in files]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise FileNotFoundError(f"Cannot upload: no such file {_listed(missing)}; nothing was uploaded.")
        if not paths:
            return self._upload([], [], target_path, overwrite, show_progress)
        base = (
            Path(relative_root).absolute()
            if relative_root is not None
            else Path(os.path.commonpath([str(p.parent) for p in paths]))
        )
        outside = [str(p) for p in paths if base not in p.parents]
        if outside:
            raise ValidationError(
                f"relative_root '{base}' must hold every file; {_listed(outside)} is not under it.",
                target="relative_root",
            )
        names = [_join(target_path, p.relative_to(base).as_posix()) for p in paths]
        return self._upload(paths, names, target_path, overwrite, show_progress)

    def _upload(
        self, paths: list[Path], names: list[str], target_path: str | None, overwrite: bool, show: bool
    ) -> DataReference:
        from mlyard.sdk.datastore import DataReference

        if len(set(names)) != len(names):
            raise ValidationError("Two of the files would land on the same name in the datastore.")
        if not overwrite and names:
            self._refuse_existing(names)
        sizes = [p.stat().st_size for p in paths]
        large = [(p, n) for p, n, size in zip(paths, names, sizes, strict=True) if size >= SINGLE_FILE]
        small = [(p, n) for p, n, size in zip(paths, names, sizes, strict=True) if size < SINGLE_FILE]
        total = sum(sizes)
        if paths:
            with _progress(show, f"Uploading to {self.name}", total, len(paths)) as (on_bytes, one_file):
                self._send(large, small, overwrite, on_bytes, one_file)
        if show:
            print(f"Uploaded {len(paths)} files ({_size(total)}) to datastore '{self.name}'.", file=sys.stderr)
        return DataReference(cast("Datastore", self), path_on_datastore=(target_path or "").strip("/") or None)

    def _send(
        self,
        large: list[tuple[Path, str]],
        small: list[tuple[Path, str]],
        overwrite: bool,
        on_bytes: Bytes | None,
        one_file: Callable[[str], None],
    ) -> None:
        """Big files one request each (:data:`PARALLEL_LARGE` at a time), read once; the small
        ones in one archive, alongside them."""
        items = archives.prepare([p for p, _n in small], [n for _p, n in small]) if small else []

        def one(job: tuple[Path, str] | None) -> None:
            if job is None:
                url = f"{self._files_path()}.tar"
                archives.send(self._client, url, items, overwrite=overwrite, on_bytes=on_bytes, on_file=one_file)
                return
            path, name = job
            url = f"{self._files_path()}/{quote_name(name)}"
            stream_path(self._client, url, path, overwrite=overwrite, on_bytes=on_bytes)
            one_file(name)

        jobs: list[tuple[Path, str] | None] = [None] if items else []
        run_all(one, jobs + list(large), workers=PARALLEL_LARGE + len(jobs))

    def _refuse_existing(self, names: list[str]) -> None:
        common = posixpath.commonpath(names)
        folder = common if common not in names else posixpath.dirname(common)
        there = {f["name"] for f in self.list_files(folder or None)}
        taken = sorted(n for n in names if n in there)
        if taken:
            raise DatastoreFileAlreadyExists(
                f"Datastore '{self.name}' already has {_listed(taken)}: nothing was uploaded. "
                "Pass overwrite=True (--overwrite) to replace them.",
                target="name",
            )

    # -- downloading -----------------------------------------------------------------------

    def download(
        self,
        target_path: PathLike,
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> int:
        """Download the files in the folder ``prefix`` (all when None) to ``target_path/<name>``;
        answers how many files were downloaded."""
        base = Path(target_path)
        found = self.list_files(prefix)
        pairs = [(check_file_name(f["name"]), base / f["name"], int(f.get("size") or 0)) for f in found]
        if not overwrite:
            there = [str(target) for _n, target, _s in pairs if target.exists()]
            if there:
                raise FileExistsError(
                    f"{_listed(there)} already exist: nothing was downloaded. Pass overwrite=True (--overwrite) "
                    "to replace them."
                )
        total = sum(size for _n, _t, size in pairs)
        if pairs:
            listed: dict[str, Path] = {name: target for name, target, _s in pairs}

            def target_of(name: str) -> Path:
                # A file that appeared since the listing was not checked against overwrite: refused.
                if name not in listed:
                    raise ValidationError(f"File '{name}' appeared in the datastore during the download; run it again.")
                return listed[name]

            with _progress(show_progress, f"Downloading {self.name}", total, len(pairs)) as (on_bytes, one_file):
                self._fetch(pairs, target_of, (prefix or "").strip("/"), on_bytes, one_file)
        if show_progress:
            print(f"Downloaded {len(pairs)} files ({_size(total)}) from datastore '{self.name}'.", file=sys.stderr)
        return len(pairs)

    def _fetch(
        self,
        pairs: list[tuple[str, Path, int]],
        target_of: Callable[[str], Path],
        folder: str,
        on_bytes: Bytes | None,
        one_file: Callable[[str], None],
    ) -> None:
        """Big files one request each, alongside one archive of the small ones (``maxSize``)."""
        large = [(name, target) for name, target, size in pairs if size >= SINGLE_FILE]
        small = {target: name for name, target, size in pairs if size < SINGLE_FILE}

        def get(job: tuple[str, Path], large_file: bool = True) -> None:
            name, target = job
            url = f"{self._files_path()}/{quote_name(name)}"
            get_to_path(self._client, url, target, name, on_bytes=on_bytes, large=large_file)
            one_file(name)

        def one(job: tuple[str, Path] | None) -> None:
            if job is not None:
                return get(job)
            url = f"{self._files_path()}.tar"
            got = archives.receive(
                self._client,
                url,
                target_of,
                prefix=folder,
                max_size=SINGLE_FILE - 1,
                on_bytes=on_bytes,
                on_file=one_file,
            )
            # A small file that grew past the limit since the listing is not in the archive.
            arrived = set(got)
            late = [(name, target) for target, name in small.items() if target not in arrived]
            run_all(get, late, workers=PARALLEL_LARGE)
            return None

        jobs: list[tuple[str, Path] | None] = [None] if small else []
        run_all(one, jobs + large, workers=PARALLEL_LARGE + len(jobs))


__all__ = ["DatastoreFilesMixin", "check_file_name"]
