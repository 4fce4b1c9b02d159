"""Datasets: named, versioned, typed references to files in a workspace's datastores.

A dataset's *definition* is plain JSON (camelCase, as on the wire): where its files are (globs on
datastores, or a registered version it derives from), how a tabular one is parsed, and the
transformations applied on reading (``take``, ``skip``, ``keepColumns``, ``dropColumns``,
``filter``, ``randomSplit``). A registered *version* is immutable: it pins the exact files the
globs matched when it was registered, with their sizes and xxh128 digests, and the columns read from
them, so that reading it later reads the same data or says that the files changed.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from mlyard.core.names import NameRule

DATASET_NAME = NameRule(
    "dataset",
    1,
    250,
    re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*"),
    "use 1 to 250 letters, digits, hyphens, underscores or periods, starting with a letter or digit",
)


class DatasetType(StrEnum):
    TABULAR = "tabular"
    FILE = "file"


class SourceFormat(StrEnum):
    DELIMITED = "delimited"
    PARQUET = "parquet"
    JSON_LINES = "jsonLines"
    FILES = "files"


class InputMode(StrEnum):
    """How a job gets a dataset: a read-only folder (``mount``) or a writable copy (``download``)."""

    MOUNT = "mount"
    DOWNLOAD = "download"


Definition = dict[str, Any]
"""``{"datasetType", "source": {...}, "transforms": [...]}``; see docs/data.md."""


@dataclass(frozen=True, slots=True)
class PinnedFile:
    """One file of a version, as it was when the version was registered."""

    datastore: str
    name: str
    size: int
    xxh128: str
    modified: datetime
    sha256: str | None = None
    """Only in a pin registered before digests became xxh128 (its ``xxh128`` is then ``""``)."""

    def key(self) -> str:
        return f"{self.datastore}/{self.name}"

    def digest(self) -> tuple[str, str]:
        """``(algorithm, hex)`` this pin is checked with: ``xxh128``, or ``sha256`` for an older pin."""
        if not self.xxh128 and self.sha256:
            return "sha256", self.sha256
        return "xxh128", self.xxh128


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # DuckDB's type name: BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP, VARCHAR, ...


@dataclass(frozen=True)
class DatasetVersion:
    id: str
    dataset_id: str
    workspace_id: str
    name: str
    version: int
    dataset_type: DatasetType
    definition: Definition
    files: tuple[PinnedFile, ...]
    columns: tuple[Column, ...]
    fingerprint: str
    created_at: datetime
    created_by: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class Dataset:
    """A registered dataset: its latest version, and how many it has."""

    latest: DatasetVersion
    version_count: int


@dataclass(frozen=True)
class FileChange:
    """A pinned file that is not as it was: ``missing``, ``size`` or ``content`` changed."""

    file: PinnedFile
    change: str


@dataclass(frozen=True, slots=True)
class DatasetInput:
    """One dataset a job reads: under ``name`` (``as_named_input``), in ``mode``."""

    name: str
    dataset: str
    version: int | None  # None: the latest at submission
    mode: InputMode
    # A definition derived from the version (take, filter, ...) read instead of it; None: the version as it is.
    transforms: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class RunInput:
    """Lineage: run ``run_id`` read version ``version`` of dataset ``dataset`` as input ``name``."""

    run_id: str
    experiment_name: str
    name: str
    dataset: str
    version: int
    dataset_type: DatasetType
    mode: InputMode
    transforms: tuple[dict[str, Any], ...]
    created_at: datetime


def local_layout(files: list[tuple[str, str]]) -> list[str]:
    """Where each ``(datastore, name)`` goes in a local copy (a job's input folder, a download):
    its path below the files' common folder, with the datastore's name first when they come
    from several datastores."""
    if not files:
        return []
    several = len({d for d, _ in files}) > 1
    names = [f"{d}/{n}" if several else n for d, n in files]
    common = posixpath.dirname(names[0]) if len(names) == 1 else posixpath.commonpath(names)
    if common in names:
        common = posixpath.dirname(common)
    return [n[len(common) + 1 :] if common else n for n in names]
