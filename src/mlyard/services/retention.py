"""Retention: deleted runs and experiments are purged for good once older than the window.

Deleting a run or an experiment is soft and restorable (``deleted_at``). :func:`collect`
removes for good the runs deleted more than ``settings.retention_days`` ago, and the
experiments deleted that long ago together with all their runs, deleted or not. A purged run
takes its children with it (whatever their own state), its tags, parameters and properties,
its metric data, and its files in the blob store.

Expired experiments go first, their top-level runs by number; then the other deleted runs,
oldest first (an index on (deleted_at, id) keeps each page from reading every run). The work
goes a page of runs at a time (:data:`PAGE` ids), each page in its own short write transaction
and children before their parents, so that neither a transaction nor memory grows with the
size of the purge, and no foreign key cascades through a whole tree at once. A page's
files go first and its rows after them: a run whose files could not be deleted keeps its rows
(and so do its ancestors and its experiment, whose deletion would cascade over them); it is
reported in ``failures`` and tried again by the next collection.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from mlyard.core.entities.tracking import Run
from mlyard.core.errors import ValidationError
from mlyard.core.ids import utcnow
from mlyard.services import run_files
from mlyard.services.platform import Platform
from mlyard.store.metrics import MetricsRepository
from mlyard.store.runs import TrackingRepository

log = logging.getLogger(__name__)

PAGE = 500


@dataclass(frozen=True)
class GcFailure:
    """A run that was not purged, and why; the next collection tries it again."""

    run_id: str
    workspace_id: str
    message: str


@dataclass(frozen=True)
class GcReport:
    """What a collection removed (or, for a dry run, would remove)."""

    dry_run: bool
    cutoff: datetime  # things deleted before this went
    experiments: int = 0
    runs: int = 0
    metric_chunks: int = 0
    metric_points: int = 0
    json_metrics: int = 0
    files: int = 0
    file_bytes: int = 0
    failures: tuple[GcFailure, ...] = ()


def collect(
    p: Platform, *, now: datetime | None = None, older_than: float | None = None, dry_run: bool = False
) -> GcReport:
    """Purge the runs and experiments deleted more than ``older_than`` days before ``now``
    (default: the ``retention_days`` setting before the present). A dry run removes nothing and
    reports what a collection would remove."""
    days = p.settings.retention_days if older_than is None else older_than
    if days < 0:
        raise ValidationError(
            f"Keep deleted runs for 0 days or more ({days} given): 0 purges everything deleted so far.",
            target="olderThan",
        )
    collector = _Collector(p, (now or utcnow()) - timedelta(days=days), dry_run)
    collector.collect_experiments()
    collector.collect_runs()
    report = collector.report()
    log.info(
        "garbage collection%s: %d experiments, %d runs, %d metric points, %d files (%d bytes), %d failures",
        " (dry run)" if dry_run else "", report.experiments, report.runs, report.metric_points,
        report.files, report.file_bytes, len(report.failures),
    )  # fmt: skip
    return report


@dataclass
class _Collector:
    p: Platform
    cutoff: datetime
    dry_run: bool
    experiments: int = 0
    runs: int = 0
    metric_chunks: int = 0
    metric_points: int = 0
    json_metrics: int = 0
    files: int = 0
    file_bytes: int = 0
    failures: list[GcFailure] = field(default_factory=list)

    def report(self) -> GcReport:
        return GcReport(
            self.dry_run, self.cutoff, self.experiments, self.runs, self.metric_chunks, self.metric_points,
            self.json_metrics, self.files, self.file_bytes, tuple(self.failures),
        )  # fmt: skip

    def _add(self, **amounts: int) -> None:
        for name, amount in amounts.items():
            setattr(self, name, getattr(self, name) + amount)

    def _session(self) -> AbstractContextManager[Session]:
        return self.p.db.read() if self.dry_run else self.p.db.write()

    # what expired

    def collect_experiments(self) -> None:
        """Expired experiments with all their runs (a dry run counts them all, as all their runs would go)."""
        after = ""
        while True:
            with self.p.db.read() as session:
                ids = TrackingRepository(session).expired_experiments(self.cutoff, after=after, limit=PAGE)
            if not ids:
                return
            after = ids[-1]
            for experiment_id in ids:
                self._purge_experiment_runs(experiment_id)
            if self.dry_run:
                self._add(experiments=len(ids))
                continue
            with self.p.db.write() as session:
                self._add(experiments=TrackingRepository(session).delete_empty_experiments(ids, self.cutoff))

    def _purge_experiment_runs(self, experiment_id: str) -> None:
        after = 0
        while True:
            with self.p.db.read() as session:
                found = TrackingRepository(session).top_level_runs(experiment_id, after=after, limit=PAGE)
            if not found:
                return
            after = found[-1][0]
            self._purge([run_id for _, run_id in found], top=True)

    def collect_runs(self) -> None:
        """Runs deleted before the cutoff in the other experiments, oldest first; one under an
        expired ancestor goes with that ancestor."""
        after: tuple[datetime, str] | None = None
        while True:
            with self.p.db.read() as session:
                repo = TrackingRepository(session)
                found = repo.deleted_runs(self.cutoff, after=after, limit=PAGE)
                if not found:
                    return
                inside = _under_expired_ancestor(repo, [(i, parent) for _, i, parent in found], self.cutoff)
            after = found[-1][:2]
            roots = [run_id for _, run_id, _ in found if run_id not in inside]
            if roots:
                self._purge(roots, top=True)

    # purging a page of runs, their descendants first

    def _purge_children(self, parent_run_id: str) -> bool:
        """Purge every child of the run (with theirs); answer whether none stayed."""
        after = ""
        complete = True
        while True:
            with self.p.db.read() as session:
                ids = TrackingRepository(session).child_ids(parent_run_id, after=after, limit=PAGE)
            if not ids:
                return complete
            after = ids[-1]
            if self._purge(ids, top=False):
                complete = False

    def _purge(self, run_ids: Collection[str], *, top: bool) -> set[str]:
        """Purge the runs, their descendants first; answer the ids that stay (a descendant's or
        their own files could not be deleted)."""
        with self.p.db.read() as session:
            with_children = TrackingRepository(session).with_children(run_ids)
        kept = {run_id for run_id in sorted(with_children) if not self._purge_children(run_id)}
        with self.p.db.read() as session:
            runs = TrackingRepository(session).runs_by_id([i for i in run_ids if i not in kept])
        gone = []
        for run in runs:
            if self._remove_files(run):
                gone.append(run.id)
            else:
                kept.add(run.id)
        if not gone:
            return kept
        with self._session() as session:
            repo = TrackingRepository(session)
            if top:
                # Restored since it was found: its children and files are gone, its row stays.
                still = repo.expired_among(gone, self.cutoff)
                for run in runs:
                    if run.id not in still and run.id not in kept:
                        self._fail(run, "it was restored while being collected; its files and children were removed")
                gone = [run_id for run_id in gone if run_id in still]
            metrics = MetricsRepository(session)
            totals = metrics.totals(gone)
            if not self.dry_run:
                metrics.delete_metrics(gone)
                repo.delete_runs(gone)
        self._add(
            runs=len(gone), metric_chunks=totals.chunks, metric_points=totals.points, json_metrics=totals.json_metrics
        )
        return kept

    def _remove_files(self, run: Run) -> bool:
        """Delete (or, dry, only count) the run's files; answer whether that worked."""
        prefix = run_files.run_prefix(run)
        count = size = 0
        try:
            for blob in self.p.blobs.list(prefix):
                if blob.key.startswith(f"{prefix}/files/"):  # not the digests beside them
                    count += 1
                    size += blob.size
            if not self.dry_run:
                run_files.delete_all(self.p, run)
        except Exception as exc:  # whatever the store raises, the rows must outlive the files
            what = "listed" if self.dry_run else "deleted"
            self._fail(run, f"its files could not be {what} ({type(exc).__name__}: {exc})")
            return False
        self._add(files=count, file_bytes=size)
        return True

    def _fail(self, run: Run, why: str) -> None:
        log.warning("garbage collection kept run %s of workspace %s: %s", run.id, run.workspace_id, why)
        self.failures.append(GcFailure(run.id, run.workspace_id, why))


def _under_expired_ancestor(
    repo: TrackingRepository, found: list[tuple[str, str | None]], cutoff: datetime
) -> set[str]:
    """Those of the runs that have an expired ancestor, walking up one generation per query."""
    pending = {run_id: parent for run_id, parent in found if parent is not None}
    inside: set[str] = set()
    while pending:
        ancestors = set(pending.values())
        expired = repo.expired_among(ancestors, cutoff)
        above = repo.parents(ancestors - expired)
        next_pending: dict[str, str] = {}
        for run_id, ancestor in pending.items():
            if ancestor in expired:
                inside.add(run_id)
            elif (grandparent := above.get(ancestor)) is not None:
                next_pending[run_id] = grandparent
        pending = next_pending
    return inside
