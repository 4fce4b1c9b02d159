"""Changing runs: status transitions, display name, tags, write-once properties and
parameters, soft deletion and restore.

A finished run never changes status again (repeating its final status is a no-op, so that a
retried ``complete()`` succeeds); its tags still change, as Azure's do. Properties and
parameters are write-once: the same value again is fine, another value is a 409 naming the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from mlyard.core.entities.tracking import Run, RunStatus
from mlyard.core.errors import ExperimentDeleted, PropertyAlreadySet, ValidationError
from mlyard.core.ids import utcnow
from mlyard.services.experiments import check_tags
from mlyard.services.platform import Platform
from mlyard.services.runs import _check_display_name, _run_not_found, ensure_writable
from mlyard.services.workspaces import get_workspace
from mlyard.store.runs import RunParamRow, RunPropertyRow, RunTagRow, TrackingRepository

MAX_PARAM_VALUE = 6000
MAX_ERROR_BYTES = 64 * 1024


def check_error(error: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if error is None:
        return None
    if not isinstance(error, Mapping):
        raise ValidationError("A run's error is an object such as {'code': ..., 'message': ...}.", target="error")
    try:
        size = len(json.dumps(error))
    except (TypeError, ValueError):
        raise ValidationError("A run's error must be plain JSON.", target="error") from None
    if size > MAX_ERROR_BYTES:
        raise ValidationError(f"A run's error takes at most {MAX_ERROR_BYTES} bytes of JSON.", target="error")
    return dict(error)


def check_params(params: Mapping[str, object]) -> dict[str, str]:
    """Parameters as stored: values as text, up to MAX_PARAM_VALUE characters each."""
    checked = check_tags(params, target="params")
    for key, value in checked.items():
        if len(value) > MAX_PARAM_VALUE:
            raise ValidationError(f"Parameter '{key}' takes at most {MAX_PARAM_VALUE} characters.", target=key)
    return checked


def update_run(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    run_id: str,
    *,
    status: RunStatus | None = None,
    error: Mapping[str, Any] | None = None,
    display_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    remove_tags: Iterable[str] = (),
) -> Run:
    """Change status (a finished run never changes again; repeating its final status is a
    no-op, so that a retried ``complete()`` succeeds), error, display name and tags."""
    checked_tags = check_tags(tags)
    checked_error = check_error(error)
    name = _check_display_name(display_name)
    dropped = list(remove_tags)
    if checked_error is not None and status is not RunStatus.FAILED:
        raise ValidationError("An error is recorded only with the status Failed.", target="error")
    if status is RunStatus.NOT_STARTED:
        raise ValidationError("A run cannot go back to NotStarted.", target="status")
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = TrackingRepository(session)
        run = repo.get_run(ws.id, run_id, for_update=True)
        if run is None:
            raise _run_not_found(ws.name, run_id)
        values: dict[str, Any] = {}
        if status is not None and status is not run.status:
            if run.deleted_at is not None or run.status.terminal:
                ensure_writable(run)
            now = utcnow()
            values["status"] = status.value
            if status is RunStatus.RUNNING and run.started_at is None:
                values["started_at"] = now
            if status.terminal:
                values["ended_at"] = now
            if checked_error is not None:
                values["error"] = checked_error
        if name is not None:
            values["display_name"] = name
        if values:
            repo.update_run(run.id, **values)
        repo.remove_values(RunTagRow, run.id, dropped)
        repo.set_values(RunTagRow, run.id, checked_tags)
        updated = repo.get_run(ws.id, run.id)
    assert updated is not None
    return updated


def _write_once(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    run_id: str,
    values: Mapping[str, str],
    table: type[RunPropertyRow] | type[RunParamRow],
    noun: str,
) -> Run:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = TrackingRepository(session)
        run = repo.get_run(ws.id, run_id, for_update=True)
        if run is None:
            raise _run_not_found(ws.name, run_id)
        if table is RunParamRow:
            ensure_writable(run)
        held = repo.values(table, run.id)
        for key, value in values.items():
            if key in held and held[key] != value:
                raise PropertyAlreadySet(
                    f"Run '{run.id}' already has {noun} '{key}' = '{held[key][:100]}'; a {noun} is write-once: "
                    f"use another key (or a tag, which can change).",
                    target=key,
                )
        repo.set_values(table, run.id, {k: v for k, v in values.items() if k not in held})
        updated = repo.get_run(ws.id, run.id)
    assert updated is not None
    return updated


def add_properties(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str, properties: Mapping[str, str]
) -> Run:
    """Add write-once properties: a key already set to the same value is fine; another value is a 409."""
    checked = check_tags(properties, target="properties")
    return _write_once(p, subscription_id, resource_group, workspace, run_id, checked, RunPropertyRow, "property")


def log_params(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str, params: Mapping[str, object]
) -> Run:
    """Log parameters as MLflow does: write-once, values as text (up to 6000 characters)."""
    checked = check_params(params)
    return _write_once(p, subscription_id, resource_group, workspace, run_id, checked, RunParamRow, "parameter")


def delete_run(p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str) -> Run:
    """Soft-delete: hidden from listings, refused for logging, restorable."""
    return _set_deleted(p, subscription_id, resource_group, workspace, run_id, utcnow())


def restore_run(p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str) -> Run:
    return _set_deleted(p, subscription_id, resource_group, workspace, run_id, None)


def _set_deleted(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str, when: datetime | None
) -> Run:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = TrackingRepository(session)
        run = repo.get_run(ws.id, run_id, for_update=True)
        if run is None:
            raise _run_not_found(ws.name, run_id)
        own, experiment_deleted = repo.deletion_times(run.id)
        if when is None and experiment_deleted is not None:
            raise ExperimentDeleted(
                f"Run '{run.id}' belongs to experiment '{run.experiment_name}', which was deleted: restore the "
                f"experiment (POST .../experiments/{run.experiment_name}/restore) and its runs come back with it.",
                target="runId",
            )
        # The run's own mark, not the experiment's: it decides whether the run returns with it.
        if (own is None) != (when is None):
            repo.update_run(run.id, deleted_at=when)
        updated = repo.get_run(ws.id, run.id)
    assert updated is not None
    return updated
