"""Logging through MLflow's API, by MLflow's rule for finished runs.

MLflow's server takes metrics, parameters and tags on a run whatever its status, and its client
resumes a finished run (``mlflow.start_run(run_id=...)``) by setting it back to RUNNING, then
FINISHED again at ``end_run``. The MLflow API does the same here, so that scripts written for
MLflow work unchanged. mlyard's own API keeps Azure ML's rule (a finished run refuses logging:
``RunNotWritable``), which :func:`mlyard.services.runs.ensure_writable` holds for it; a deleted
run refuses logging in both, as MLflow's server does too.

Parameters and metric points of one request are written in one transaction, under the run's row
lock; a parameter keeps its first value (another is INVALID_PARAMETER_VALUE, as in MLflow).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence

from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.entities.tracking import Run, RunStatus
from mlyard.core.errors import Conflict, RunNotFound, ValidationError
from mlyard.core.ids import utcnow
from mlyard.services import metrics
from mlyard.services.experiments import check_tags
from mlyard.services.platform import Platform
from mlyard.services.run_changes import MAX_PARAM_VALUE
from mlyard.services.runs import ensure_writable
from mlyard.store.runs import RunParamRow, TrackingRepository

_RETRIES = 5  # PostgreSQL: two batches of one run racing for the same chunk number


def log(p: Platform, run: Run, params: Mapping[str, str], series: Sequence[MetricSeries]) -> None:
    """Store ``params`` and the points of ``series`` on ``run``, finished or not (not deleted)."""
    checked = check_tags(params, target="params")
    for key, value in checked.items():
        if len(value) > MAX_PARAM_VALUE:
            raise ValidationError(f"Parameter '{key}' takes at most {MAX_PARAM_VALUE} characters.", target=key)
    batch_id = uuid.uuid4().hex  # each request is its own batch: MLflow's client never resends one
    prepared, total = metrics.prepare(batch_id, series) if series else ({}, 0)
    for attempt in range(_RETRIES):
        try:
            _write(p, run, checked, batch_id, prepared, total)
            return
        except Conflict:
            if attempt == _RETRIES - 1:
                raise
            time.sleep(0.01 * (attempt + 1))


def _write(
    p: Platform, run: Run, params: dict[str, str], batch_id: str, prepared: metrics.Prepared, total: int
) -> None:
    with p.db.write() as session:
        repo = TrackingRepository(session)
        locked = repo.get_run(run.workspace_id, run.id, for_update=True)
        if locked is None:
            raise RunNotFound(f"Run '{run.id}' was not found.", target="run_id")
        if locked.deleted_at is not None:
            ensure_writable(locked)  # says it was deleted, and how to restore it
        if params:
            held = repo.values(RunParamRow, run.id)
            for key, value in params.items():
                if key in held and held[key] != value:
                    raise ValidationError(
                        f"Run '{run.id}' already has parameter '{key}' = '{held[key][:100]}'; a parameter is "
                        "write-once: use another key (or a tag, which can change).",
                        target=key,
                    )
            repo.set_values(RunParamRow, run.id, {k: v for k, v in params.items() if k not in held})
        if prepared:
            metrics.store_in(session, run.id, batch_id, prepared, total)


def reopen(p: Platform, run: Run, status: RunStatus) -> None:
    """Move a finished run to ``status`` (RUNNING to resume it), as MLflow's ``update_run`` does;
    a deleted run is refused."""
    if run.deleted_at is not None:
        ensure_writable(run)  # says it was deleted, and how to restore it
    with p.db.write() as session:
        repo = TrackingRepository(session)
        now = utcnow()
        values: dict[str, object] = {"status": status.value, "ended_at": now if status.terminal else None}
        if run.started_at is None:
            values["started_at"] = now
        repo.update_run(run.id, **values)


__all__ = ["log", "reopen"]
