"""Reading tabular datasets with DuckDB: columns, a preview, the data as Arrow, the profile.

DuckDB streams the files (CSV or Parquet) through the query built by
:mod:`mlyard.services.dataset_sql`, within a memory limit, spilling to a temporary folder under
the server's home beyond it; no step loads a whole dataset into Python objects.

A CSV is read with its columns given, not sniffed: the header names the columns, and their types
are inferred from the first rows of the first file (BIGINT, DOUBLE, BOOLEAN, DATE, TIMESTAMP,
else VARCHAR; all VARCHAR without ``inferColumnTypes``). A registered version keeps the columns
it was read with. A malformed row is then an error that names its file and line, which DuckDB's
own sniffer does not always give.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import decimal
import math
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlyard.core.entities.datasets import Column
from mlyard.core.errors import InvalidDatasetDefinition
from mlyard.services import dataset_sql

if TYPE_CHECKING:
    import duckdb

MEMORY_LIMIT = "1GB"
SAMPLE_ROWS = 10_000
VALIDATE_ROWS = 1_000
TOP_VALUES = 5
BATCH_ROWS = 64 * 1024
_NUMERIC = ("BIGINT", "DOUBLE", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "FLOAT", "DECIMAL", "UBIGINT", "UINTEGER")
_INFERRED = ("BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP")


@contextlib.contextmanager
def connect(spill: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    import duckdb

    spill.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="duckdb-", dir=spill) as folder:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": folder})
        try:
            yield con
        finally:
            con.close()


@contextlib.contextmanager
def reading(shown: dict[str, str]) -> Iterator[None]:
    """DuckDB's errors as InvalidDatasetDefinition, local paths replaced by the datasets' names."""
    import duckdb

    try:
        yield
    except duckdb.Error as exc:
        raise _read_error(str(exc), shown) from None


def _read_error(text: str, shown: dict[str, str]) -> InvalidDatasetDefinition:
    for local, name in sorted(shown.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(local, name)
    lines = [line.strip() for line in text.splitlines()]
    head: list[str] = []
    for line in lines:
        if line.startswith(("Possible", "Column ", "This type", "LINE ")) or (not line and head):
            break
        if line:
            head.append(line)
    where = next((line for line in lines if line.startswith("file = ")), None)
    message = " ".join(head)[:800] + (f" ({where})" if where else "")
    if "convert" in text:
        message += (
            ". The column's type was inferred from the first rows of the first file; pass "
            "infer_column_types=False to read every column as text."
        )
    return InvalidDatasetDefinition(f"The dataset cannot be read: {message}", target="data")


# -- columns -------------------------------------------------------------------------------


def _header(path: str, separator: str, header: bool) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        first = next(csv.reader(f, delimiter=separator), None)
    if first is None:
        raise InvalidDatasetDefinition(f"'{path}' is empty: it has no header or row.", target="path")
    names: list[str] = []
    for i, raw in enumerate(first):
        name = raw.strip() if header and raw.strip() else f"Column{i + 1}"
        while name in names:
            name += "_"
        names.append(name)
    return names


def _cast_count(col: str, kind: str) -> str:
    if kind == "BIGINT":  # TRY_CAST rounds '1.5' to 2: only whole numbers are integers
        return f"count(CASE WHEN regexp_full_match(trim({col}), '[+-]?[0-9]+') THEN TRY_CAST({col} AS BIGINT) END)"
    return f"count(TRY_CAST({col} AS {kind}))"


def detect_columns(con: duckdb.DuckDBPyConnection, fmt: str, options: dict[str, Any], first: str) -> list[Column]:
    """The columns of a dataset whose first file is ``first`` (see the module's docstring)."""
    if fmt == "parquet":
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [first]).fetchall()
        return [Column(str(row[0]), str(row[1])) for row in described]
    names = _header(first, str(options.get("separator", ",")), bool(options.get("header", True)))
    text = [Column(n, "VARCHAR") for n in names]
    if not options.get("inferColumnTypes", True):
        return text
    params: list[Any] = []
    sql = dataset_sql.source(fmt, options, text, params, [first], skip_bad_rows=True)
    counts = []
    for n in names:
        col = dataset_sql.ident(n)
        counts += [f"count({col})"] + [_cast_count(col, t) for t in _INFERRED]
    # fetchall, not fetchone: an unfinished result would block the connection's next query.
    (got,) = con.execute(f"SELECT {', '.join(counts)} FROM ({sql} LIMIT {SAMPLE_ROWS})", params).fetchall()
    out = []
    step = len(_INFERRED) + 1
    for i, n in enumerate(names):
        present, *casts = got[i * step : (i + 1) * step]
        kind = next((t for t, c in zip(_INFERRED, casts, strict=True) if present and c == present), "VARCHAR")
        out.append(Column(n, kind))
    return out


# -- queries -------------------------------------------------------------------------------


def query(
    fmt: str, options: dict[str, Any], columns: Sequence[Column], transforms: Sequence[dict[str, Any]], paths: list[str]
) -> tuple[str, list[Any]]:
    params: list[Any] = []
    sql = dataset_sql.source(fmt, options, columns, params, paths)
    return dataset_sql.wrap(sql, transforms, params), params


def jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def preview(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], top: int
) -> tuple[list[Column], list[list[Any]]]:
    cursor = con.execute(f"SELECT * FROM ({sql}) LIMIT {int(top)}", params)
    columns = [Column(str(d[0]), str(d[1])) for d in cursor.description or []]
    return columns, [[jsonable(v) for v in row] for row in cursor.fetchall()]


def write_arrow(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], target: Path) -> int:
    """The query's rows as an Arrow IPC stream (LZ4) in ``target``; answers the row count."""
    import pyarrow as pa

    # A relation streams its batches; a DB-API result would copy every row first.
    reader = con.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
    rows = 0
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with pa.OSFile(str(target), "wb") as sink, pa.ipc.new_stream(sink, reader.schema, options=options) as writer:
        for batch in reader:
            writer.write_batch(batch)
            rows += batch.num_rows
    return rows


def profile(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> dict[str, Any]:
    """Per column: type, count, missing, min, max, mean, std, distinct, top values (with counts)."""
    con.execute(f"CREATE TEMP TABLE profiled AS {sql}", params)
    described = con.execute("DESCRIBE profiled").fetchall()
    cols = [(str(r[0]), str(r[1])) for r in described]
    parts = ["count(*)"]
    for name, kind in cols:
        c = dataset_sql.ident(name)
        numeric = kind.startswith(_NUMERIC)
        parts += [f"count({c})", f"min({c})", f"max({c})", f"count(DISTINCT {c})"]
        parts += [f"avg({c})", f"stddev_samp({c})"] if numeric else ["NULL", "NULL"]
    (got,) = con.execute(f"SELECT {', '.join(parts)} FROM profiled").fetchall()
    rows = int(got[0])
    out = []
    for i, (name, kind) in enumerate(cols):
        count, low, high, distinct, mean, std = got[1 + i * 6 : 7 + i * 6]
        c = dataset_sql.ident(name)
        top = con.execute(
            f"SELECT {c}, count(*) AS n FROM profiled WHERE {c} IS NOT NULL GROUP BY {c} ORDER BY n DESC, {c} "
            f"LIMIT {TOP_VALUES}"
        ).fetchall()
        out.append(
            {
                "name": name,
                "type": kind,
                "count": int(count),
                "missing": rows - int(count),
                "min": jsonable(low),
                "max": jsonable(high),
                "mean": jsonable(mean),
                "std": jsonable(std),
                "distinct": int(distinct),
                "topValues": [{"value": jsonable(v), "count": int(n)} for v, n in top],
            }
        )
    con.execute("DROP TABLE profiled")
    return {"rowCount": rows, "columnCount": len(cols), "columns": out}


__all__ = ["connect", "detect_columns", "jsonable", "preview", "profile", "query", "reading", "write_arrow"]
