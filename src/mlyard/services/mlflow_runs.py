"""MLflow's run calls over the run services: create, read, update, tags, params, metrics,
batches, dataset inputs, search and metric histories, answered as :class:`RunView`.

Where MLflow's own server and mlyard's rules differ, mlyard's rules hold (docs/tracking.md):

- as on MLflow's server, a finished run takes metrics, parameters and tags and may change status
  again, so ``mlflow.start_run(run_id=...)`` resumes it (:mod:`mlflow_writes`); mlyard's own API
  refuses logging to a finished run (``RunNotWritable``), as Azure ML does. A deleted run refuses
  logging in both;
- start and end times are the server's clock, not the ``start_time``/``end_time`` a client sends;
- a parameter's value never changes: another value is INVALID_PARAMETER_VALUE, as in MLflow.

Dataset inputs (``log-inputs``) are kept as write-once run properties named
``mlflow.dataset.<hash>``, each holding the input as JSON; ``inputs.dataset_inputs`` answers them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlyard.core.entities.identity import Principal
from mlyard.core.entities.metrics import MetricSeries
from mlyard.core.entities.tracking import Run
from mlyard.core.errors import MetricNotFound, NotFound, RunTagNotFound, ValidationError
from mlyard.services import metrics, mlflow_writes, run_changes, run_search, runs
from mlyard.services.experiments import MAX_TAG_VALUE
from mlyard.services.mlflow_compat import (
    RUN_NAME_TAG,
    USER_TAG,
    RunView,
    check_run_id,
    find_experiment,
    our_status,
    principal_names,
    run_view,
    split_system_tags,
    translate_filter,
    translate_order_by,
)
from mlyard.services.platform import Platform

Where = tuple[str, str, str]  # subscription, resource group, workspace
DATASET_PREFIX = "mlflow.dataset."
MAX_HISTORY_PAGE = 25_000  # as MLflow's server


@dataclass(frozen=True)
class Point:
    """One metric point as MLflow sends it."""

    key: str
    value: float
    timestamp: int
    step: int


def view(p: Platform, run: Run) -> RunView:
    names = principal_names(p, [run.created_by])
    return run_view(run, metrics.latest(p, run).values(), names, datasets(run))


def datasets(run: Run) -> list[dict[str, Any]]:
    out = []
    for key, text in sorted(run.properties.items()):
        if key.startswith(DATASET_PREFIX):
            try:
                out.append(json.loads(text))
            except ValueError:
                continue
    return out


def create_run(
    p: Platform,
    actor: Principal | None,
    where: Where,
    *,
    experiment_id: str,
    run_name: str | None,
    tags: dict[str, str],
) -> RunView:
    experiment = find_experiment(p, *where, experiment_id)
    stored, tag_name, parent = split_system_tags(tags)
    if parent is not None:
        check_run_id(parent)
    made = runs.create_run(
        p, actor, *where, experiment.name, display_name=run_name or tag_name, tags=stored, parent_run_id=parent
    )
    return view(p, made)


def get_run(p: Platform, where: Where, run_id: str) -> RunView:
    check_run_id(run_id)
    return view(p, runs.get_run(p, *where, run_id))


def update_run(p: Platform, where: Where, run_id: str, *, status: str | None, run_name: str | None) -> RunView:
    """Status and name; a finished run may change status again, as on MLflow's server (that is how
    ``mlflow.start_run(run_id=...)`` resumes one; :mod:`mlflow_writes`)."""
    check_run_id(run_id)
    wanted = our_status(status) if status else None
    if wanted is not None:
        run = runs.get_run(p, *where, run_id)
        if run.status.terminal and wanted is not run.status:
            mlflow_writes.reopen(p, run, wanted)
            wanted = None
    changed = run_changes.update_run(p, *where, run_id, status=wanted, display_name=run_name or None)
    return view(p, changed)


def delete_run(p: Platform, where: Where, run_id: str) -> None:
    check_run_id(run_id)
    run_changes.delete_run(p, *where, run_id)


def restore_run(p: Platform, where: Where, run_id: str) -> None:
    check_run_id(run_id)
    run_changes.restore_run(p, *where, run_id)


def set_tags(p: Platform, where: Where, run_id: str, tags: dict[str, str]) -> None:
    """Tags, where ``mlflow.runName`` renames the run and ``mlflow.user`` is the run's creator's to keep."""
    check_run_id(run_id)
    name = tags.get(RUN_NAME_TAG)
    rest = {k: v for k, v in tags.items() if k not in (RUN_NAME_TAG, USER_TAG)}
    if name or rest:
        run_changes.update_run(p, *where, run_id, display_name=name or None, tags=rest)
    else:
        runs.get_run(p, *where, run_id)  # an unknown run is still a 404


def delete_tag(p: Platform, where: Where, run_id: str, key: str) -> None:
    check_run_id(run_id)
    run = runs.get_run(p, *where, run_id)
    if key not in run.tags:
        raise RunTagNotFound(f"Run '{run_id}' has no tag '{key}'.", target="key")
    run_changes.update_run(p, *where, run_id, remove_tags=[key])


def log_batch(
    p: Platform,
    where: Where,
    run_id: str,
    *,
    points: Sequence[Point] = (),
    params: Sequence[tuple[str, str]] = (),
    tags: Sequence[tuple[str, str]] = (),
) -> None:
    """Params, then metrics, then tags; everything is checked before the first write where it can be."""
    check_run_id(run_id)
    run = runs.get_run(p, *where, run_id)
    given: dict[str, str] = {}
    for key, value in params:
        if given.get(key, value) != value:
            raise ValidationError(f"Parameter '{key}' is given twice with different values.", target="params")
        given[key] = value
    for point in points:
        metrics.check_name(point.key)
    if points or given:
        series = [MetricSeries(m.key, [m.step], [m.value], [m.timestamp]) for m in points]
        mlflow_writes.log(p, run, given, series)  # finished runs too, as MLflow's server
    if tags:
        set_tags(p, where, run_id, dict(tags))


def log_inputs(p: Platform, where: Where, run_id: str, inputs: Sequence[dict[str, Any]]) -> None:
    """Keep each dataset input as a write-once property (its profile and schema dropped when too long)."""
    check_run_id(run_id)
    properties: dict[str, str] = {}
    for item in inputs:
        digest = hashlib.sha256(json.dumps(item, sort_keys=True).encode()).hexdigest()[:16]
        dataset = dict(item.get("dataset", {}))
        text = json.dumps({**item, "dataset": dataset})
        for optional in ("profile", "schema"):
            if len(text) > MAX_TAG_VALUE:
                dataset.pop(optional, None)
                text = json.dumps({**item, "dataset": dataset})
        if len(text) > MAX_TAG_VALUE:
            raise ValidationError(
                f"Dataset input '{dataset.get('name', '')}' takes {len(text)} characters of JSON even without "
                f"its schema and profile: at most {MAX_TAG_VALUE}.",
                target="datasets",
            )
        properties[DATASET_PREFIX + digest] = text
    if properties:
        run_changes.add_properties(p, *where, run_id, properties)
    else:
        runs.get_run(p, *where, run_id)


# -- search and history ---------------------------------------------------------------------


def search_runs(
    p: Platform,
    where: Where,
    *,
    experiment_ids: Sequence[str],
    filter: str | None,
    view_type: str,
    max_results: int,
    order_by: Sequence[str],
    page_token: str | None,
) -> tuple[list[RunView], str | None]:
    """One page; more than 1000 asked is answered 1000 at a time (MLflow's client follows the token)."""
    if max_results < 1:
        raise ValidationError("max_results must be a positive number.", target="max_results")
    names = []
    for experiment_id in dict.fromkeys(experiment_ids):
        try:
            experiment = find_experiment(p, *where, experiment_id)
        except NotFound:
            continue  # as MLflow's server: an unknown experiment holds no runs
        # The run search knows live experiments only: a deleted one's runs are not searched.
        if experiment.deleted_at is None:
            names.append(experiment.name)
    wanted = min(max_results, run_search.MAX_RESULTS)
    text = translate_filter(filter)
    order = translate_order_by(order_by) or ["attributes.start_time DESC"]
    found: list[run_search.FoundRun] = []
    cursor = page_token
    while True:
        # DELETED_ONLY keeps the deleted runs of each page; a page never asks more than is missing,
        # so the last page's token continues exactly after the runs answered.
        page = run_search.search_runs(
            p, *where, experiment_names=names, filter=text, order_by=order, max_results=wanted - len(found),
            cursor=cursor, include_deleted=view_type != "ACTIVE_ONLY",
        )  # fmt: skip
        found += [f for f in page.runs if view_type != "DELETED_ONLY" or f.run.deleted_at is not None]
        cursor = page.next_cursor
        if view_type != "DELETED_ONLY" or cursor is None or len(found) >= wanted:
            break
    people = principal_names(p, [f.run.created_by for f in found])
    return [run_view(f.run, f.metrics.values(), people, datasets(f.run)) for f in found], cursor


def _history_offset(token: str | None, run_id: str, key: str) -> int:
    if not token:
        return 0
    try:
        body = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, run, name = int(body["o"]), str(body["r"]), str(body["k"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationError("This page token is not one that a metric history gave.", target="page_token") from None
    if (run, name) != (run_id, key) or offset < 0:
        raise ValidationError("This page token belongs to another run or metric.", target="page_token")
    return offset


def metric_history(
    p: Platform, where: Where, run_id: str, key: str, *, max_results: int | None, page_token: str | None
) -> tuple[list[Point], str | None]:
    """The metric's points in step order; all of them, or pages of ``max_results`` (at most 25000)."""
    check_run_id(run_id)
    metrics.check_name(key)
    if max_results is not None and not 1 <= max_results <= MAX_HISTORY_PAGE:
        raise ValidationError(f"max_results must be 1 to {MAX_HISTORY_PAGE}.", target="max_results")
    run = runs.get_run(p, *where, run_id)
    start = _history_offset(page_token, run.id, key)
    try:
        h = metrics.history(p, run, key)
    except MetricNotFound:
        return [], None  # as MLflow: a metric never logged has an empty history
    end = h.total if max_results is None else min(start + max_results, h.total)
    points = [Point(key, h.values[i], h.timestamps[i], h.steps[i]) for i in range(start, end)]
    if end >= h.total:
        return points, None
    body = json.dumps({"o": end, "r": run.id, "k": key}).encode()
    return points, base64.urlsafe_b64encode(body).decode().rstrip("=")
