"""A tabular dataset's profile in one streaming pass of DuckDB over its rows.

The old way (a temporary table of the whole dataset, then one ``GROUP BY`` per column for its
top values) held the data in memory and read it 21 times for 20 columns. Now:

1. The first :data:`SAMPLE_ROWS` rows go into a small temporary table (the cursor's own: two
   requests at once on the process's database each have theirs). One query of it answers its
   row count, its numeric columns' means and each column's most frequent values. When the
   dataset has no more rows than that, the profile is computed from it, every figure exact.
2. Otherwise the sample names, per column, up to :data:`CANDIDATES` most frequent values, each
   making up at least 1/:data:`RARE` of the sample, and one query reads every row once: per
   column count, min, max (exact), mean and standard deviation (see :func:`_moments`),
   ``approx_count_distinct`` (HyperLogLog, within a few per cent), and an exact count of each
   candidate value (a ``count_if``: DuckDB computes these as cheaply as the other aggregates,
   where ``count(*) FILTER`` or ``approx_top_k`` cost a second of CPU or more on 1M rows).

So ``distinct`` and ``topValues`` may be approximate, and each column says which of its figures
are (``approximate``): the top values are the most frequent of the sample's candidates, counted
exactly over all rows; a value absent from the first rows but frequent later is missed, and a
column without a frequent value in the sample (ids, measurements, free text) has none. When the
candidates account for every non-missing value of a column, both figures are exact again. A
column of a type a bound value cannot be cast to (lists, structs) gets the sample's own top
values and counts.
Memory: DuckDB's CSV reader buffers and the aggregates' states (about 100 MB for 1M x 20).
Time (1M x 20 CSV, CPU seconds of the pass): DuckDB's parse of the rows 0.53, HyperLogLog 0.11,
min and max 0.07, the shifted sums 0.03 (``avg`` with ``stddev_samp``: 0.10), the candidates'
``count_if`` about 0.05 (``sum(CASE ...)``: about 0.1).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mlyard.services import dataset_sql
from mlyard.services.dataset_reads import jsonable

if TYPE_CHECKING:
    import duckdb

SAMPLE_ROWS = 20_000
CANDIDATES = 10
RARE = 2_000  # a value under 1/RARE of the sample's rows is no candidate
TOP_VALUES = 5
_SAMPLE = "mlyard_profile_sample"
_N = "__mlyard_n"  # a value's count in the sample (not a column's name, unlike "n")
_NUMERIC = ("BIGINT", "DOUBLE", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "FLOAT", "DECIMAL", "UBIGINT", "UINTEGER")
# Types a bound value can be cast to for the candidates' counts (others: top values from the sample).
_COMPARABLE = (*_NUMERIC, "VARCHAR", "BOOLEAN", "DATE", "TIMESTAMP", "TIME", "USMALLINT", "UTINYINT")
_WHOLE = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER")


def _comparable(kind: str) -> bool:
    return kind.startswith(_COMPARABLE) and "[" not in kind and not kind.startswith("TIMESTAMP WITH")


def _numeric(kind: str) -> bool:
    return kind.startswith(_NUMERIC) and "[" not in kind  # not a list or array of numbers


def profile(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> dict[str, Any]:
    """Per column: type, count, missing, min, max, mean, std, distinct, top values, ``approximate``."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_SAMPLE} AS SELECT * FROM ({sql}) LIMIT {SAMPLE_ROWS + 1}", params)
    try:
        # The sample's columns are the query's: describing the table does not bind the files again.
        cols = [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE {_SAMPLE}").fetchall()]
        sampled, means, tops = _sample(con, cols)
        if sampled <= SAMPLE_ROWS:
            return _exact(con, cols, tops)
        return _streamed(con, sql, params, cols, means, tops)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_SAMPLE}")


def _sample(
    con: duckdb.DuckDBPyConnection, cols: list[tuple[str, str]]
) -> tuple[int, dict[str, Any], dict[str, list[tuple[Any, int]]]]:
    """The sample's rows, its numeric columns' means, and each column's :data:`CANDIDATES` most
    frequent values with their counts (most frequent first, ties by value): one query where
    there were 22 (one a column)."""
    numeric = [name for name, kind in cols if _numeric(kind)]
    parts = ["count(*)", *(f"avg({dataset_sql.ident(n)})" for n in numeric)]
    for name, _ in cols:
        c = dataset_sql.ident(name)
        counted = (
            f"SELECT {c}, count(*) AS {_N} FROM {_SAMPLE} WHERE {c} IS NOT NULL GROUP BY {c} "
            f"ORDER BY {_N} DESC, {c} LIMIT {int(CANDIDATES)}"
        )
        parts.append(f"(SELECT list({{'v': {c}, 'n': {_N}}} ORDER BY {_N} DESC, {c}) FROM ({counted}))")
    (got,) = con.execute(f"SELECT {', '.join(parts)} FROM {_SAMPLE}").fetchall()
    means = dict(zip(numeric, got[1 : 1 + len(numeric)], strict=True))
    found = got[1 + len(numeric) :]
    tops = {name: [(t["v"], int(t["n"])) for t in top or []] for (name, _), top in zip(cols, found, strict=True)}
    return int(got[0]), means, tops


def _exact_stats(cols: list[tuple[str, str]]) -> list[str]:
    parts = ["count(*)"]
    for name, kind in cols:
        c = dataset_sql.ident(name)
        parts += [f"count({c})", f"min({c})", f"max({c})", f"count(DISTINCT {c})"]
        parts += [f"avg({c})", f"stddev_samp({c})"] if _numeric(kind) else ["NULL", "NULL"]
    return parts


def _column(name: str, kind: str, rows: int, got: tuple[Any, ...], top: list[tuple[Any, int]]) -> dict[str, Any]:
    count, low, high, distinct, mean, std = got
    return {
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
        "approximate": [],
    }


def _exact(
    con: duckdb.DuckDBPyConnection, cols: list[tuple[str, str]], tops: dict[str, list[tuple[Any, int]]]
) -> dict[str, Any]:
    """Every row is in the sample: every figure exact, read from the small table."""
    (got,) = con.execute(f"SELECT {', '.join(_exact_stats(cols))} FROM {_SAMPLE}").fetchall()
    rows = int(got[0])
    out = [
        _column(name, kind, rows, got[1 + i * 6 : 7 + i * 6], tops[name][:TOP_VALUES])
        for i, (name, kind) in enumerate(cols)
    ]
    return {"rowCount": rows, "columnCount": len(cols), "columns": out, "sampleRows": None}


def _shift(kind: str, mean: Any) -> float:
    """The value a column's sums are taken around: the sample's mean (whole for whole numbers, so
    that the sums of integers stay exact), or 0 when the sample has none."""
    shift = float(mean) if mean is not None else 0.0
    if not math.isfinite(shift):
        return 0.0
    return float(round(shift)) if kind.startswith(_WHOLE) else shift


def _moments(count: int, shift: float, s1: Any, s2: Any) -> tuple[float | None, float | None]:
    """Mean and sample standard deviation from ``sum(x - shift)`` and ``sum((x - shift) ** 2)``.

    DuckDB computes the two sums for a third of the CPU of ``avg`` and ``stddev_samp``. The
    plain sum of squares loses the variance to cancellation when the mean is large against the
    spread; around the sample's mean it cannot: the sample's rows are part of the data, so the
    shift lies within ``std * sqrt(rows / SAMPLE_ROWS)`` of the mean (7 standard deviations for
    1M rows). Against exact arithmetic both figures agree to 1e-10 (relative) where the sample's
    mean is 500 times further off than that (the tests; ``stddev_samp`` was 5e-5 off there, on
    1e9 + steps of 0.001), to 2e-12 on the benchmark's 1M rows; the last digits may differ from
    one run to the next (threads sum in any order), as with ``stddev_samp``.
    Whole numbers' sums are exact below 2**53. As ``avg`` and ``stddev_samp``: no mean without a
    value, no standard deviation without two.
    """
    if not count or s1 is None or s2 is None:
        return None, None
    s1, s2 = float(s1), float(s2)
    mean = shift + s1 / count
    if count < 2:
        return mean, None
    return mean, math.sqrt(max((s2 - s1 * s1 / count) / (count - 1), 0.0))


def _streamed(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any],
    cols: list[tuple[str, str]],
    means: dict[str, Any],
    tops: dict[str, list[tuple[Any, int]]],
) -> dict[str, Any]:
    """One pass over all rows; candidates for the top values from the sample (module docstring)."""
    # A candidate makes up at least 1/RARE of the sample: in a column of ids, measurements or free
    # text every value is rare and the sample's most frequent ones are arbitrary; counting 10 of
    # them in each of 16 such columns made the pass half as long again. Such a column gets none.
    least = max(2, SAMPLE_ROWS // RARE)
    candidates = {name: [v for v, n in tops[name] if n >= least] for name, _ in cols}
    shifts = {name: _shift(kind, means[name]) for name, kind in cols if name in means}
    parts = ["count(*)"]
    for name, _ in cols:
        c = dataset_sql.ident(name)
        parts += [f"count({c})", f"min({c})", f"max({c})", f"approx_count_distinct({c})"]
        if name in shifts:
            # A literal (a float's repr, quoted), not a parameter: DuckDB folds it into a constant.
            d = f"(CAST({c} AS DOUBLE) - CAST('{shifts[name]!r}' AS DOUBLE))"
            parts += [f"sum({d})", f"sum({d} * {d})"]
        else:
            parts += ["NULL", "NULL"]
    bound: list[Any] = []
    for name, kind in cols:
        if not _comparable(kind):
            continue
        c = dataset_sql.ident(name)
        for value in candidates[name]:
            parts.append(f"count_if({c} = CAST(? AS {kind}))")
            bound.append(value)
    # The select list's parameters come before the source's (they appear first in the text).
    (got,) = con.execute(f"SELECT {', '.join(parts)} FROM ({sql})", [*bound, *params]).fetchall()
    rows = int(got[0])
    at = 1 + len(cols) * 6
    out = []
    for i, (name, kind) in enumerate(cols):
        count, low, high, distinct, s1, s2 = got[1 + i * 6 : 7 + i * 6]
        stats = (count, low, high, distinct, *_moments(int(count), shifts.get(name, 0.0), s1, s2))
        if not _comparable(kind):
            column = _column(name, kind, rows, stats, tops[name][:TOP_VALUES])
            column["approximate"] = ["distinct", "topValues"]
            out.append(column)
            continue
        counted = [(v, int(got[at + j] or 0)) for j, v in enumerate(candidates[name])]
        at += len(candidates[name])
        counted.sort(key=lambda vn: -vn[1])
        top = [(v, n) for v, n in counted[:TOP_VALUES] if n]
        column = _column(name, kind, rows, stats, top)
        if sum(n for _, n in counted) == int(count):
            # The candidates are every value the column holds: both figures are exact.
            column["distinct"] = sum(1 for _, n in counted if n)
        else:
            column["distinct"] = max(column["distinct"], sum(1 for _, n in counted if n))
            column["approximate"] = ["distinct", "topValues"]
        out.append(column)
    return {"rowCount": rows, "columnCount": len(cols), "columns": out, "sampleRows": SAMPLE_ROWS}


__all__ = ["CANDIDATES", "SAMPLE_ROWS", "TOP_VALUES", "profile"]
