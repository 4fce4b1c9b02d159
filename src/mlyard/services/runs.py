"""Runs: create, read, list, change status, tags, write-once properties and parameters.

A run's number is its experiment's highest number plus one, taken inside the write
transaction: SQLite's ``BEGIN IMMEDIATE`` serializes writers, and on PostgreSQL the
experiment's row is locked first (and a lost race on the unique (experiment, number) is
retried). A finished run (Completed, Failed, Canceled) never changes status again, and
refuses logging (:func:`ensure_writable`); its tags still change, as Azure's do.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mlyard.core.entities.hierarchy import Workspace
from mlyard.core.entities.identity import Principal
from mlyard.core.entities.tracking import Run, RunPage, RunStatus, RunType
from mlyard.core.errors import (
    Conflict,
    ExperimentArchived,
    RunNotFound,
    RunNotWritable,
    ValidationError,
)
from mlyard.core.ids import utcnow
from mlyard.services.auth_cache import cache_of
from mlyard.services.experiments import check_tags, get_experiment, get_or_create_experiment
from mlyard.services.platform import Platform
from mlyard.services.races import next_number_retried
from mlyard.services.workspaces import get_workspace
from mlyard.store.runs import TrackingRepository

MAX_PAGE = 1000
MAX_CHILDREN = 1000
MAX_DISPLAY_NAME = 255


def new_run_id() -> str:
    """32 lowercase hex characters: a valid MLflow run id as well."""
    return uuid.uuid4().hex


# -- reading -------------------------------------------------------------------------------


def _run_not_found(workspace: str, run_id: str, what: str = "Run") -> RunNotFound:
    return RunNotFound(
        f"{what} '{run_id}' was not found in workspace '{workspace}': check the id (list runs with 'mlyard run list').",
        target="runId",
    )


def workspace_of(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> Workspace:
    """The workspace of a request's path, from the short cache of ``services/auth_cache.py``
    (a change to a workspace on this server empties it)."""
    return cache_of(p.db).get_or_load(
        "workspace",
        f"{subscription_id}\n{resource_group}\n{workspace}",
        lambda: get_workspace(p, subscription_id, resource_group, workspace),
    )


def get_run(p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str) -> Run:
    """The run ``run_id`` of the workspace, deleted or not (``deleted_at`` tells; a run of a
    deleted experiment is deleted with it)."""
    ws = workspace_of(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        found = TrackingRepository(session).get_run(ws.id, run_id)
    if found is None:
        raise _run_not_found(ws.name, run_id)
    return found


def get_run_record(p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str) -> Run:
    """As :func:`get_run`, without the run's tags, properties and parameters (left empty): one
    query, for the metrics routes, which need only the run's id, status and deletion."""
    ws = workspace_of(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        found = TrackingRepository(session).get_run_record(ws.id, run_id)
    if found is None:
        raise _run_not_found(ws.name, run_id)
    return found


def ensure_writable(run: Run) -> None:
    """Refuse logging to a finished or deleted run (RunNotWritable, 409)."""
    if run.deleted_at is not None:
        raise RunNotWritable(
            f"Run '{run.id}' was deleted, or its experiment '{run.experiment_name}' was: restore it "
            f"(POST .../runs/{run.id}/restore, or .../experiments/{run.experiment_name}/restore) before logging to it.",
            target="runId",
        )
    if run.status.terminal:
        raise RunNotWritable(
            f"Run '{run.id}' is {run.status.value}; logging to a finished run is refused: "
            "start a new run, or log before completing it.",
            target="runId",
        )


def _encode_cursor(run: Run, by_number: bool) -> str:
    key: dict[str, Any] = {"n": run.number} if by_number else {"t": run.created_at.isoformat(), "i": run.id}
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, by_number: bool) -> tuple[Any, ...]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if by_number:
            return (int(key["n"]),)
        return (datetime.fromisoformat(key["t"]), str(key["i"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationError(
            "This cursor is not one that this listing gave: list again without it.", target="cursor"
        ) from None


def list_runs(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    *,
    experiment_name: str | None = None,
    statuses: Sequence[RunStatus] = (),
    run_type: RunType | None = None,
    tags: Mapping[str, str | None] | None = None,
    properties: Mapping[str, str | None] | None = None,
    include_children: bool = False,
    parent_run_id: str | None = None,
    include_deleted: bool = False,
    cursor: str | None = None,
    top: int = 100,
) -> RunPage:
    """Newest first, one page at a time; ``next_cursor`` continues where this page ended.

    A tag or property filter of None matches any value of that key. Deleted runs, and the runs
    of deleted experiments, are left out unless ``include_deleted``.
    """
    if not 1 <= top <= MAX_PAGE:
        raise ValidationError(f"A page holds 1 to {MAX_PAGE} runs ({top} asked).", target="top")
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    experiment_id = None
    if experiment_name is not None:
        experiment_id = get_experiment(p, subscription_id, resource_group, workspace, experiment_name).id
    by_number = experiment_id is not None
    after = _decode_cursor(cursor, by_number) if cursor else None
    with p.db.read() as session:
        repo = TrackingRepository(session)
        if parent_run_id is not None and repo.get_run(ws.id, parent_run_id) is None:
            raise _run_not_found(ws.name, parent_run_id)
        runs = repo.list_runs(
            ws.id,
            experiment_id=experiment_id,
            parent_run_id=parent_run_id,
            include_children=include_children,
            statuses=statuses,
            run_type=run_type,
            tags=tags,
            properties=properties,
            include_deleted=include_deleted,
            after=after,
            limit=top + 1,  # one more tells whether another page exists
        )
    more = len(runs) > top
    runs = runs[:top]
    return RunPage(runs, _encode_cursor(runs[-1], by_number) if more and runs else None)


def get_children(p: Platform, subscription_id: str, resource_group: str, workspace: str, run_id: str) -> list[Run]:
    """Every direct child of the run, newest first."""
    out: list[Run] = []
    cursor: str | None = None
    while True:
        page = list_runs(
            p, subscription_id, resource_group, workspace, parent_run_id=run_id, cursor=cursor, top=MAX_PAGE
        )
        out += page.runs
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


# -- creating ------------------------------------------------------------------------------


def _check_display_name(name: str | None) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or len(name) > MAX_DISPLAY_NAME or any(ord(c) < 32 for c in name):
        raise ValidationError(
            f"A run's display name takes up to {MAX_DISPLAY_NAME} printable characters.", target="displayName"
        )
    return name


def create_runs(
    p: Platform,
    actor: Principal | None,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    experiment_name: str,
    *,
    count: int = 1,
    display_names: Sequence[str | None] = (),
    tags: Mapping[str, str] | None = None,
    properties: Mapping[str, str] | None = None,
    parent_run_id: str | None = None,
    run_type: RunType = RunType.INTERACTIVE,
    status: RunStatus = RunStatus.RUNNING,
) -> list[Run]:
    """``count`` runs with consecutive numbers, made in one transaction (the experiment is
    created when missing). An interactive run starts Running, with ``started_at`` now."""
    if not 1 <= count <= MAX_CHILDREN:
        raise ValidationError(f"Create 1 to {MAX_CHILDREN} runs at once ({count} asked).", target="count")
    names = [_check_display_name(n) for n in display_names] + [None] * (count - len(display_names))
    checked_tags = check_tags(tags)
    checked_props = check_tags(properties, target="properties")
    experiment = get_or_create_experiment(p, subscription_id, resource_group, workspace, experiment_name)
    if experiment.archived:
        raise ExperimentArchived(
            f"Experiment '{experiment.name}' is archived: reactivate it (exp.reactivate() or "
            f"'mlyard experiment reactivate -n {experiment.name}') before starting runs in it.",
            target="experimentName",
        )
    return next_number_retried(
        lambda: _insert_runs(
            p, actor, experiment.workspace_id, experiment.id, names[:count], checked_tags, checked_props,
            parent_run_id, run_type, status, workspace,
        )
    )  # fmt: skip


def _insert_runs(
    p: Platform,
    actor: Principal | None,
    workspace_id: str,
    experiment_id: str,
    names: list[str | None],
    tags: dict[str, str],
    properties: dict[str, str],
    parent_run_id: str | None,
    run_type: RunType,
    status: RunStatus,
    workspace: str,
) -> list[Run]:
    now = utcnow()
    with p.db.write() as session:
        repo = TrackingRepository(session)
        experiment = repo.lock_experiment(experiment_id)
        if experiment is None:
            raise Conflict("The experiment was deleted while the run was being created: try again.")
        experiment_name = experiment.name
        if parent_run_id is not None:
            parent = repo.get_run(workspace_id, parent_run_id)
            if parent is None:
                raise _run_not_found(workspace, parent_run_id, "Parent run")
            # Children live in their parent's experiment.
            experiment_id, experiment_name = parent.experiment_id, parent.experiment_name
        number = repo.next_run_number(experiment_id)
        made = [
            Run(
                id=new_run_id(),
                workspace_id=workspace_id,
                experiment_id=experiment_id,
                experiment_name=experiment_name,
                number=number + offset,
                display_name=name,
                status=status,
                run_type=run_type,
                parent_run_id=parent_run_id,
                created_by=actor.id if actor is not None else None,
                created_at=now,
                started_at=now if status is RunStatus.RUNNING else None,
                ended_at=None,
                tags=dict(sorted(tags.items())),
                properties=dict(sorted(properties.items())),
                params={},
            )
            for offset, name in enumerate(names)
        ]
        for run in made:
            repo.add_run(run)
        return made  # the values just written, not read back


def create_run(
    p: Platform,
    actor: Principal | None,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    experiment_name: str,
    *,
    display_name: str | None = None,
    tags: Mapping[str, str] | None = None,
    properties: Mapping[str, str] | None = None,
    parent_run_id: str | None = None,
    run_type: RunType = RunType.INTERACTIVE,
) -> Run:
    """One interactive run (Running from now), its experiment made when missing."""
    return create_runs(
        p, actor, subscription_id, resource_group, workspace, experiment_name,
        display_names=[display_name], tags=tags, properties=properties,
        parent_run_id=parent_run_id, run_type=run_type,
    )[0]  # fmt: skip


def create_children(
    p: Platform,
    actor: Principal | None,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    parent_run_id: str,
    *,
    count: int = 1,
    display_names: Sequence[str | None] = (),
    tags: Mapping[str, str] | None = None,
) -> list[Run]:
    """``count`` child runs of the parent, in its experiment; the parent must be unfinished."""
    parent = get_run(p, subscription_id, resource_group, workspace, parent_run_id)
    ensure_writable(parent)
    return create_runs(
        p, actor, subscription_id, resource_group, workspace, parent.experiment_name,
        count=count, display_names=display_names, tags=tags, parent_run_id=parent.id,
    )  # fmt: skip
