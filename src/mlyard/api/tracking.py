"""Experiments and runs on the wire: camelCase, with Azure's names for run fields
(``runId``, ``runNumber``, ``startTimeUtc``, ``endTimeUtc``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel
from mlyard.api.metrics import LatestMetricOut, MetricSeriesIn
from mlyard.core.entities.tracking import RunStatus, RunType


class ExperimentView(StrEnum):
    """Azure's ViewType: which experiments a listing answers."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    ALL = "all"


class ExperimentCreate(RequestModel):
    name: str
    tags: dict[str, str] | None = None


class ExperimentPatch(RequestModel):
    archived: bool | None = None
    tags: dict[str, str] | None = Field(default=None, description="Tags to add or change.")
    remove_tags: list[str] = Field(default_factory=list, description="Tags to drop.")


class ExperimentOut(WireModel):
    id: str
    name: str
    archived: bool
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime


class ExperimentSummaryOut(ExperimentOut):
    """An experiment in a listing, with what its live runs (children included) amount to."""

    run_count: int = 0
    active_run_count: int = Field(default=0, description="Runs not yet Completed, Failed or Canceled.")
    last_activity_utc: datetime | None = Field(default=None, description="The latest run end, start or creation.")


class RunKeysOut(WireModel):
    """Names of the params, tags and metrics an experiment's runs hold (for choosing table columns)."""

    params: list[str]
    tags: list[str]
    metrics: list[str]


class RunCreate(RequestModel):
    display_name: str | None = None
    tags: dict[str, str] | None = None
    properties: dict[str, str] | None = None
    parent_run_id: str | None = None
    # A whole run in one request (the SDK sends short runs so): all optional.
    run_id: str | None = Field(
        default=None, description="A client-made id (32 lowercase hex): a retry with the same body is one run."
    )
    params: dict[str, str | int | float | bool] | None = Field(default=None, max_length=100)
    status: RunStatus | None = Field(default=None, description="Completed, Failed or Canceled: finished at once.")
    error: dict[str, Any] | None = Field(default=None, description="With status Failed: {code, message, ...}.")
    batch_id: str | None = Field(default=None, description="The id of the metrics' batch (required with series).")
    series: list[MetricSeriesIn] = Field(default_factory=list)


class ChildrenCreate(RequestModel):
    count: int = Field(default=1, ge=1, le=1000)
    display_names: list[str | None] = Field(default_factory=list, max_length=1000)
    tags: dict[str, str] | None = None


class RunPatch(RequestModel):
    status: RunStatus | None = None
    error: dict[str, Any] | None = Field(default=None, description="With status Failed: {code, message, ...}.")
    display_name: str | None = None
    tags: dict[str, str] | None = Field(default=None, description="Tags to add or change.")
    remove_tags: list[str] = Field(default_factory=list, description="Tags to drop.")


class PropertiesAdd(RequestModel):
    properties: dict[str, str] = Field(min_length=1, max_length=100)


class ParamsLog(RequestModel):
    # Numbers and booleans are kept as their text, as MLflow's log_param does.
    params: dict[str, str | int | float | bool] = Field(min_length=1, max_length=100)


class RunOut(WireModel):
    run_id: str
    experiment_id: str
    experiment_name: str
    run_number: int
    display_name: str | None
    status: RunStatus
    run_type: RunType
    parent_run_id: str | None
    created_by: str | None
    created_utc: datetime
    start_time_utc: datetime | None
    end_time_utc: datetime | None
    tags: dict[str, str]
    properties: dict[str, str]
    params: dict[str, str]
    error: dict[str, Any] | None
    deleted_utc: datetime | None = None


class RunPageOut(WireModel):
    value: list[RunOut]
    next_cursor: str | None = None


class RunSearch(RequestModel):
    """MLflow's search: ``filter`` as ``metrics.accuracy > 0.9 and tags.team = 'vision'``,
    ``orderBy`` as ``["metrics.accuracy DESC", "attributes.start_time"]``."""

    experiment_names: list[str] | None = Field(default=None, max_length=100)
    filter: str | None = Field(default=None, max_length=10_000)
    order_by: list[str] | None = Field(default=None, max_length=20)
    max_results: int = Field(default=100, ge=1, le=1000)
    page_token: str | None = None
    include_deleted: bool = False


class FoundRunOut(RunOut):
    """A run as a search answers it: with its latest metrics as well."""

    metrics: list[LatestMetricOut]


class RunSearchOut(WireModel):
    runs: list[FoundRunOut]
    next_page_token: str | None = None
