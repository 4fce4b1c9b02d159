"""Run search: MLflow's filter grammar (:mod:`run_filter`) turned into one SQL query, keyset paged.

Metrics filter and sort on their latest value (``latest_metrics``), where NaN is stored as NULL,
so NaN never matches a comparison, as in MLflow. Params and tags filter through EXISTS on their
key/value tables (``!=`` and ``NOT IN`` need the key to be there, as in MLflow) and sort through
an outer join. Runs without the ordering key come last, whichever the direction. When a filter
requires the key that the order walks, that key is joined (inner) and the filter tests the joined
row, so that the planner walks the (key, value) index from the filter's bound and stops after a
page, at 100,000 runs as at 1,000.

Paging is by keyset over the order keys and the run id: the cursor holds the last run's sort
values and a fingerprint of the filter, order and scope, so a cursor reused with another search
is refused instead of answering a page that belongs to neither.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, false, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from mlyard.core.entities.metrics import LatestMetric
from mlyard.core.entities.tracking import Run, RunStatus
from mlyard.core.errors import InvalidFilter, ValidationError
from mlyard.services.experiments import get_experiment
from mlyard.services.platform import Platform
from mlyard.services.run_filter import Clause, Entity, Op, OrderKey, parse_filter, parse_order_by
from mlyard.services.runs import workspace_of
from mlyard.store.metrics import LatestMetricRow
from mlyard.store.runs import RUN_COLUMNS, RunParamRow, RunRow, RunTagRow, TrackingRepository, run_not_deleted

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
DEFAULT_ORDER = (OrderKey(Entity.ATTRIBUTE, "created", descending=True),)
# MLflow's status names, so that MLflow-style filters find Azure-named statuses.
_MLFLOW_STATUS = {
    "RUNNING": RunStatus.RUNNING,
    "SCHEDULED": RunStatus.QUEUED,
    "FINISHED": RunStatus.COMPLETED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.CANCELED,
}
_STATUSES = {s.value.lower(): s.value for s in RunStatus}


@dataclass(frozen=True)
class FoundRun:
    """A run as a search answers it: the run with its params and tags, and its latest metrics."""

    run: Run
    metrics: dict[str, LatestMetric]


@dataclass(frozen=True)
class RunSearchPage:
    runs: list[FoundRun]
    next_cursor: str | None


# -- translation ----------------------------------------------------------------------------


def _column(key: str) -> Any:
    return {
        "status": RunRow.status,
        "run_name": RunRow.display_name,
        "run_id": RunRow.id,
        "start_time": RunRow.started_at,
        "end_time": RunRow.ended_at,
        "created": RunRow.created_at,
    }[key]


def _as_time(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _status(value: str) -> str:
    """An Azure status as stored, from either spelling (``FINISHED`` or ``Completed``)."""
    mlflow = _MLFLOW_STATUS.get(value.upper())
    return mlflow.value if mlflow is not None else _STATUSES.get(value.lower(), value)


def _glob(pattern: str) -> str:
    """A LIKE pattern as a GLOB one: SQLite's LIKE ignores case, and MLflow's LIKE does not."""
    out = []
    for ch in pattern:
        out.append({"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}.get(ch, ch))
    return "".join(out)


def _compare(column: Any, op: Op, value: Any, dialect: str) -> ColumnElement[bool]:
    if op is Op.EQ:
        return column == value  # type: ignore[no-any-return]
    if op is Op.NE:
        return column != value  # type: ignore[no-any-return]
    if op is Op.LT:
        return column < value  # type: ignore[no-any-return]
    if op is Op.LE:
        return column <= value  # type: ignore[no-any-return]
    if op is Op.GT:
        return column > value  # type: ignore[no-any-return]
    if op is Op.GE:
        return column >= value  # type: ignore[no-any-return]
    if op is Op.LIKE:
        if dialect == "sqlite":
            return func.glob(_glob(str(value)), column)
        return column.like(value)  # type: ignore[no-any-return]
    if op is Op.ILIKE:
        return column.ilike(value)  # type: ignore[no-any-return]
    if op is Op.IN:
        return column.in_(list(value))  # type: ignore[no-any-return]
    return column.not_in(list(value))  # type: ignore[no-any-return]


def _condition(clause: Clause, dialect: str, joined: dict[tuple[Entity, str], Any]) -> ColumnElement[bool]:
    """``joined`` holds the key/value rows that the order already joins (inner, one row a run)."""
    value: Any = clause.value
    if clause.entity is Entity.ATTRIBUTE:
        if clause.numeric:
            value = _as_time(float(value))
        elif clause.key == "status" and clause.op not in (Op.LIKE, Op.ILIKE):
            value = tuple(_status(v) for v in value) if isinstance(value, tuple) else _status(str(value))
        return _compare(_column(clause.key), clause.op, value, dialect)
    alias = joined.get((clause.entity, clause.key))
    if alias is not None:
        # The same test as the EXISTS below ((run_id, key) is the key of each table), but on the
        # row that the order walks: the index range starts and stops at the bound, and no
        # per-run lookup is left to do for it.
        return _compare(alias.value, clause.op, value, dialect)
    if clause.entity is Entity.METRIC:
        m = LatestMetricRow
        return exists().where(m.run_id == RunRow.id, m.key == clause.key, _compare(m.value, clause.op, value, dialect))
    table = RunParamRow if clause.entity is Entity.PARAM else RunTagRow
    return exists().where(
        table.run_id == RunRow.id, table.key == clause.key, _compare(table.value, clause.op, value, dialect)
    )


@dataclass(frozen=True)
class _SortKey:
    order: OrderKey
    expression: Any
    nullable: bool


def _sort_keys(
    query: Select[Any], order: Sequence[OrderKey], clauses: Sequence[Clause]
) -> tuple[Select[Any], list[_SortKey], dict[tuple[Entity, str], Any]]:
    """Join what the order needs; a key that a filter clause requires is known not to be missing.
    Also answers the inner-joined aliases by (entity, key), for the filter to test them directly."""
    present = {(c.entity, c.key) for c in clauses if c.entity is not Entity.ATTRIBUTE}
    keys: list[_SortKey] = []
    joined: dict[tuple[Entity, str], Any] = {}
    for index, item in enumerate(order):
        if item.entity is Entity.ATTRIBUTE:
            column = _column(item.key)
            keys.append(_SortKey(item, column, item.key in ("run_name", "start_time", "end_time")))
            continue
        table: Any = {Entity.METRIC: LatestMetricRow, Entity.PARAM: RunParamRow, Entity.TAG: RunTagRow}[item.entity]
        alias = aliased(table, name=f"sort{index}")
        on = and_(alias.run_id == RunRow.id, alias.key == item.key)
        required = (item.entity, item.key) in present
        # An inner join when a filter requires the key anyway: the planner may then walk an index
        # on (key, value) in the wanted order and stop after one page.
        if required and (item.entity, item.key) not in joined:
            query = query.join(alias, on)
            joined[(item.entity, item.key)] = alias
        else:
            query = query.outerjoin(alias, on)
        keys.append(_SortKey(item, alias.value, not required))
    return query, keys, joined


def _after(keys: Sequence[_SortKey], values: Sequence[Any], last_id: str, id_desc: bool) -> ColumnElement[bool]:
    """Rows after the cursor in (key..., id) order, where a missing value sorts after any value."""
    alternatives: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for key, value in zip(keys, values, strict=True):
        expr = key.expression
        if value is None:
            # Nothing sorts after a missing value but other missing ones (the tie is below).
            equal.append(expr.is_(None))
            continue
        beyond = expr < value if key.order.descending else expr > value
        if key.nullable:
            beyond = or_(beyond, expr.is_(None))
        alternatives.append(and_(*equal, beyond) if equal else beyond)
        equal.append(expr == value)
    tie = RunRow.id < last_id if id_desc else RunRow.id > last_id
    alternatives.append(and_(*equal, tie) if equal else tie)
    after = or_(*alternatives) if len(alternatives) > 1 else alternatives[0]
    first, value = keys[0], values[0]
    if value is None or first.nullable:
        return after
    # Implied by the alternatives, but a plain bound that the planner can start the index range
    # at: without it, page n walks past the n - 1 pages before it again.
    bound = first.expression <= value if first.order.descending else first.expression >= value
    return and_(bound, after)


# -- cursors --------------------------------------------------------------------------------


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def _wire(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _encode(fingerprint: str, values: Sequence[Any], last_id: str) -> str:
    body = {"f": fingerprint, "k": [_wire(v) for v in values], "i": last_id}
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def _decode(cursor: str, fingerprint: str, keys: Sequence[_SortKey]) -> tuple[list[Any], str]:
    try:
        body = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        stored, raw, last_id = body["f"], list(body["k"]), str(body["i"])
        if len(raw) != len(keys):
            raise ValueError("wrong length")
        values = [
            None if v is None
            else float(v) if k.order.entity is Entity.METRIC
            else datetime.fromisoformat(v) if k.order.numeric
            else str(v)
            for k, v in zip(keys, raw, strict=True)
        ]  # fmt: skip
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ValidationError(
            "This page token is not one that a run search gave: search again without it.", target="pageToken"
        ) from None
    if stored != fingerprint:
        raise InvalidFilter(
            "This page token belongs to a search with another filter, order or scope: "
            "send the same search again, or start over without a page token.",
            target="pageToken",
        )
    return values, last_id


# -- the service ----------------------------------------------------------------------------


def search_runs(
    p: Platform,
    subscription_id: str,
    resource_group: str,
    workspace: str,
    *,
    experiment_names: Sequence[str] | None = None,
    filter: str | None = None,
    order_by: Sequence[str] | None = None,
    max_results: int = DEFAULT_RESULTS,
    cursor: str | None = None,
    include_deleted: bool = False,
) -> RunSearchPage:
    """Runs of the workspace (of the named experiments when given) that match ``filter``, in
    ``order_by`` order (newest first by default), one page of at most ``max_results``. Deleted
    runs, and the runs of deleted experiments, are left out unless ``include_deleted``."""
    if not 1 <= max_results <= MAX_RESULTS:
        raise ValidationError(f"A search answers 1 to {MAX_RESULTS} runs ({max_results} asked).", target="maxResults")
    clauses = parse_filter(filter)
    order = parse_order_by(list(order_by or ())) or DEFAULT_ORDER
    ws = workspace_of(p, subscription_id, resource_group, workspace)
    # The tie-breaker follows the last key's direction, so an index on (key, value, run_id) serves both.
    id_desc = order[-1].descending
    with p.db.read() as session:
        experiment_ids = None
        if experiment_names is not None:
            found_ids = set()
            for name in experiment_names:
                found = TrackingRepository(session).get_experiment(ws.id, name)
                if found is None:  # the usual ExperimentNotFound, from the usual place
                    found = get_experiment(p, subscription_id, resource_group, workspace, name)
                found_ids.add(found.id)
            experiment_ids = sorted(found_ids)
        fingerprint = _fingerprint(ws.id, experiment_ids, clauses, order, include_deleted)
        dialect = session.get_bind().dialect.name
        query: Select[Any] = select(*RUN_COLUMNS)
        query, keys, joined = _sort_keys(query, order, clauses)
        where: list[ColumnElement[bool]] = [RunRow.workspace_id == ws.id]
        if experiment_ids is not None:
            where.append(RunRow.experiment_id.in_(experiment_ids) if experiment_ids else false())
        if not include_deleted:
            where.append(run_not_deleted(ws.id))
        where += [_condition(c, dialect, joined) for c in clauses]
        if cursor:
            values, last_id = _decode(cursor, fingerprint, keys)
            where.append(_after(keys, values, last_id, id_desc))
        ordering: list[Any] = []
        for key in keys:
            if key.nullable:
                ordering.append(key.expression.is_(None).asc())
            ordering.append(key.expression.desc() if key.order.descending else key.expression.asc())
        ordering.append(RunRow.id.desc() if id_desc else RunRow.id.asc())
        columns = [k.expression.label(f"k{i}") for i, k in enumerate(keys)]
        rows = session.execute(
            query.add_columns(*columns).where(*where).order_by(*ordering).limit(max_results + 1)
        ).all()
        more = len(rows) > max_results
        rows = rows[:max_results]
        runs = TrackingRepository(session).to_runs(rows)
        metrics = _latest(session, [r.id for r in runs])
    next_cursor = None
    if more and rows:
        last = rows[-1]
        first = len(RUN_COLUMNS)
        next_cursor = _encode(fingerprint, [last[first + i] for i in range(len(keys))], last.id)
    return RunSearchPage([FoundRun(r, metrics.get(r.id, {})) for r in runs], next_cursor)


_M = LatestMetricRow
# Built once, with one expanding parameter: coercing a page of ids costs more than the query.
_LATEST_OF_RUNS = (
    select(_M.run_id, _M.key, _M.value, _M.step, _M.timestamp, _M.count)
    .where(_M.run_id.in_(bindparam("ids", expanding=True)))
    .order_by(_M.key)
)


def _latest(session: Any, run_ids: list[str]) -> dict[str, dict[str, LatestMetric]]:
    """Latest metrics of a page of runs, read as plain rows through the connection and fetched
    at once: ORM objects, the ORM's row handling and a fetch a row cost more than the query."""
    found: dict[str, dict[str, LatestMetric]] = {}
    if run_ids:
        for run_id, key, value, step, stamp, count in (
            session.connection().execute(_LATEST_OF_RUNS, {"ids": run_ids}).all()
        ):
            found.setdefault(run_id, {})[key] = LatestMetric(
                key, math.nan if value is None else value, step, stamp, count
            )
    return found
