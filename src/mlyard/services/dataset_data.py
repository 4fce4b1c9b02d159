"""What a dataset's definition reads: its plan, and the data, preview, profile and files of it.

A *plan* is a definition resolved: the files it reads (a registered version's pinned files, or
what its globs match now), the columns, and every transformation. Every read of a plan checks
the pinned files first (:mod:`mlyard.services.dataset_files`) and refuses with
``DatasetFilesChanged`` when any changed; a definition never registered reads what matches.

The data goes out as an Arrow IPC stream (LZ4-compressed record batches), written first to a
temporary file under the server's home so that a malformed row late in a file is an error
answer, not a broken stream; the file is removed once sent. A registered version's profile is
computed once and kept with the version.
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlyard.core.entities.datasets import Column, DatasetType, DatasetVersion, Definition, FileChange, PinnedFile
from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.errors import DatasetNotFound, InvalidDatasetDefinition
from mlyard.core.ids import utcnow
from mlyard.services import dataset_files, dataset_profile, dataset_reads
from mlyard.services.dataset_definitions import normalise, version_of
from mlyard.services.dataset_files import SourcePath
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.datasets import DatasetRepository

PREVIEW_MAX = 10_000
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Plan:
    dataset_type: DatasetType
    source: dict[str, Any]  # paths, format and the format's options
    files: tuple[PinnedFile, ...]
    columns: tuple[Column, ...]  # empty: read from the files
    transforms: tuple[dict[str, Any], ...]
    what: str  # "Version 2 of dataset 'x'", for messages
    pinned: bool
    origin: DatasetVersion | None = None
    extra: tuple[dict[str, Any], ...] = ()  # the transformations added to the origin's

    def flat_definition(self) -> Definition:
        if self.origin is not None and not self.extra:
            return dict(self.origin.definition)  # the version itself, again
        flat: Definition = {
            "datasetType": self.dataset_type.value,
            "source": self.source,
            "transforms": list(self.transforms),
        }
        if self.origin is not None:
            flat["derivedFrom"] = {"name": self.origin.name, "version": self.origin.version}
        return flat


def plan(p: Platform, ws: Workspace, definition: object, *, pin: bool) -> Plan:
    """Resolve ``definition`` (checked here); ``pin``: hash the files its globs match."""
    d = normalise(definition)
    kind = DatasetType(d["datasetType"])
    src = d["source"]
    if "dataset" in src:
        v = version_of(p, ws, src["dataset"]["name"], src["dataset"]["version"])
        if v.dataset_type is not kind:
            raise InvalidDatasetDefinition(
                f"Dataset '{v.name}' is a {v.dataset_type.value} dataset, not a {kind.value} one.", target="datasetType"
            )
        base = v.definition
        transforms = (*base["transforms"], *d["transforms"])
        what = f"Version {v.version} of dataset '{v.name}'"
        return Plan(kind, base["source"], v.files, v.columns, transforms, what, True, v, tuple(d["transforms"]))
    paths = [SourcePath(x["datastore"], x["path"]) for x in src["paths"]]
    files = dataset_files.pin(p, ws, paths) if pin else dataset_files.unpinned(p, ws, paths)
    return Plan(kind, src, files, (), tuple(d["transforms"]), "The dataset", pin)


def _spill(p: Platform) -> Path:
    return Path(p.settings.home) / "tmp"


@contextlib.contextmanager
def _opened(p: Platform, ws: Workspace, pl: Plan) -> Iterator[tuple[Any, str, list[Any], tuple[Column, ...]]]:
    """A DuckDB connection, the plan's query, its parameters and the source's columns."""
    if pl.dataset_type is not DatasetType.TABULAR:
        raise InvalidDatasetDefinition("A file dataset has no rows: download its files instead.", target="datasetType")
    with dataset_files.local_paths(p, ws, pl.files, pl.what, check=pl.pinned) as local:
        paths = [local[f.key()] for f in pl.files]
        shown = {path: f.key() for path, f in zip(paths, pl.files, strict=True)}
        with dataset_reads.connect(_spill(p)) as con, dataset_reads.reading(shown):
            fmt = str(pl.source["format"])
            columns = pl.columns or tuple(dataset_reads.detect_columns(con, fmt, pl.source, paths[0]))
            names = [f.name for f in pl.files]
            sql, params = dataset_reads.query(fmt, pl.source, columns, pl.transforms, paths, names)
            yield con, sql, params, columns


def check_readable(p: Platform, ws: Workspace, pl: Plan) -> Plan:
    """The plan with its columns, after reading its first rows (a bad file or column fails here)."""
    if pl.dataset_type is not DatasetType.TABULAR:
        return pl
    with _opened(p, ws, pl) as (con, sql, params, columns):
        dataset_reads.preview(con, sql, params, dataset_reads.VALIDATE_ROWS)
    return replace(pl, columns=columns)


def _workspace_plan(p: Platform, where: tuple[str, str, str], definition: object) -> tuple[Workspace, Plan]:
    ws = get_workspace(p, *where)
    return ws, plan(p, ws, definition, pin=False)


def _stream_then_delete(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def data(p: Platform, where: tuple[str, str, str], definition: object) -> tuple[int, int, Iterator[bytes]]:
    """The rows of ``definition`` as an Arrow IPC stream: (rows, bytes, chunks)."""
    ws, pl = _workspace_plan(p, where, definition)
    _spill(p).mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="dataset-", suffix=".arrows", dir=_spill(p))
    os.close(fd)
    target = Path(name)
    try:
        with _opened(p, ws, pl) as (con, sql, params, _):
            rows = dataset_reads.write_arrow(con, sql, params, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return rows, target.stat().st_size, _stream_then_delete(target)


def preview(
    p: Platform, where: tuple[str, str, str], definition: object, top: int
) -> tuple[list[Column], list[list[Any]]]:
    if not 1 <= top <= PREVIEW_MAX:
        raise InvalidDatasetDefinition(f"A preview holds 1 to {PREVIEW_MAX} rows.", target="top")
    ws, pl = _workspace_plan(p, where, definition)
    with _opened(p, ws, pl) as (con, sql, params, _):
        return dataset_reads.preview(con, sql, params, top)


def profile(p: Platform, where: tuple[str, str, str], definition: object) -> dict[str, Any]:
    """The profile of ``definition``; a registered version's as it is is computed once and kept."""
    ws, pl = _workspace_plan(p, where, definition)
    cached = pl.origin is not None and not pl.extra
    if cached:
        assert pl.origin is not None
        with p.db.read() as session:
            kept = DatasetRepository(session).profile(pl.origin.id)
        if kept is not None:
            return kept
    with _opened(p, ws, pl) as (con, sql, params, _):
        made = dataset_profile.profile(con, sql, params)
    if cached:
        assert pl.origin is not None
        with p.db.write() as session:
            DatasetRepository(session).save_profile(pl.origin.id, made, utcnow())
    return made


def files(
    p: Platform,
    where: tuple[str, str, str],
    definition: object,
    *,
    verify: bool,
    start: int = 0,
    count: int | None = None,
) -> tuple[Plan, list[FileChange]]:
    """The files of ``definition`` and, with ``verify``, those that changed since they were pinned.

    ``start`` and ``count`` make a page of them (the plan's files in their pinned order): only
    the page's files are checked, so a listing of many files costs its pages, not the whole.
    """
    ws, pl = _workspace_plan(p, where, definition)
    page = pl.files[start : None if count is None else start + count]
    return replace(pl, files=page), dataset_files.changes(p, ws, page) if verify and pl.pinned else []


def page_token(start: int) -> str:
    """The continuation token of the page that starts at file ``start`` (opaque to clients)."""
    return base64.urlsafe_b64encode(f"files:{start}".encode()).decode().rstrip("=")


def page_start(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, _, start = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition(":")
        if kind == "files" and start.isdigit():
            return int(start)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidDatasetDefinition("The continuation token is not one this server gave.", target="continuationToken")


def open_file(
    p: Platform, where: tuple[str, str, str], name: str, version: int, key: str
) -> tuple[PinnedFile, Iterator[bytes]]:
    """One pinned file of a version, ``key`` being ``<datastore>/<name>``, checked before it is sent."""
    ws = get_workspace(p, *where)
    v = version_of(p, ws, name, version)
    found = next((f for f in v.files if f.key() == key), None)
    if found is None:
        raise DatasetNotFound(
            f"Version {v.version} of dataset '{v.name}' has no file '{key}' (its files are named <datastore>/<path>).",
            target="path",
        )
    return dataset_files.open_pinned(p, ws, found, f"Version {v.version} of dataset '{v.name}'")


__all__ = [
    "Plan", "check_readable", "data", "files", "open_file", "page_start", "page_token", "plan", "preview", "profile",
]  # fmt: skip
