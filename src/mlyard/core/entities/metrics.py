"""Metric points of a run: scalar series (columnar), their latest values, and JSON metrics.

Series travel as columns, not as one object per point: ``steps`` and ``timestamps`` (int64,
milliseconds since the epoch) and ``values`` (float64, so NaN and ±inf are kept exactly), as
``array`` objects or lists of equal length.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class JsonMetricKind(StrEnum):
    """Azure's non-scalar metrics, stored as JSON and drawn by the studio."""

    LIST = "list"
    ROW = "row"
    TABLE = "table"
    CONFUSION_MATRIX = "confusion_matrix"
    ACCURACY_TABLE = "accuracy_table"
    IMAGE = "image"  # {"path": the run file holding the picture, "description": ...}


@dataclass(frozen=True)
class MetricSeries:
    """Points of one metric as sent in a batch: columns of equal length."""

    name: str
    steps: Sequence[int]
    values: Sequence[float]
    timestamps: Sequence[int]


@dataclass(frozen=True)
class MetricHistory:
    """A metric's points in step order (then timestamp order); ``total`` counts the stored points,
    which is more than ``len(steps)`` when the history was downsampled."""

    name: str
    steps: array[int]
    timestamps: array[int]
    values: array[float]
    total: int

    @property
    def downsampled(self) -> bool:
        return len(self.steps) < self.total


@dataclass(frozen=True)
class LatestMetric:
    """The point with the greatest step (then the greatest timestamp), as MLflow's latest."""

    name: str
    value: float
    step: int
    timestamp: datetime
    count: int


@dataclass(frozen=True)
class JsonMetric:
    name: str
    kind: JsonMetricKind
    value: Any
    step: int
    timestamp: datetime


@dataclass(frozen=True)
class IngestResult:
    """What a batch did: ``duplicate`` when its batch id had been stored before (nothing stored)."""

    batch_id: str
    points: int
    duplicate: bool
