"""Run metrics on the wire: batches of columnar series in, latest values and histories out.

NaN and ±infinity travel as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` in
answers (standard JSON has no such numbers); requests may use those strings or the
non-standard bare tokens that Python's ``json`` writes. A history can also travel packed
(``?format=binary``, ``application/octet-stream``): a 4-byte little-endian header length, a
JSON header ``{"name", "count", "total"}``, then ``count`` int64 steps, ``count`` int64
millisecond timestamps and ``count`` float64 values, all little-endian.
"""

from __future__ import annotations

import json
import re
import struct
import sys
from array import array
from datetime import datetime
from typing import Any

from pydantic import Field

from mlyard.api.base import RequestModel, WireModel

BINARY_MEDIA_TYPE = "application/octet-stream"
WireFloat = float | str


class MetricSeriesIn(RequestModel):
    name: str
    steps: list[int]
    values: list[float]  # pydantic reads "NaN", "Infinity", "-Infinity" as floats
    timestamps: list[int] = Field(description="Milliseconds since the Unix epoch, one per point.")


class MetricBatchIn(RequestModel):
    batch_id: str = Field(description="Unique per batch: a retried batch with the same id is stored once.")
    series: list[MetricSeriesIn]


class MetricBatchOut(WireModel):
    batch_id: str
    points: int
    duplicate: bool


class JsonMetricIn(RequestModel):
    name: str
    kind: str = Field(description="list, row, table, confusion_matrix or accuracy_table")
    value: Any
    step: int | None = None


class JsonMetricOut(WireModel):
    name: str
    kind: str
    value: Any
    step: int
    timestamp: datetime


class LatestMetricOut(WireModel):
    name: str
    value: WireFloat
    step: int
    timestamp: datetime
    count: int


class MetricsOut(WireModel):
    metrics: list[LatestMetricOut]
    json_metrics: list[JsonMetricOut]


class MetricHistoryOut(WireModel):
    """Columns of equal length in (step, timestamp) order; ``total`` > ``len(steps)`` when downsampled."""

    name: str
    steps: list[int]
    timestamps: list[int]
    values: list[WireFloat]
    total: int


def wire_float(value: float) -> WireFloat:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return value


_NON_FINITE = re.compile(r"-?Infinity|NaN")


def history_json(name: str, steps: array[int], timestamps: array[int], values: array[float], total: int) -> bytes:
    """A ``MetricHistoryOut`` body, written directly: a million points in a fraction of a second."""
    # json writes bare NaN/Infinity tokens; only the values column can hold them, so quote them there.
    quoted = _NON_FINITE.sub(lambda m: f'"{m.group(0)}"', json.dumps(values.tolist()))
    head = json.dumps({"name": name, "total": total})[:-1]
    columns = f'"steps": {json.dumps(steps.tolist())}, "timestamps": {json.dumps(timestamps.tolist())}'
    return f'{head}, {columns}, "values": {quoted}}}'.encode()


def pack_history(name: str, steps: bytes, timestamps: bytes, values: bytes, count: int, total: int) -> bytes:
    header = json.dumps({"name": name, "count": count, "total": total}).encode()
    return b"".join((struct.pack("<I", len(header)), header, steps, timestamps, values))


def columns_bytes(column: array[Any]) -> bytes:
    if sys.byteorder == "big":
        column = array(column.typecode, column)
        column.byteswap()
    return column.tobytes()


def unpack_history(data: bytes) -> tuple[dict[str, Any], array[int], array[int], array[float]]:
    """The header and the three columns of a packed history."""
    (size,) = struct.unpack_from("<I", data)
    header: dict[str, Any] = json.loads(data[4 : 4 + size])
    count = int(header["count"])
    offset = 4 + size
    columns: list[array[Any]] = []
    for code in ("q", "q", "d"):
        column = array(code)
        column.frombytes(data[offset : offset + 8 * count])
        if sys.byteorder == "big":
            column.byteswap()
        columns.append(column)
        offset += 8 * count
    return header, columns[0], columns[1], columns[2]
