"""Experiments: named groups of runs in a workspace, created on first use as in Azure ML.

Archiving hides an experiment from default listings and refuses new runs until it is
reactivated; deleting is soft (``deleted_at``) and restorable, as in MLflow, and an experiment
of a deleted one's name cannot be made until that one is restored or its name freed by
garbage collection.

Listings carry each experiment's activity (run count, runs still going, last activity), read for
all listed experiments in one grouped query, and the names of the params, tags and metrics its
runs hold, which the studio's column picker offers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select

from mlyard.core.entities.tracking import TERMINAL_STATUSES, Experiment
from mlyard.core.errors import Conflict, ExperimentDeleted, ExperimentNotFound, ValidationError
from mlyard.core.ids import new_id, utcnow
from mlyard.core.names import NameRule
from mlyard.services.platform import Platform
from mlyard.services.workspaces import get_workspace
from mlyard.store.base import UTCDateTime
from mlyard.store.experiments import ExperimentRow
from mlyard.store.metrics import LatestMetricRow
from mlyard.store.runs import KEY_LENGTH, RunParamRow, RunRow, RunTagRow, TrackingRepository

# Azure's rule, with periods too (MLflow users name experiments 'project.task').
EXPERIMENT_NAME = NameRule(
    "experiment",
    1,
    255,
    re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*"),
    "use 1 to 255 letters, digits, underscores, hyphens or periods, starting with a letter or digit",
)
MAX_TAGS = 100
MAX_TAG_VALUE = 8000
MAX_KEYS = 1000  # names of each kind a column picker is offered; more would not fit a menu anyway


@dataclass(frozen=True)
class ExperimentActivity:
    """What an experiment's live runs (children included, deleted ones not) amount to."""

    run_count: int
    active_run_count: int  # not yet in a terminal status
    last_activity: datetime | None  # the latest end, start or creation of any run; None: no runs


@dataclass(frozen=True)
class RunKeys:
    """The names of the params, tags and metrics (latest values) that an experiment's runs hold."""

    params: list[str]
    tags: list[str]
    metrics: list[str]


def check_tags(tags: Mapping[str, object] | None, *, target: str = "tags") -> dict[str, str]:
    """Tags as str -> str: keys of 1 to 250 characters, values up to 8000 (MLflow's limits)."""
    if tags is None:
        return {}
    if not isinstance(tags, Mapping):
        raise ValidationError("Give tags as a mapping of names to values.", target=target)
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags at once ({len(tags)} given).", target=target)
    out: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= KEY_LENGTH:
            raise ValidationError(f"Tag name '{str(key)[:40]}' must be 1 to {KEY_LENGTH} characters.", target=target)
        text = "" if value is None else value if isinstance(value, str) else str(value)
        if len(text) > MAX_TAG_VALUE:
            raise ValidationError(
                f"The value of tag '{key}' has {len(text)} characters: at most {MAX_TAG_VALUE}.", target=target
            )
        out[key] = text
    return out


def _not_found(workspace: str, name: str) -> ExperimentNotFound:
    return ExperimentNotFound(
        f"Experiment '{name}' was not found in workspace '{workspace}': "
        "it is created by its first run (Experiment(ws, name).start_logging()) or by POST .../experiments.",
        target="experimentName",
    )


def get_experiment(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> Experiment:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        found = TrackingRepository(session).get_experiment(ws.id, name)
    if found is None:
        raise _not_found(ws.name, name)
    return found


def get_or_create_experiment(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    tags: Mapping[str, str] | None = None,
) -> Experiment:
    """The experiment ``name``, made (with ``tags``) when the workspace does not have it yet."""
    EXPERIMENT_NAME.check(name, target="experimentName")
    checked = check_tags(tags)
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    for _ in range(3):  # a concurrent creator of the same name wins; we then read its experiment
        with p.db.read() as session:
            found = TrackingRepository(session).get_experiment(ws.id, name, include_deleted=True)
        if found is not None:
            if found.deleted_at is not None:
                raise ExperimentDeleted(
                    f"Experiment '{found.name}' of workspace '{ws.name}' was deleted: restore it "
                    "(POST .../experiments/{name}/restore) or choose another name.",
                    target="experimentName",
                )
            return found
        now = utcnow()
        row = ExperimentRow(
            id=new_id(),
            workspace_id=ws.id,
            name=name,
            name_key=name.lower(),
            archived=False,
            tags=checked,
            created_at=now,
            updated_at=now,
            deleted_at=None,
        )
        try:
            with p.db.write() as session:
                return TrackingRepository(session).add_experiment(row)
        except Conflict:
            continue
    raise Conflict(f"Experiment '{name}' is being created by another request: try again.", target="experimentName")


def list_experiments(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, archived: bool | None = False
) -> list[Experiment]:
    """Active experiments by default; ``archived=True`` only archived ones, ``None`` both."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        return TrackingRepository(session).list_experiments(ws.id, archived)


def update_experiment(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    name: str,
    *,
    archived: bool | None = None,
    tags: Mapping[str, str] | None = None,
    remove_tags: Iterable[str] = (),
) -> Experiment:
    """Archive or reactivate, merge ``tags`` into the experiment's and drop ``remove_tags``."""
    checked = check_tags(tags)
    dropped = list(remove_tags)
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = TrackingRepository(session)
        found = repo.get_experiment(ws.id, name, for_update=True)
        if found is None:
            raise _not_found(ws.name, name)
        merged = {k: v for k, v in {**found.tags, **checked}.items() if k not in dropped}
        if len(merged) > MAX_TAGS:
            raise ValidationError(f"An experiment holds at most {MAX_TAGS} tags.", target="tags")
        values: dict[str, object] = {"tags": merged, "updated_at": utcnow()}
        if archived is not None:
            values["archived"] = archived
        repo.update_experiment(found.id, **values)
        updated = repo.get_experiment(ws.id, name)
    assert updated is not None  # read back in the same transaction
    return updated


def delete_experiment(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> Experiment:
    """Soft-delete: hidden from reads and listings, restorable, its runs kept with it."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = TrackingRepository(session)
        found = repo.get_experiment(ws.id, name, for_update=True)
        if found is None:
            raise _not_found(ws.name, name)
        now = utcnow()
        repo.update_experiment(found.id, deleted_at=now, updated_at=now)
    return Experiment(**{**found.__dict__, "deleted_at": now, "updated_at": now})


def restore_experiment(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> Experiment:
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.write() as session:
        repo = TrackingRepository(session)
        found = repo.get_experiment(ws.id, name, include_deleted=True, for_update=True)
        if found is None:
            raise _not_found(ws.name, name)
        if found.deleted_at is not None:
            repo.update_experiment(found.id, deleted_at=None, updated_at=utcnow())
        restored = repo.get_experiment(ws.id, name)
    assert restored is not None
    return restored


def experiment_activity(p: Platform, experiments: Sequence[Experiment]) -> dict[str, ExperimentActivity]:
    """Activity of each experiment by id, in one grouped query whatever their number (no N+1)."""
    ids = [e.id for e in experiments]
    out = {i: ExperimentActivity(0, 0, None) for i in ids}
    if not ids:
        return out
    terminal = [s.value for s in TERMINAL_STATUSES]
    # ended >= started >= created for every run, so the first that is set is the latest.
    latest = func.max(func.coalesce(RunRow.ended_at, RunRow.started_at, RunRow.created_at), type_=UTCDateTime())
    query = (
        select(
            RunRow.experiment_id,
            func.count(RunRow.id),
            func.sum(case((RunRow.status.in_(terminal), 0), else_=1)),
            latest,
        )
        .where(RunRow.experiment_id.in_(ids), RunRow.deleted_at.is_(None))
        .group_by(RunRow.experiment_id)
    )
    with p.db.read() as session:
        for experiment_id, count, active, last in session.execute(query):
            out[experiment_id] = ExperimentActivity(int(count), int(active or 0), last)
    return out


def run_keys(p: Platform, subscription_id: str, resource_group: str, workspace: str, name: str) -> RunKeys:
    """Sorted names of the params, tags and metrics of the experiment's live runs (each list capped
    at ``MAX_KEYS``), for choosing the columns of a runs table."""
    experiment = get_experiment(p, subscription_id, resource_group, workspace, name)
    live = select(RunRow.id).where(RunRow.experiment_id == experiment.id, RunRow.deleted_at.is_(None))
    found: list[list[str]] = []
    with p.db.read() as session:
        for table in (RunParamRow, RunTagRow, LatestMetricRow):
            query = select(table.key).where(table.run_id.in_(live)).distinct().order_by(table.key).limit(MAX_KEYS)
            found.append(list(session.scalars(query)))
    return RunKeys(params=found[0], tags=found[1], metrics=found[2])
