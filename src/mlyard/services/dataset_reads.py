"""Reading tabular datasets with DuckDB: columns, a preview, the data as Arrow, the profile.

DuckDB streams the files (CSV or Parquet) through the query built by
:mod:`mlyard.services.dataset_sql`, on a cursor of the process's database (its memory limit,
spilling to a temporary folder under the server's home beyond it: :mod:`mlyard.services.duckdb_pool`);
no step loads a whole dataset into Python objects.

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
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlyard.core.entities.datasets import Column
from mlyard.core.errors import InvalidDatasetDefinition
from mlyard.core.transfer_digests import new_hasher
from mlyard.services import dataset_sql, duckdb_pool

if TYPE_CHECKING:
    import duckdb

SAMPLE_ROWS = 10_000
PROBE_ROWS = 100
VALIDATE_ROWS = 1_000
BATCH_ROWS = 64 * 1024
_INFERRED = ("BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP")


def connect(spill: Path) -> contextlib.AbstractContextManager[duckdb.DuckDBPyConnection]:
    """A cursor of the process's DuckDB database (:mod:`mlyard.services.duckdb_pool`)."""
    return duckdb_pool.cursor(spill)


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
            ". The column's type was set by set_column_types, or inferred from the first rows of the "
            "first file; change set_column_types, or pass infer_column_types=False to read a delimited "
            "file's columns as text."
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
        return _with_set_types([Column(str(row[0]), str(row[1])) for row in described], options)
    if fmt == "jsonLines":
        described = con.execute(
            f"DESCRIBE SELECT * FROM read_json(?, format = 'newline_delimited', sample_size = {SAMPLE_ROWS})", [first]
        ).fetchall()
        return _with_set_types([Column(str(row[0]), _json_type(str(row[1]))) for row in described], options)
    names = _header(first, str(options.get("separator", ",")), bool(options.get("header", True)))
    text = [Column(n, "VARCHAR") for n in names]
    if not options.get("inferColumnTypes", True):
        return _with_set_types(text, options)
    key = _identity(first, options)
    inferred = _inferred.get(key) if key is not None else None
    if inferred is None:
        inferred = _infer(con, fmt, options, text, first)
        if key is not None:
            _inferred.put(key, inferred)
    return _with_set_types(list(inferred), options)


def _infer(
    con: duckdb.DuckDBPyConnection, fmt: str, options: dict[str, Any], text: list[Column], first: str
) -> tuple[Column, ...]:
    params: list[Any] = []
    sql = dataset_sql.source(fmt, options, text, params, [first], skip_bad_rows=True)
    names = [c.name for c in text]
    # A failed TRY_CAST costs DuckDB ten times a successful one: the first PROBE_ROWS rows rule
    # out the types a column cannot have, then only the others are counted over SAMPLE_ROWS.
    kinds = _castable(con, sql, params, {n: list(_INFERRED) for n in names}, PROBE_ROWS, probe=True)
    kinds = _castable(con, sql, params, kinds, SAMPLE_ROWS, probe=False)
    return tuple(Column(n, kinds[n][0] if kinds[n] else "VARCHAR") for n in names)


def _identity(path: str, options: dict[str, Any]) -> tuple[Any, ...] | None:
    """What the types inferred from a CSV depend on: the file as it is now (its inode and times —
    the change time moves with every write and cannot be set back — and the digest of its head,
    for two writes within one tick of the kernel's clock) and how it is read; None when the file
    cannot be looked at (the inference then runs, and fails as it would have)."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            head = new_hasher()
            head.update(handle.read(_HEAD_BYTES))
    except OSError:
        return None
    return (
        os.path.realpath(path),
        info.st_dev,
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
        head.hexdigest(),
        str(options.get("separator", ",")),
        bool(options.get("header", True)),
    )


class _Inferred:
    """The column types inferred per file identity (:func:`_identity`), the most recent
    :data:`_INFERRED_KEPT` kept: a dataset checked when it is defined, then previewed and profiled,
    infers its types once (30-45 ms of a 1M-row profile's ~0.55 s)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Any, ...], tuple[Column, ...]] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> tuple[Column, ...] | None:
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], columns: tuple[Column, ...]) -> None:
        with self._lock:
            self._kept[key] = columns
            self._kept.move_to_end(key)
            while len(self._kept) > _INFERRED_KEPT:
                self._kept.popitem(last=False)


_HEAD_BYTES = 64 * 1024
_INFERRED_KEPT = 256
_inferred = _Inferred()


def _json_type(kind: str) -> str:
    """JSON's types as a dataset's: whole numbers BIGINT, others DOUBLE; nested values as JSON text."""
    if kind in dataset_sql.TYPES:
        return kind
    if kind in ("INTEGER", "SMALLINT", "TINYINT", "UBIGINT", "UINTEGER", "HUGEINT"):
        return "BIGINT"
    if kind in ("FLOAT",) or kind.startswith("DECIMAL"):
        return "DOUBLE"
    return "VARCHAR"


def _with_set_types(columns: list[Column], options: dict[str, Any]) -> list[Column]:
    """``setColumnTypes`` over the detected types; a column it names must exist."""
    wanted: dict[str, str] = dict(options.get("setColumnTypes") or {})
    unknown = sorted(set(wanted) - {c.name for c in columns})
    if unknown:
        raise InvalidDatasetDefinition(
            f"set_column_types names column(s) the files do not have: {', '.join(unknown)} "
            f"(they have {', '.join(c.name for c in columns)}).",
            target="setColumnTypes",
        )
    return [Column(c.name, wanted.get(c.name, c.type)) for c in columns]


def _castable(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], kinds: dict[str, list[str]], limit: int, *, probe: bool
) -> dict[str, list[str]]:
    """Per column, those of ``kinds`` that every present value of the first ``limit`` rows casts to.

    A column with no value in those rows keeps its kinds when ``probe``, else has none (text).
    """
    asked = {n: k for n, k in kinds.items() if k}
    if not asked:
        return kinds
    counts = []
    for n, ks in asked.items():
        col = dataset_sql.ident(n)
        counts += [f"count({col})"] + [_cast_count(col, k) for k in ks]
    # fetchall, not fetchone: an unfinished result would block the connection's next query.
    (got,) = con.execute(f"SELECT {', '.join(counts)} FROM ({sql} LIMIT {int(limit)})", params).fetchall()
    out = dict(kinds)
    at = 0
    for n, ks in asked.items():
        present, casts = got[at], got[at + 1 : at + 1 + len(ks)]
        at += 1 + len(ks)
        castable = [k for k, c in zip(ks, casts, strict=True) if present and c == present]
        out[n] = ks if probe and not present else castable
    return out


# -- queries -------------------------------------------------------------------------------


def query(
    fmt: str,
    options: dict[str, Any],
    columns: Sequence[Column],
    transforms: Sequence[dict[str, Any]],
    paths: list[str],
    names: Sequence[str] | None = None,
) -> tuple[str, list[Any]]:
    """The plan's query; ``names``: the files' names on their datastores (for ``includePath``)."""
    params: list[Any] = []
    sql = dataset_sql.source(fmt, options, columns, params, paths, names=names)
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


__all__ = ["connect", "detect_columns", "jsonable", "preview", "query", "reading", "write_arrow"]
