"""Datasets on the wire: registrations, versions with their pinned files, reads, lineage.

A definition travels as JSON (``{"datasetType", "source", "transforms"}``, see docs/data.md);
the server checks it. The rows of a read travel as an Arrow IPC stream
(``application/vnd.apache.arrow.stream``), their count in ``X-Row-Count``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, JsonValue

from mlyard.api.base import RequestModel, WireModel

ARROW_STREAM = "application/vnd.apache.arrow.stream"
ROW_COUNT_HEADER = "X-Row-Count"


class DatasetRegisterIn(RequestModel):
    definition: dict[str, Any]
    description: str | None = Field(default=None, max_length=5000)
    tags: dict[str, str] | None = None
    create_new_version: bool = False


class DatasetQueryIn(RequestModel):
    """A definition to read: one never registered, or ``{"source": {"dataset": {name, version}}}``."""

    definition: dict[str, Any]


class ColumnOut(WireModel):
    name: str
    type: str


class PinnedFileOut(WireModel):
    datastore: str
    name: str
    size: int
    xxh128: str | None = Field(default=None, description="The pinned XXH3-128 (None for a pin of before xxh128).")
    modified_utc: datetime | None = None
    change: str | None = Field(default=None, description="Set when verified and no longer as pinned.")


class DatasetVersionOut(WireModel):
    id: str
    name: str
    version: int
    dataset_type: str
    definition: dict[str, Any]
    columns: list[ColumnOut]
    file_count: int
    total_size: int
    description: str | None = None
    tags: dict[str, str]
    created_at: datetime
    created_by: str | None = None
    version_count: int | None = None


class DatasetFilesOut(WireModel):
    """A page of a version's files (all of them without ``pageSize``); ``changed`` counts the page's."""

    value: list[PinnedFileOut]
    verified: bool
    changed: int
    # Set when more files follow: pass it back as ``continuationToken`` for the next page.
    next_continuation_token: str | None = None
    total: int | None = None


class PreviewOut(WireModel):
    columns: list[ColumnOut]
    rows: list[list[JsonValue]]


class ProfileColumnOut(WireModel):
    name: str
    type: str
    count: int
    missing: int
    min: JsonValue = None
    max: JsonValue = None
    mean: float | None = None
    std: float | None = None
    distinct: int
    top_values: list[dict[str, JsonValue]]
    # Which of this column's figures are approximate ("distinct", "topValues"); see ProfileOut.
    approximate: list[str] = Field(default_factory=list)


class ProfileOut(WireModel):
    """A profile; with ``sample_rows`` set, top-value candidates came from that many first rows.

    Count, missing, min, max, mean and std are exact. ``distinct`` is exact when no column says
    otherwise, else a HyperLogLog estimate; ``topValues`` are then the most frequent of the first
    rows' most frequent values, each counted exactly over all rows.
    """

    row_count: int
    column_count: int
    columns: list[ProfileColumnOut]
    sample_rows: int | None = None


class DatasetInputIn(RequestModel):
    """A job's input: ``as_named_input(name)`` of a registered dataset, as a mount or a download."""

    name: str = Field(min_length=1, max_length=64)
    dataset: str = Field(min_length=1, max_length=250)
    version: int | None = Field(default=None, ge=1)
    mode: Literal["mount", "download"] = "mount"
    transforms: list[dict[str, Any]] = Field(default_factory=list, max_length=50)


class RunInputOut(WireModel):
    run_id: str
    experiment_name: str
    name: str
    dataset: str
    version: int
    dataset_type: str
    mode: str
    transforms: list[dict[str, Any]]
    created_at: datetime


__all__ = [
    "ARROW_STREAM",
    "ROW_COUNT_HEADER",
    "ColumnOut",
    "DatasetFilesOut",
    "DatasetInputIn",
    "DatasetQueryIn",
    "DatasetRegisterIn",
    "DatasetVersionOut",
    "PinnedFileOut",
    "PreviewOut",
    "ProfileColumnOut",
    "ProfileOut",
    "RunInputOut",
]
