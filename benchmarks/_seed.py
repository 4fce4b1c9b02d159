"""Many runs, fast, for the search benchmark: copies of one real run, written with SQL inserts.

Creating 10,000 runs through MLflow's client takes minutes (three requests a run at ~30 runs
a second), and 100,000 through any client longer still. So each system first makes ONE run
through its own client over HTTP (tags, params and metrics, then finished), and
:func:`clone_runs` copies that run's rows, in every table that refers to it, straight into
the same SQLite file, a thousand runs a transaction, with a fresh id, number, name and time
and their own tag, parameter and metric values. The copies are rows the server itself would
have written; only the way they got there is faster. The searches are then timed through
each client over HTTP.
"""

from __future__ import annotations

import random
import uuid
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, MetaData, Table, create_engine, func, insert, select

from mlyard.store.metrics import pack

TEAMS = ("vision", "nlp", "speech")
METRICS = ("accuracy", "loss", "f1", "precision", "recall")
PARAMS = ("lr", "batch", "model", "seed", "epochs")
# About 13 % of the runs match (a third are 'vision', accuracy is uniform): a top 100 exists at
# every size. At 0.9 (3 %) the 1,000-run search returned 34 runs and was not the case it names.
SEARCH_FILTER = "metrics.accuracy > 0.6 and tags.team = 'vision'"
SEARCH_ORDER = "metrics.accuracy DESC"
BATCH = 1000

Row = dict[str, Any]
Vary = Callable[[str, Row], None]


@dataclass(frozen=True)
class Layout:
    """Where a store keeps its runs: the runs table, its key, and the column other tables use."""

    runs: str
    run_key: str
    run_column: str
    id_of: Callable[[], str]


MLYARD = Layout("runs", "id", "run_id", lambda: uuid.uuid4().hex)
MLFLOW = Layout("runs", "run_uuid", "run_uuid", lambda: uuid.uuid4().hex)


def sqlite_engine(path: str) -> Engine:
    return create_engine(f"sqlite:///{path}", connect_args={"timeout": 60})


def run_values(i: int, rng: random.Random) -> tuple[dict[str, str], dict[str, str], dict[str, float]]:
    """The i-th run's tags, params and latest metric values (about a third of the runs are 'vision')."""
    tags = {"team": TEAMS[i % 3], "owner": f"user{i % 7}", "stage": "dev"}
    params = {
        "lr": str(rng.choice([0.1, 0.01, 0.001])),
        "batch": str(rng.choice([32, 64])),
        "model": "cnn",
        "seed": str(rng.randrange(1000)),
        "epochs": "10",
    }
    return tags, params, {name: rng.random() for name in METRICS}


def clone_runs(
    engine: Engine, layout: Layout, template_id: str, count: int, vary_for: Callable[[int], Vary], first: int = 0
) -> None:
    """Insert ``count`` copies of run ``template_id``; ``vary_for(i)`` edits the i-th copy's rows.

    Every table with ``layout.run_column`` (and the runs table) is copied; an integer ``id``
    key of a child table is left to the database; any text holding the template's id (an
    artifact location) gets the copy's id.
    """
    meta = MetaData()
    meta.reflect(engine)
    tables = [t for t in meta.sorted_tables if t.name == layout.runs or layout.run_column in t.c]
    template: dict[str, list[Row]] = {}
    with engine.connect() as conn:
        for table in tables:
            key = table.c[layout.run_key if table.name == layout.runs else layout.run_column]
            rows = [dict(r._mapping) for r in conn.execute(select(table).where(key == template_id))]
            if rows:
                template[table.name] = [_without_generated_id(table, row) for row in rows]
    by_name = {t.name: t for t in tables if t.name in template}
    for start in range(first, first + count, BATCH):
        out: dict[str, list[Row]] = {name: [] for name in by_name}
        for i in range(start, min(start + BATCH, first + count)):
            new_id = layout.id_of()
            vary = vary_for(i)
            for name, rows in template.items():
                for row in rows:
                    copy = {k: _swap(v, template_id, new_id) for k, v in row.items()}
                    vary(name, copy)
                    out[name].append(copy)
        with engine.begin() as conn:
            for name, table in by_name.items():
                if out[name]:
                    conn.execute(insert(table), out[name])


def _without_generated_id(table: Table, row: Row) -> Row:
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and pk[0].name == "id" and pk[0].type.python_type is int:
        return {k: v for k, v in row.items() if k != "id"}
    return row


def _swap(value: Any, old: str, new: str) -> Any:
    return value.replace(old, new) if isinstance(value, str) and old in value else value


# -- mlyard --------------------------------------------------------------------------------


def mlyard_vary(rng: random.Random, base_time: datetime, base_number: int) -> Callable[[int], Vary]:
    """The i-th copy (i from 1) is numbered ``base_number + i`` and made i ms after the template."""

    def vary_for(i: int) -> Vary:
        tags, params, metrics = run_values(i, rng)
        when = base_time + timedelta(milliseconds=i)

        def vary(table: str, row: Row) -> None:
            if table == "runs":
                row.update(number=base_number + i, display_name=f"run-{i}", created_at=when, started_at=when)
                row["ended_at"] = when
            elif table == "run_tags" and row["key"] in tags:
                row["value"] = tags[row["key"]]
            elif table == "run_params" and row["key"] in params:
                row["value"] = params[row["key"]]
            elif table == "latest_metrics" and row["key"] in metrics:
                row["value"] = metrics[row["key"]]
            elif table == "metric_chunks" and row["key"] in metrics:
                row["values"] = pack(array("d", [metrics[row["key"]]]))

        return vary

    return vary_for


def mlyard_run_facts(engine: Engine, run_id: str) -> tuple[datetime, int]:
    """The template run's creation time and number (the copies follow it)."""
    meta = MetaData()
    runs = Table("runs", meta, autoload_with=engine)
    with engine.connect() as conn:
        created, experiment = conn.execute(
            select(runs.c.created_at, runs.c.experiment_id).where(runs.c.id == run_id)
        ).one()
        highest = conn.execute(select(func.max(runs.c.number)).where(runs.c.experiment_id == experiment)).scalar_one()
    return created, int(highest)


# -- MLflow --------------------------------------------------------------------------------


def mlflow_vary(rng: random.Random, base_ms: int) -> Callable[[int], Vary]:
    def vary_for(i: int) -> Vary:
        tags, params, metrics = run_values(i, rng)
        name = f"run-{i}"

        def vary(table: str, row: Row) -> None:
            if table == "runs":
                row.update(name=name, start_time=base_ms + i, end_time=base_ms + i + 1)
            elif table == "tags":
                if row["key"] in tags:
                    row["value"] = tags[row["key"]]
                elif row["key"] == "mlflow.runName":
                    row["value"] = name
            elif table == "params" and row["key"] in params:
                row["value"] = params[row["key"]]
            elif table in ("metrics", "latest_metrics") and row["key"] in metrics:
                row["value"] = metrics[row["key"]]

        return vary

    return vary_for
