"""Garbage collection of deleted runs and experiments (services.retention), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.entities.tracking import Run
from mlyard.core.errors import ValidationError
from mlyard.core.ids import utcnow
from mlyard.services import experiments, metrics, retention, run_changes, run_files, runs
from mlyard.services.platform import Platform
from mlyard.storage import BlobStore
from mlyard.store.experiments import ExperimentRow
from mlyard.store.metrics import JsonMetricRow, LatestMetricRow, MetricBatchRow, MetricChunkRow
from mlyard.store.runs import RunParamRow, RunPropertyRow, RunRow, RunTagRow

WS = ("sub1", "rg1", "ws1")
PER_RUN_TABLES = (
    RunTagRow, RunParamRow, RunPropertyRow, MetricChunkRow, LatestMetricRow, MetricBatchRow, JsonMetricRow,
)  # fmt: skip


def _run(p: Platform, experiment: str, *, parent: Run | None = None, points: int = 3) -> Run:
    """A run with a tag, a param, a property, ``points`` points of a metric, a table and a file."""
    if parent is None:
        made = runs.create_run(p, None, *WS, experiment, tags={"t": "1"}, properties={"p": "x"})
    else:
        made = runs.create_children(p, None, *WS, parent.id, tags={"t": "1"})[0]
    run_changes.log_params(p, *WS, made.id, {"lr": "0.1"})
    metrics.ingest(p, made, "b1", [MetricSeries("loss", list(range(points)), [0.5] * points, [1] * points)])
    metrics.log_json(p, made, "curve", "table", {"x": [1, 2]})
    run_files.upload(p, made, "outputs/model.bin", [b"12345"])
    return made


def _backdate_run(p: Platform, run: Run, days: float) -> None:
    run_changes.delete_run(p, *WS, run.id)
    with p.db.write() as session:
        session.execute(update(RunRow).where(RunRow.id == run.id).values(deleted_at=utcnow() - timedelta(days=days)))


def _backdate_experiment(p: Platform, name: str, days: float) -> None:
    experiments.delete_experiment(p, *WS, name)
    with p.db.write() as session:
        session.execute(
            update(ExperimentRow)
            .where(ExperimentRow.name_key == name.lower())
            .values(deleted_at=utcnow() - timedelta(days=days))
        )


def _rows(p: Platform, run_id: str) -> int:
    """Rows of any table that belong to the run (its own row included)."""
    with p.db.read() as session:
        total = int(session.scalar(select(func.count()).where(RunRow.id == run_id)) or 0)
        for table in PER_RUN_TABLES:
            total += int(session.scalar(select(func.count()).where(table.run_id == run_id)) or 0)
    return total


def _blobs(p: Platform, run: Run) -> int:
    return len(list(p.blobs.list(run_files.run_prefix(run))))


# One run file: one blob where the store keeps its digest on the file (an extended attribute),
# two where the digest is a sidecar (S3, file systems without extended attributes).
ONE_FILE = (1, 2)


def _counts(report: retention.GcReport) -> tuple[int, ...]:
    return (
        report.experiments, report.runs, report.metric_chunks, report.metric_points,
        report.json_metrics, report.files, report.file_bytes,
    )  # fmt: skip


def test_expired_runs_go_with_children_metrics_and_files(platform: Platform, ws: tuple[str, str, str]) -> None:
    old = _run(platform, "exp", points=4)
    child = _run(platform, "exp", parent=old)
    grandchild = _run(platform, "exp", parent=child)
    recent = _run(platform, "exp")
    live = _run(platform, "exp")
    _backdate_run(platform, old, 40)
    _backdate_run(platform, recent, 10)
    everything = [old, child, grandchild, recent, live]
    before = {r.id: _rows(platform, r.id) for r in everything}
    assert all(before.values()) and all(_blobs(platform, r) in ONE_FILE for r in everything)

    dry = retention.collect(platform, dry_run=True)
    assert dry.dry_run and not dry.failures
    # three runs, one chunk each, 4 + 3 + 3 points, a table each, one 5-byte file each
    assert _counts(dry) == (0, 3, 3, 10, 3, 3, 15)
    assert {r.id: _rows(platform, r.id) for r in everything} == before
    assert all(_blobs(platform, r) in ONE_FILE for r in everything)

    done = retention.collect(platform)
    assert not done.dry_run and not done.failures
    assert _counts(done) == _counts(dry)
    for gone in (old, child, grandchild):
        assert _rows(platform, gone.id) == 0 and _blobs(platform, gone) == 0
    for kept in (recent, live):
        assert _rows(platform, kept.id) == before[kept.id] and _blobs(platform, kept) in ONE_FILE
    assert experiments.get_experiment(platform, *WS, "exp").deleted_at is None
    assert _counts(retention.collect(platform)) == (0,) * 7

    # A shorter window reaches the recent one; the live run is never touched.
    assert retention.collect(platform, older_than=5).runs == 1
    assert _rows(platform, recent.id) == 0 and _rows(platform, live.id) == before[live.id]


def test_a_deleted_child_of_a_live_run_goes_alone(platform: Platform, ws: tuple[str, str, str]) -> None:
    parent = _run(platform, "exp")
    child = _run(platform, "exp", parent=parent)
    sibling = _run(platform, "exp", parent=parent)
    _backdate_run(platform, child, 31)
    report = retention.collect(platform)
    assert report.runs == 1 and report.experiments == 0
    assert _rows(platform, child.id) == 0 and _blobs(platform, child) == 0
    assert [r.id for r in runs.get_children(platform, *WS, parent.id)] == [sibling.id]


def test_expired_experiments_go_with_all_their_runs(platform: Platform, ws: tuple[str, str, str]) -> None:
    doomed = [_run(platform, "old-exp"), _run(platform, "old-exp")]
    doomed.append(_run(platform, "old-exp", parent=doomed[0]))
    _backdate_run(platform, doomed[1], 1)  # deleted recently itself, but its experiment long ago
    _backdate_experiment(platform, "old-exp", 45)
    young = _run(platform, "young-exp")
    _backdate_experiment(platform, "young-exp", 3)
    kept = _run(platform, "live-exp")

    dry = retention.collect(platform, dry_run=True)
    done = retention.collect(platform)
    assert _counts(done) == _counts(dry) and (done.experiments, done.runs) == (1, 3)
    assert all(_rows(platform, r.id) == 0 and _blobs(platform, r) == 0 for r in doomed)
    assert _rows(platform, young.id) and _rows(platform, kept.id)
    with platform.db.read() as session:
        names = set(session.scalars(select(ExperimentRow.name)))
    assert names == {"young-exp", "live-exp"}
    # The name is free again; the young experiment is still restorable with its run.
    assert experiments.get_or_create_experiment(platform, *WS, "old-exp").deleted_at is None
    experiments.restore_experiment(platform, *WS, "young-exp")
    assert runs.get_run(platform, *WS, young.id).deleted_at is None


def test_the_window_comes_from_settings_and_now(platform: Platform, ws: tuple[str, str, str]) -> None:
    run = _run(platform, "exp")
    _backdate_run(platform, run, 20)
    assert platform.settings.retention_days == 30
    assert retention.collect(platform).runs == 0
    assert retention.collect(platform, now=utcnow() + timedelta(days=11), dry_run=True).runs == 1
    shorter = dataclasses.replace(platform, settings=platform.settings.model_copy(update={"retention_days": 7}))
    report = retention.collect(shorter)
    assert report.runs == 1 and report.cutoff < utcnow() - timedelta(days=6)
    with pytest.raises(ValidationError, match="0 days or more"):
        retention.collect(platform, older_than=-1)


class _FailingBlobs:
    """The platform's blob store, except that deleting under ``broken`` fails."""

    def __init__(self, inner: BlobStore, broken: str) -> None:
        self.inner, self.broken = inner, broken

    def delete_prefix(self, prefix: str) -> int:
        if prefix.startswith(self.broken):
            raise OSError("the disk said no")
        return self.inner.delete_prefix(prefix)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def broken_child(platform: Platform, ws: tuple[str, str, str]) -> Iterator[tuple[Platform, Run, Run, Run]]:
    parent = _run(platform, "exp")
    child = _run(platform, "exp", parent=parent)
    other = _run(platform, "exp")
    _backdate_run(platform, parent, 40)
    _backdate_run(platform, other, 40)
    failing: Any = _FailingBlobs(platform.blobs, run_files.run_prefix(child))
    yield dataclasses.replace(platform, blobs=failing), parent, child, other


def test_files_that_cannot_be_deleted_keep_their_rows(broken_child: tuple[Platform, Run, Run, Run]) -> None:
    p, parent, child, other = broken_child
    report = retention.collect(p)
    assert [(f.run_id, "the disk said no" in f.message) for f in report.failures] == [(child.id, True)]
    assert report.runs == 1 and _rows(p, other.id) == 0
    # The child keeps its rows and files, and its parent (whose deletion would cascade) keeps its own.
    assert _rows(p, child.id) and _blobs(p, child) in ONE_FILE
    assert _rows(p, parent.id) and _blobs(p, parent) in ONE_FILE
    # Once the store works again, the next collection finishes the job.
    healed = dataclasses.replace(p, blobs=p.blobs.inner)  # type: ignore[attr-defined]
    assert retention.collect(healed).runs == 2
    assert _rows(p, parent.id) == 0 and _rows(p, child.id) == 0 and _blobs(p, child) == 0


def test_large_purges_go_page_by_page(
    platform: Platform, ws: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "PAGE", 3)
    parent = runs.create_run(platform, None, *WS, "exp")
    children = runs.create_children(platform, None, *WS, parent.id, count=7)
    loose = runs.create_runs(platform, None, *WS, "exp", count=5)
    # Expired children of an expired parent are counted once, with their parent.
    for run in [parent, *children[:4], *loose]:
        _backdate_run(platform, run, 40)
    in_old_experiment = runs.create_runs(platform, None, *WS, "old-exp", count=7)
    runs.create_children(platform, None, *WS, in_old_experiment[0].id, count=4)
    _backdate_experiment(platform, "old-exp", 40)
    dry = retention.collect(platform, dry_run=True)
    assert (dry.runs, dry.experiments) == (24, 1)
    assert _counts(retention.collect(platform)) == _counts(dry)
    assert all(_rows(platform, r.id) == 0 for r in [parent, *children, *loose, *in_old_experiment])
    with platform.db.read() as session:
        assert session.scalar(select(func.count()).select_from(RunRow)) == 0
