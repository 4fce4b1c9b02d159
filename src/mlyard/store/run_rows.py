"""Run rows into ``Run`` entities: the page-reading half of the tracking repository.

Listings and searches read plain rows (``RUN_COLUMNS``) and turn a whole page into entities
with one query for its experiments and one for all its tags, parameters and properties; a
write to a run reads its record alone in one query. (Split from ``store/runs.py``, which
holds the tables.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from mlyard.core.entities.tracking import Run, RunStatus, RunType
from mlyard.store.experiments import ExperimentRow
from mlyard.store.runs import RUN_COLUMNS, KeyValueRow, RunParamRow, RunPropertyRow, RunRow, RunTagRow

_KV_TABLES: tuple[KeyValueRow, ...] = (RunTagRow, RunParamRow, RunPropertyRow)
# Tags, parameters and properties of a page of runs in one query, built once: one expanding
# parameter for the three IN lists costs less than coercing a page of ids into each of them.
_KV = union_all(
    *(
        select(literal(i).label("t"), t.run_id, t.key, t.value).where(t.run_id.in_(bindparam("ids", expanding=True)))
        for i, t in enumerate(_KV_TABLES)
    )
).subquery()
_KV_OF_RUNS = select(_KV).order_by(_KV.c.key)
# Enum members by value: calling the enum costs more than the rest of a run's entity.
_STATUSES = {s.value: s for s in RunStatus}
_TYPES = {t.value: t for t in RunType}


def run_record(session: Session, workspace_id: str, run_id: str) -> Run | None:
    """The run without its tags, properties and parameters (empty here), in one query."""
    found = session.execute(
        select(*RUN_COLUMNS, ExperimentRow.name, ExperimentRow.deleted_at)
        .join(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
        .where(RunRow.workspace_id == workspace_id, RunRow.id == run_id)
    ).first()
    if found is None:
        return None
    return _entity(found, found[-2], found[-1], {}, {}, {})


def to_runs(session: Session, rows: Sequence[Any]) -> list[Run]:
    """Entities of run rows (RunRow objects, or plain rows of ``RUN_COLUMNS``), with their
    experiment names and key/values, in two queries for any page; a run of a deleted
    experiment is deleted since then (unless it was before)."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    experiments: dict[str, tuple[str, datetime | None]] = {
        exp_id: (name, deleted)
        for exp_id, name, deleted in session.execute(
            select(ExperimentRow.id, ExperimentRow.name, ExperimentRow.deleted_at).where(
                ExperimentRow.id.in_({r.experiment_id for r in rows})
            )
        )
    }
    # Tags, parameters and properties of the whole page in one query (one round trip), read
    # through the connection and fetched at once: plain rows need none of the ORM's row
    # handling, and a fetch a row costs more than the loop.
    tables = _KV_TABLES
    kv: dict[KeyValueRow, dict[str, dict[str, str]]] = {t: {} for t in tables}
    for which, run_id, key, value in session.connection().execute(_KV_OF_RUNS, {"ids": ids}).all():
        kv[tables[which]].setdefault(run_id, {})[key] = value
    out = []
    for r in rows:
        name, experiment_deleted = experiments.get(r.experiment_id, ("", None))
        out.append(
            _entity(
                r,
                name,
                experiment_deleted,
                kv[RunTagRow].get(r.id, {}),
                kv[RunPropertyRow].get(r.id, {}),
                kv[RunParamRow].get(r.id, {}),
            )
        )
    return out


def _entity(
    r: Any,
    experiment_name: str,
    experiment_deleted: datetime | None,
    tags: dict[str, str],
    properties: dict[str, str],
    params: dict[str, str],
) -> Run:
    return Run(
        id=r.id,
        workspace_id=r.workspace_id,
        experiment_id=r.experiment_id,
        experiment_name=experiment_name,
        number=r.number,
        display_name=r.display_name,
        status=_STATUSES.get(r.status) or RunStatus(r.status),
        run_type=_TYPES.get(r.run_type) or RunType(r.run_type),
        parent_run_id=r.parent_run_id,
        created_by=r.created_by,
        created_at=r.created_at,
        started_at=r.started_at,
        ended_at=r.ended_at,
        tags=tags,
        properties=properties,
        params=params,
        error=dict(r.error) if r.error is not None else None,
        deleted_at=_earliest(r.deleted_at, experiment_deleted),
    )


def _earliest(first: datetime | None, second: datetime | None) -> datetime | None:
    return min(first, second) if first is not None and second is not None else first or second
