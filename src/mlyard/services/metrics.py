"""Metrics of a run: batches of scalar points, their history and latest values, and JSON metrics.

A batch is stored in ONE write transaction, or not at all: its id first (a batch the SDK
retries after a lost answer finds its id and stores nothing), then each series as columnar
chunks of at most ``CHUNK_POINTS`` points, sorted by (step, timestamp) inside the chunk, and
the series' latest value (greatest step, then greatest timestamp, as MLflow). Everything is
validated before anything is written, so bad input never loses earlier points.

History is read back chunk by chunk in chunk order; when the chunks' step ranges follow each
other (the usual case: steps that grow) their concatenation is already in order and nothing
is sorted. ``max_points`` asks for a downsampled series: the points are cut into
``max_points // 2`` buckets of consecutive points and each bucket keeps its smallest and its
largest value (in step order), so spikes survive; NaN points are dropped from a downsampled
view only.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import time
from array import array
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from mlyard.core.entities.metrics import (
    IngestResult,
    JsonMetric,
    JsonMetricKind,
    LatestMetric,
    MetricHistory,
    MetricSeries,
)
from mlyard.core.entities.tracking import Run
from mlyard.core.errors import Conflict, MetricNotFound, ValidationError
from mlyard.core.ids import utcnow
from mlyard.services.platform import Platform
from mlyard.services.runs import ensure_writable
from mlyard.store.metrics import MAX_NAME, LatestMetricRow, MetricsRepository, pack

MAX_BATCH_POINTS = 100_000
MAX_BATCH_SERIES = 1_000
CHUNK_POINTS = 10_000
MAX_JSON_BYTES = 1_000_000
MAX_BATCH_ID = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_RETRIES = 5  # PostgreSQL: two batches of one run racing for the same chunk number


# -- checks --------------------------------------------------------------------------------


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("A metric name must be a non-empty string.", target="name")
    if len(name) > MAX_NAME:
        raise ValidationError(
            f"Metric name '{name[:40]}…' has {len(name)} characters: at most {MAX_NAME}.", target="name"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError(f"Metric name {name!r} holds a control character.", target="name")
    return name


def _check_ints(name: str, column: str, items: Sequence[Any]) -> array[int]:
    try:
        packed = array("q", items)
    except (TypeError, OverflowError):
        bad = next(
            (v for v in items if isinstance(v, bool) or not isinstance(v, int) or not INT64_MIN <= v <= INT64_MAX), None
        )
        raise ValidationError(
            f"Metric '{name}': every {column[:-1]} must be an integer within int64 ({bad!r} is not).", target=column
        ) from None
    if any(isinstance(v, bool) for v in items):
        raise ValidationError(f"Metric '{name}': {column} must be integers, not booleans.", target=column)
    return packed


def _check_series(series: MetricSeries) -> tuple[str, array[int], array[int], array[float]]:
    name = check_name(series.name)
    n = len(series.steps)
    if n == 0 or len(series.values) != n or len(series.timestamps) != n:
        raise ValidationError(
            f"Metric '{name}': steps, values and timestamps must be non-empty and of equal length "
            f"({n}, {len(series.values)} and {len(series.timestamps)} given).",
            target="series",
        )
    steps = _check_ints(name, "steps", series.steps)
    stamps = _check_ints(name, "timestamps", series.timestamps)
    try:
        values = array("d", series.values)
    except TypeError:
        raise ValidationError(
            f"Metric '{name}': every value must be a number (NaN and ±Infinity are allowed).", target="values"
        ) from None
    return name, steps, stamps, values


def _sorted(steps: array[int], stamps: array[int], values: array[float]) -> tuple[array[int], array[int], array[float]]:
    """The points in (step, timestamp) order; untouched when the steps already grow (the usual case)."""
    if all(map(operator.lt, steps[:-1], steps[1:])):
        return steps, stamps, values
    # Stable: points with the same step and timestamp keep the order they were logged in.
    order = sorted(range(len(steps)), key=lambda i: (steps[i], stamps[i]))
    return (
        array("q", (steps[i] for i in order)),
        array("q", (stamps[i] for i in order)),
        array("d", (values[i] for i in order)),
    )


def _as_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


# -- writes --------------------------------------------------------------------------------


# Sorted columns (steps, timestamps, values) by metric name.
Prepared = dict[str, tuple["array[int]", "array[int]", "array[float]"]]


def ingest(p: Platform, run: Run, batch_id: str, series: Sequence[MetricSeries]) -> IngestResult:
    """Store a batch of series in one transaction; a batch id seen before stores nothing."""
    prepared, total = prepare(batch_id, series)
    ensure_writable(run)
    for attempt in range(_RETRIES):
        try:
            return _store(p, run.id, batch_id, prepared, total)
        except Conflict:
            with p.db.read() as session:
                if MetricsRepository(session).has_batch(run.id, batch_id):
                    return IngestResult(batch_id, total, duplicate=True)
            if attempt == _RETRIES - 1:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def prepare(batch_id: str, series: Sequence[MetricSeries]) -> tuple[Prepared, int]:
    """A batch checked whole (nothing is written before all of it passes), as sorted columns by
    name (repeated names merged), and its number of points."""
    if not isinstance(batch_id, str) or not 0 < len(batch_id) <= MAX_BATCH_ID:
        raise ValidationError(f"A batch id is a string of 1 to {MAX_BATCH_ID} characters.", target="batchId")
    if len(series) > MAX_BATCH_SERIES:
        raise ValidationError(
            f"A batch holds at most {MAX_BATCH_SERIES} series ({len(series)} given): split it.", target="series"
        )
    total = sum(len(s.steps) for s in series)
    if total > MAX_BATCH_POINTS:
        raise ValidationError(
            f"A batch holds at most {MAX_BATCH_POINTS} points ({total} given): split it.", target="series"
        )
    merged: Prepared = {}
    for s in series:
        name, steps, stamps, values = _check_series(s)
        if name in merged:
            old = merged[name]
            steps, stamps, values = old[0] + steps, old[1] + stamps, old[2] + values
        merged[name] = (steps, stamps, values)
    return {name: _sorted(*cols) for name, cols in merged.items()}, total


def _store(p: Platform, run_id: str, batch_id: str, prepared: Prepared, total: int) -> IngestResult:
    with p.db.write() as session:
        return store_in(session, run_id, batch_id, prepared, total)


def store_in(
    session: Session, run_id: str, batch_id: str, prepared: Prepared, total: int, *, new: bool = False
) -> IngestResult:
    """Store a prepared batch in an open write transaction. ``new``: the run was made in this
    transaction, so it has no batches, chunks or latest values to look up yet."""
    now = utcnow()
    repo = MetricsRepository(session)
    if not new and repo.has_batch(run_id, batch_id):
        return IngestResult(batch_id, total, duplicate=True)
    repo.add_batch(run_id, batch_id, now)
    seqs = repo.next_seqs(run_id, prepared) if not new else dict.fromkeys(prepared, 0)
    latest = repo.latest_rows(run_id, prepared) if not new else {}
    rows: list[dict[str, Any]] = []
    fresh: list[dict[str, Any]] = []  # latest values of metrics the run did not have
    for name, (steps, stamps, values) in prepared.items():
        seq = seqs[name]
        for lo in range(0, len(steps), CHUNK_POINTS):
            hi = min(lo + CHUNK_POINTS, len(steps))
            rows.append(
                {
                    "run_id": run_id,
                    "key": name,
                    "seq": seq,
                    "count": hi - lo,
                    "first_step": steps[lo],
                    "last_step": steps[hi - 1],
                    "steps": pack(steps[lo:hi]),
                    "timestamps": pack(stamps[lo:hi]),
                    "values": pack(values[lo:hi]),
                }
            )
            seq += 1
        row = latest.get(name)
        if row is None:
            last = values[-1]
            fresh.append(
                {"run_id": run_id, "key": name, "value": None if math.isnan(last) else last, "step": steps[-1],
                 "timestamp": _as_datetime(stamps[-1]), "count": len(steps)}
            )  # fmt: skip
        else:
            _upsert_latest(repo, row, run_id, name, steps[-1], stamps[-1], values[-1], len(steps))
    repo.add_chunks(rows)
    repo.add_latest_values(fresh)
    return IngestResult(batch_id, total, duplicate=False)


def _upsert_latest(
    repo: MetricsRepository,
    row: LatestMetricRow | None,
    run_id: str,
    name: str,
    step: int,
    stamp: int,
    value: float,
    count: int,
) -> None:
    stored = None if math.isnan(value) else value
    when = _as_datetime(stamp)
    if row is None:
        repo.add_latest(LatestMetricRow(run_id=run_id, key=name, value=stored, step=step, timestamp=when, count=count))
        return
    row.count += count
    # A later-logged point wins a tie, as a later log call overwrites an equal step.
    if (step, when) >= (row.step, row.timestamp):
        row.value, row.step, row.timestamp = stored, step, when


def log_json(
    p: Platform, run: Run, name: str, kind: JsonMetricKind | str, value: Any, step: int | None = None
) -> JsonMetric:
    """Store one JSON metric (a list, a row, a table, a confusion matrix, an accuracy table)."""
    name = check_name(name)
    try:
        kind = JsonMetricKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in JsonMetricKind)
        raise ValidationError(f"Metric '{name}': unknown kind {kind!r}; one of {kinds}.", target="kind") from None
    try:
        size = len(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise ValidationError(
            f"Metric '{name}': the value must be JSON (lists, objects, strings, finite numbers).", target="value"
        ) from None
    if size > MAX_JSON_BYTES:
        raise ValidationError(
            f"Metric '{name}': a JSON metric holds at most {MAX_JSON_BYTES} bytes ({size} given).", target="value"
        )
    ensure_writable(run)
    with p.db.write() as session:
        repo = MetricsRepository(session)
        if step is None:
            step = repo.json_count(run.id, name)
        metric = JsonMetric(name, kind, value, step, utcnow())
        repo.add_json(run.id, metric)
    return metric


# -- reads ---------------------------------------------------------------------------------


def latest(p: Platform, run: Run) -> dict[str, LatestMetric]:
    with p.db.read() as session:
        return {m.name: m for m in MetricsRepository(session).latest(run.id)}


def list_names(p: Platform, run: Run) -> list[str]:
    """Names of the run's scalar metrics, then of its JSON metrics not among them, sorted."""
    with p.db.read() as session:
        repo = MetricsRepository(session)
        names = {m.name for m in repo.latest(run.id)} | {m.name for m in repo.json_metrics(run.id)}
    return sorted(names)


def json_metrics(p: Platform, run: Run, name: str | None = None) -> list[JsonMetric]:
    with p.db.read() as session:
        return MetricsRepository(session).json_metrics(run.id, name)


def history(p: Platform, run: Run, name: str, max_points: int | None = None) -> MetricHistory:
    """The metric's points in (step, timestamp) order: all of them, or downsampled (see above)."""
    if max_points is not None and max_points < 2:
        raise ValidationError("maxPoints must be at least 2 (each bucket keeps its min and max).", target="maxPoints")
    with p.db.read() as session:
        chunks = MetricsRepository(session).chunks(run.id, name)
    if not chunks:
        raise MetricNotFound(f"Run '{run.id}' has no metric '{name}': log it first (run.log).", target="name")
    steps, stamps, values = array("q"), array("q"), array("d")
    for chunk in chunks:
        steps += chunk.steps
        stamps += chunk.timestamps
        values += chunk.values
    in_order = all(a.last_step < b.first_step for a, b in itertools.pairwise(chunks))
    if not in_order:
        steps, stamps, values = _sorted(steps, stamps, values)
    total = len(steps)
    if max_points is None or total <= max_points:
        return MetricHistory(name, steps, stamps, values, total)
    return _downsample(name, steps, stamps, values, max_points)


def _downsample(
    name: str, steps: array[int], stamps: array[int], values: array[float], max_points: int
) -> MetricHistory:
    total = len(steps)
    buckets = max_points // 2
    keep: list[int] = []
    if not math.isnan(sum(values)):  # no NaN (nor both infinities): min/max over slices, 3x faster
        for b in range(buckets):
            lo, hi = b * total // buckets, (b + 1) * total // buckets
            if lo == hi:
                continue
            part = values[lo:hi]
            low, high = lo + part.index(min(part)), lo + part.index(max(part))
            keep.extend(sorted({low, high}))
        return _kept(name, steps, stamps, values, keep, total)
    nan_low = lambda i: math.inf if math.isnan(values[i]) else values[i]  # noqa: E731
    nan_high = lambda i: -math.inf if math.isnan(values[i]) else values[i]  # noqa: E731
    for b in range(buckets):
        lo, hi = b * total // buckets, (b + 1) * total // buckets
        if lo == hi:
            continue
        low, high = min(range(lo, hi), key=nan_low), max(range(lo, hi), key=nan_high)
        keep.extend(i for i in sorted({low, high}) if not math.isnan(values[i]))
    return _kept(name, steps, stamps, values, keep, total)


def _kept(
    name: str, steps: array[int], stamps: array[int], values: array[float], keep: list[int], total: int
) -> MetricHistory:
    return MetricHistory(
        name,
        array("q", (steps[i] for i in keep)),
        array("q", (stamps[i] for i in keep)),
        array("d", (values[i] for i in keep)),
        total,
    )
