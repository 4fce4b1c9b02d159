"""Run metrics through their service, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from sqlalchemy import delete, func, select

from mlyard.core.entities.identity import Principal
from mlyard.core.entities.metrics import JsonMetricKind, MetricSeries
from mlyard.core.entities.tracking import Run, RunStatus
from mlyard.core.errors import MetricNotFound, RunNotWritable, ValidationError
from mlyard.services import metrics, runs, subscriptions, workspaces
from mlyard.services.platform import Platform
from mlyard.store.metrics import JsonMetricRow, LatestMetricRow, MetricBatchRow, MetricChunkRow
from mlyard.store.runs import RunRow

T0 = 1_700_000_000_000


@pytest.fixture
def run(platform: Platform, admin: Principal) -> Run:
    subscriptions.create_subscription(platform, admin, "sub1")
    subscriptions.create_resource_group(platform, admin, "sub1", "rg1")
    workspaces.create_workspace(platform, admin, "sub1", "rg1", "ws1")
    return runs.create_run(platform, admin, "sub1", "rg1", "ws1", "exp")


def series(name: str, steps: list[int], values: list[float], stamps: list[int] | None = None) -> MetricSeries:
    return MetricSeries(name, steps, values, stamps if stamps is not None else [T0 + s for s in steps])


def count(platform: Platform, table: type[MetricChunkRow] | type[MetricBatchRow] | type[JsonMetricRow]) -> int:
    with platform.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_large_series_is_chunked_and_read_back_exactly(platform: Platform, run: Run) -> None:
    n = 25_000
    values = [i * 0.5 - 3.25 for i in range(n)]
    result = metrics.ingest(platform, run, "b1", [series("loss", list(range(n)), values)])
    assert (result.points, result.duplicate) == (n, False)
    assert count(platform, MetricChunkRow) == math.ceil(n / metrics.CHUNK_POINTS)
    h = metrics.history(platform, run, "loss")
    assert list(h.steps) == list(range(n)) and list(h.values) == values
    assert list(h.timestamps) == [T0 + i for i in range(n)]
    assert (h.total, h.downsampled) == (n, False)


def test_history_is_in_step_then_timestamp_order_across_batches(platform: Platform, run: Run) -> None:
    metrics.ingest(platform, run, "b1", [series("acc", [5, 3, 4], [0.5, 0.3, 0.4])])
    metrics.ingest(platform, run, "b2", [series("acc", [1, 4, 2], [0.1, 0.41, 0.2], [T0, T0 + 100, T0])])
    h = metrics.history(platform, run, "acc")
    assert list(h.steps) == [1, 2, 3, 4, 4, 5]
    assert list(h.values) == [0.1, 0.2, 0.3, 0.4, 0.41, 0.5]


def test_nan_and_infinities_are_kept_exactly(platform: Platform, run: Run) -> None:
    values = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308]
    metrics.ingest(platform, run, "b1", [series("odd", list(range(6)), values)])
    got = list(metrics.history(platform, run, "odd").values)
    assert math.isnan(got[0]) and got[1:3] == [math.inf, -math.inf]
    assert math.copysign(1, got[3]) == -1 and got[4:] == values[4:]
    assert math.isnan(metrics.latest(platform, run)["odd"].value) is False
    metrics.ingest(platform, run, "b2", [series("odd", [9], [math.nan])])
    assert math.isnan(metrics.latest(platform, run)["odd"].value)


def test_latest_is_the_greatest_step_then_the_greatest_timestamp(platform: Platform, run: Run) -> None:
    metrics.ingest(platform, run, "b1", [series("m", [10, 2], [1.0, 2.0])])
    metrics.ingest(platform, run, "b2", [series("m", [3], [3.0])])  # a lower step logged later
    latest = metrics.latest(platform, run)["m"]
    assert (latest.value, latest.step, latest.count) == (1.0, 10, 3)
    metrics.ingest(platform, run, "b3", [series("m", [10], [4.0], [T0 + 999])])
    latest = metrics.latest(platform, run)["m"]
    assert (latest.value, latest.step, latest.count) == (4.0, 10, 4)
    assert latest.timestamp.timestamp() * 1000 == T0 + 999
    metrics.ingest(platform, run, "b4", [series("m", [10], [5.0], [T0])])  # same step, older timestamp
    assert metrics.latest(platform, run)["m"].value == 4.0


def test_a_repeated_batch_id_is_stored_once(platform: Platform, run: Run) -> None:
    batch = [series("m", [0, 1], [1.0, 2.0]), series("n", [0], [7.0])]
    assert metrics.ingest(platform, run, "same", batch).duplicate is False
    again = metrics.ingest(platform, run, "same", batch)
    assert (again.duplicate, again.batch_id) == (True, "same")
    assert list(metrics.history(platform, run, "m").values) == [1.0, 2.0]
    assert metrics.latest(platform, run)["m"].count == 2
    assert count(platform, MetricBatchRow) == 1


def test_a_finished_run_refuses_points(platform: Platform, run: Run) -> None:
    done = replace(run, status=RunStatus.COMPLETED)
    with pytest.raises(RunNotWritable, match="Completed"):
        metrics.ingest(platform, done, "b1", [series("m", [0], [1.0])])
    with pytest.raises(RunNotWritable):
        metrics.log_json(platform, done, "l", "list", [1, 2])
    assert count(platform, MetricChunkRow) == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (series("", [0], [1.0]), "non-empty"),
        (series("x" * 251, [0], [1.0]), "at most 250"),
        (series("a\nb", [0], [1.0]), "control character"),
        (MetricSeries("m", [0, 1], [1.0], [T0, T0]), "equal length"),
        (MetricSeries("m", [1.5], [1.0], [T0]), "integer within int64"),
        (MetricSeries("m", [2**63], [1.0], [T0]), "integer within int64"),
        (MetricSeries("m", [True], [1.0], [T0]), "not booleans"),
        (MetricSeries("m", [0], ["high"], [T0]), "must be a number"),  # type: ignore[list-item]
    ],
)
def test_bad_input_is_refused_and_keeps_earlier_points(
    platform: Platform, run: Run, bad: MetricSeries, message: str
) -> None:
    metrics.ingest(platform, run, "good", [series("m", [0], [1.0])])
    with pytest.raises(ValidationError, match=message):
        metrics.ingest(platform, run, "bad", [series("m", [1], [2.0]), bad])
    assert list(metrics.history(platform, run, "m").values) == [1.0]
    assert count(platform, MetricBatchRow) == 1


def test_a_batch_over_the_limit_names_the_limit(platform: Platform, run: Run) -> None:
    n = metrics.MAX_BATCH_POINTS + 1
    with pytest.raises(ValidationError, match=f"at most {metrics.MAX_BATCH_POINTS} points"):
        metrics.ingest(platform, run, "big", [series("m", list(range(n)), [0.0] * n)])


def test_downsampling_keeps_each_buckets_min_and_max(platform: Platform, run: Run) -> None:
    n = 10_000
    values = [float(i % 7) for i in range(n)]
    values[4321], values[8765] = 1e6, -1e6  # spikes
    values[100] = math.nan
    metrics.ingest(platform, run, "b1", [series("m", list(range(n)), values)])
    h = metrics.history(platform, run, "m", max_points=100)
    assert h.downsampled and h.total == n and len(h.steps) <= 100
    assert 1e6 in h.values and -1e6 in h.values
    assert list(h.steps) == sorted(h.steps)
    assert all(values[s] == v for s, v in zip(h.steps, h.values, strict=True))
    assert metrics.history(platform, run, "m", max_points=n).downsampled is False
    with pytest.raises(ValidationError, match="at least 2"):
        metrics.history(platform, run, "m", max_points=1)


def test_an_unknown_metric_is_not_found(platform: Platform, run: Run) -> None:
    with pytest.raises(MetricNotFound, match="no metric 'nope'"):
        metrics.history(platform, run, "nope")


def test_json_metrics_and_names(platform: Platform, run: Run) -> None:
    metrics.log_json(platform, run, "rows", JsonMetricKind.ROW, {"a": 1, "b": "x"})
    metrics.log_json(platform, run, "rows", "row", {"a": 2, "b": "y"})
    metrics.log_json(platform, run, "cm", "confusion_matrix", {"data": [[1, 0], [0, 1]]})
    metrics.ingest(platform, run, "b1", [series("loss", [0], [1.0])])
    got = metrics.json_metrics(platform, run)
    assert [(m.name, m.kind, m.step, m.value) for m in got] == [
        ("cm", JsonMetricKind.CONFUSION_MATRIX, 0, {"data": [[1, 0], [0, 1]]}),
        ("rows", JsonMetricKind.ROW, 0, {"a": 1, "b": "x"}),
        ("rows", JsonMetricKind.ROW, 1, {"a": 2, "b": "y"}),
    ]
    assert metrics.list_names(platform, run) == ["cm", "loss", "rows"]
    with pytest.raises(ValidationError, match="unknown kind"):
        metrics.log_json(platform, run, "x", "chart", [1])
    with pytest.raises(ValidationError, match="must be JSON"):
        metrics.log_json(platform, run, "x", "list", [math.nan])


def test_deleting_a_run_removes_its_metrics(platform: Platform, run: Run) -> None:
    metrics.ingest(platform, run, "b1", [series("m", [0, 1], [1.0, 2.0])])
    metrics.log_json(platform, run, "l", "list", [1, 2])
    with platform.db.write() as session:
        session.execute(delete(RunRow).where(RunRow.id == run.id))
    for table in (MetricChunkRow, MetricBatchRow, JsonMetricRow):
        assert count(platform, table) == 0
    with platform.db.read() as session:
        assert session.scalar(select(func.count()).select_from(LatestMetricRow)) == 0
