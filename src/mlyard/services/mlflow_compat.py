"""MLflow's view of mlyard's run history: one run history, two vocabularies.

An MLflow run IS an mlyard run (the same 32-hex id), and an MLflow experiment is an mlyard
experiment (its id). This module translates between the two (no I/O beyond lookups):

- statuses: ``RUNNING``/``SCHEDULED``/``FINISHED``/``FAILED``/``KILLED`` <-> Azure's
  (:data:`TO_MLFLOW`, :data:`FROM_MLFLOW`);
- system tags: ``mlflow.runName`` is the display name, ``mlflow.user`` the principal that
  created the run, ``mlflow.parentRunId`` the parent run; they are answered from those fields;
- ``lifecycle_stage`` ``active``/``deleted`` is ``deleted_at``; times are milliseconds;
- experiment ``"0"`` (the client's default) is the workspace's experiment ``Default``, made on
  first use;
- filters and order keys: ``tags.mlflow.runName`` becomes ``attributes.run_name``, and MLflow's
  status names become every Azure status they stand for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from mlyard.core.entities.metrics import LatestMetric
from mlyard.core.entities.tracking import Experiment, Run, RunStatus
from mlyard.core.errors import ExperimentNotFound, ValidationError
from mlyard.services.experiments import get_or_create_experiment
from mlyard.services.platform import Platform
from mlyard.services.run_filter import Clause, Entity, Op, OrderKey, parse_filter, parse_order_by
from mlyard.services.workspaces import get_workspace
from mlyard.store.experiments import ExperimentRow
from mlyard.store.identity import UserRow
from mlyard.store.principals import ServicePrincipalRow
from mlyard.store.runs import TrackingRepository

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"
RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"
PARENT_TAG = "mlflow.parentRunId"
ACTIVE, DELETED = "active", "deleted"

TO_MLFLOW = {
    RunStatus.NOT_STARTED: "SCHEDULED",
    RunStatus.QUEUED: "SCHEDULED",
    RunStatus.PREPARING: "SCHEDULED",
    RunStatus.PROVISIONING: "SCHEDULED",
    RunStatus.STARTING: "SCHEDULED",
    RunStatus.RUNNING: "RUNNING",
    RunStatus.FINALIZING: "RUNNING",
    RunStatus.CANCEL_REQUESTED: "RUNNING",
    RunStatus.NOT_RESPONDING: "RUNNING",
    RunStatus.COMPLETED: "FINISHED",
    RunStatus.FAILED: "FAILED",
    RunStatus.CANCELED: "KILLED",
}
FROM_MLFLOW = {
    "RUNNING": RunStatus.RUNNING,
    "SCHEDULED": RunStatus.QUEUED,
    "FINISHED": RunStatus.COMPLETED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.CANCELED,
}
_EXPERIMENT_ID = re.compile(r"[0-9a-f-]{1,36}")  # a uuid4, as services.experiments makes them
_RUN_ID = re.compile(r"[0-9a-f]{32}")
# Every Azure status that an MLflow status name stands for, for filters.
_STANDS_FOR = {name: tuple(s.value for s, n in TO_MLFLOW.items() if n == name) for name in FROM_MLFLOW}


def to_ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def lifecycle_stage(deleted_at: datetime | None) -> str:
    return ACTIVE if deleted_at is None else DELETED


# -- experiments by id ----------------------------------------------------------------------


def find_experiment(
    p: Platform, subscription_id: str, resource_group: str, workspace: str, experiment_id: str
) -> Experiment:
    """The experiment of that id, deleted or not; ``"0"`` is ``Default`` (made when missing)."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    if experiment_id != DEFAULT_EXPERIMENT_ID and not _EXPERIMENT_ID.fullmatch(experiment_id):
        raise _no_experiment(ws.name, experiment_id)  # not one of ours: not worth a query (nor a NUL for PostgreSQL)
    with p.db.read() as session:
        if experiment_id == DEFAULT_EXPERIMENT_ID:
            found = TrackingRepository(session).get_experiment(ws.id, DEFAULT_EXPERIMENT_NAME, include_deleted=True)
        else:
            row = session.scalar(
                select(ExperimentRow).where(ExperimentRow.workspace_id == ws.id, ExperimentRow.id == experiment_id)
            )
            found = row.to_entity() if row is not None else None
    if found is not None:
        return found
    if experiment_id == DEFAULT_EXPERIMENT_ID:
        return get_or_create_experiment(p, subscription_id, resource_group, workspace, DEFAULT_EXPERIMENT_NAME)
    raise _no_experiment(ws.name, experiment_id)


def _no_experiment(workspace: str, experiment_id: str) -> ExperimentNotFound:
    return ExperimentNotFound(
        f"No experiment has the id '{experiment_id[:100]}' in workspace '{workspace}': "
        "look it up by name (mlflow.get_experiment_by_name) or create it (mlflow.set_experiment).",
        target="experiment_id",
    )


def check_run_id(run_id: str) -> str:
    """A run id as mlyard makes them (32 hex characters), or INVALID_PARAMETER_VALUE as on MLflow's server."""
    if not _RUN_ID.fullmatch(run_id):
        raise ValidationError(f"'{run_id[:100]}' is not a run id: 32 hexadecimal characters.", target="run_id")
    return run_id


def all_experiments(p: Platform, subscription_id: str, resource_group: str, workspace: str) -> list[Experiment]:
    """Every experiment of the workspace, deleted ones included (MLflow's view types need them)."""
    ws = get_workspace(p, subscription_id, resource_group, workspace)
    with p.db.read() as session:
        rows = session.scalars(select(ExperimentRow).where(ExperimentRow.workspace_id == ws.id))
        return [r.to_entity() for r in rows]


# -- runs as MLflow answers them ------------------------------------------------------------


@dataclass(frozen=True)
class RunView:
    """A run in MLflow's terms; the server adds the artifact URI, which is its own business."""

    run: Run
    run_name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    metrics: list[LatestMetric]
    params: dict[str, str]
    tags: dict[str, str]
    dataset_inputs: list[dict[str, Any]] = field(default_factory=list)


def principal_names(p: Platform, ids: Iterable[str | None]) -> dict[str, str]:
    """User names and service principals' display names of those principal ids."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    with p.db.read() as session:
        users = session.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(wanted)))
        sps = session.execute(
            select(ServicePrincipalRow.id, ServicePrincipalRow.display_name).where(ServicePrincipalRow.id.in_(wanted))
        )
        return {i: name for i, name in [*users, *sps]}


def system_tags(run: Run, user: str) -> dict[str, str]:
    """The run's tags with MLflow's system tags answered from the run's own fields."""
    tags = dict(run.tags)
    if run.display_name:
        tags[RUN_NAME_TAG] = run.display_name
    if user:
        tags[USER_TAG] = user
    if run.parent_run_id:
        tags[PARENT_TAG] = run.parent_run_id
    return tags


def run_view(
    run: Run, metrics: Iterable[LatestMetric], names: dict[str, str], datasets: list[dict[str, Any]] | None = None
) -> RunView:
    user = names.get(run.created_by or "", run.created_by or "")
    started = run.started_at or run.created_at
    return RunView(
        run=run,
        run_name=run.display_name or "",
        user_id=user,
        status=TO_MLFLOW[run.status],
        start_time=to_ms(started),
        end_time=to_ms(run.ended_at) if run.ended_at is not None else None,
        lifecycle_stage=lifecycle_stage(run.deleted_at),
        metrics=list(metrics),
        params=dict(run.params),
        tags=system_tags(run, user),
        dataset_inputs=datasets or [],
    )


def split_system_tags(tags: dict[str, str]) -> tuple[dict[str, str], str | None, str | None]:
    """(the tags to store, the run name, the parent run id) of tags sent by a client.

    ``mlflow.user`` is dropped: the run's user is whoever signed the request, as on an MLflow
    server with authentication. ``mlflow.parentRunId`` is kept as a tag as well, so that
    filters on it find MLflow's nested runs.
    """
    stored = {k: v for k, v in tags.items() if k not in (RUN_NAME_TAG, USER_TAG)}
    return stored, tags.get(RUN_NAME_TAG) or None, tags.get(PARENT_TAG) or None


def our_status(name: str) -> RunStatus:
    try:
        return FROM_MLFLOW[name.upper()]
    except KeyError:
        known = ", ".join(FROM_MLFLOW)
        raise ValidationError(f"Unknown run status '{name}': one of {known}.", target="status") from None


# -- filters and order keys -----------------------------------------------------------------


def _quoted(text: str, quote: str) -> str:
    return quote + text.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def _render(clause: Clause) -> str:
    value = clause.value
    if isinstance(value, tuple):
        text = "(" + ", ".join(_quoted(v, "'") for v in value) + ")"
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = _quoted(value, "'")
    return f"{clause.entity.value}.{_quoted(clause.key, chr(34))} {clause.op.value} {text}"


def _translate_clause(clause: Clause) -> Clause:
    if clause.entity is Entity.TAG and clause.key == RUN_NAME_TAG:
        return replace(clause, entity=Entity.ATTRIBUTE, key="run_name")
    if clause.entity is Entity.ATTRIBUTE and clause.key == "status" and clause.op in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
        names = clause.value if isinstance(clause.value, tuple) else (str(clause.value),)
        statuses = tuple(dict.fromkeys(s for n in names for s in _STANDS_FOR.get(n.upper(), (n,))))
        op = Op.IN if clause.op in (Op.EQ, Op.IN) else Op.NOT_IN
        return replace(clause, op=op, value=statuses)
    return clause


def translate_filter(text: str | None) -> str | None:
    """MLflow's filter in the words of the run search service (unchanged when nothing needs saying)."""
    clauses = parse_filter(text)
    translated = [_translate_clause(c) for c in clauses]
    if translated == list(clauses):
        return text
    return " and ".join(_render(c) for c in translated)


def translate_order_by(items: Sequence[str]) -> list[str]:
    keys = parse_order_by(list(items))
    if not any(k.entity is Entity.TAG and k.key == RUN_NAME_TAG for k in keys):
        return list(items)
    out = []
    for key in keys:
        if key.entity is Entity.TAG and key.key == RUN_NAME_TAG:
            key = OrderKey(Entity.ATTRIBUTE, "run_name", key.descending)
        direction = " DESC" if key.descending else ""
        out.append(f"{key.entity.value}.{_quoted(key.key, chr(34))}{direction}")
    return out
