"""A tabular dataset as one DuckDB query: its source, then each transformation around it.

Nothing of the request becomes SQL text except through this module: column names are quoted
identifiers, values are bound parameters, numbers are checked integers, column types come from
a fixed list. A filter is a JSON tree (the SDK turns ``ds['age'] > 30`` or ``"age > 30"`` into
one), never an SQL string, so a dataset cannot make the server read a file it should not.

Transformations: ``{"kind": "take", "count": n}``, ``skip`` (``count``), ``keepColumns`` and
``dropColumns`` (``columns``), ``filter`` (``expression``), ``randomSplit`` (``percentage``,
``seed``, ``part``: 0 for the first share, 1 for the rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mlyard.core.entities.datasets import Column
from mlyard.core.errors import InvalidDatasetDefinition

MAX_TRANSFORMS = 50
MAX_EXPRESSION_NODES = 500
MAX_COUNT = 2**62
TYPES = frozenset({"BIGINT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "VARCHAR"})
_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_TEXT = {"startsWith": "starts_with", "endsWith": "ends_with", "contains": "contains"}
_SPLIT = "__mlyard_row"
_PATH = "__mlyard_path"


def ident(name: object) -> str:
    if not isinstance(name, str) or not name or len(name) > 1024:
        raise InvalidDatasetDefinition(f"{name!r} is not a column name.", target="columns")
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _count(t: dict[str, Any]) -> int:
    n = t.get("count")
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_COUNT:
        raise InvalidDatasetDefinition(f"{t.get('kind')} takes a count of 0 or more, not {n!r}.", target="transforms")
    return n


def _columns(t: dict[str, Any]) -> list[str]:
    cols = t.get("columns")
    if isinstance(cols, str):
        cols = [cols]
    if not isinstance(cols, list) or not cols or len(cols) > 10_000:
        raise InvalidDatasetDefinition(f"{t.get('kind')} takes a list of column names.", target="transforms")
    return [ident(c) for c in cols]


@dataclass
class _Expr:
    params: list[Any] = field(default_factory=list)
    nodes: int = 0

    def render(self, node: object) -> str:
        self.nodes += 1
        if self.nodes > MAX_EXPRESSION_NODES:
            raise InvalidDatasetDefinition("The filter expression is too large.", target="expression")
        if not isinstance(node, dict):
            raise InvalidDatasetDefinition(f"{node!r} is not a filter expression.", target="expression")
        if "column" in node:
            return ident(node["column"])
        if "value" in node:
            value = node["value"]
            if value is not None and not isinstance(value, str | int | float | bool):
                raise InvalidDatasetDefinition(f"{value!r} is not a value to compare with.", target="expression")
            self.params.append(value)
            return "?"
        op, args = node.get("op"), node.get("args")
        if not isinstance(args, list):
            raise InvalidDatasetDefinition(f"Filter operator {op!r} needs its arguments.", target="expression")
        if op in _COMPARE and len(args) == 2:
            return f"({self.render(args[0])} {_COMPARE[op]} {self.render(args[1])})"
        if op in ("and", "or") and len(args) >= 2:
            return "(" + f" {op.upper()} ".join(self.render(a) for a in args) + ")"
        if op == "not" and len(args) == 1:
            return f"(NOT {self.render(args[0])})"
        if op in ("isNull", "notNull") and len(args) == 1:
            return f"({self.render(args[0])} IS {'NOT ' if op == 'notNull' else ''}NULL)"
        if op in _TEXT and len(args) == 2:
            return f"{_TEXT[op]}(CAST({self.render(args[0])} AS VARCHAR), CAST({self.render(args[1])} AS VARCHAR))"
        if op == "isIn" and len(args) >= 2:
            return f"({self.render(args[0])} IN ({', '.join(self.render(a) for a in args[1:])}))"
        raise InvalidDatasetDefinition(
            f"Unknown filter operator {op!r} with {len(args)} argument(s): use ==, !=, <, <=, >, >=, and, or, not, "
            "isNull, notNull, isIn, startsWith, endsWith, contains.",
            target="expression",
        )


def check_transforms(transforms: object, *, tabular: bool) -> list[dict[str, Any]]:
    """The transformations, checked (rendering them is the check); raises InvalidDatasetDefinition."""
    if transforms is None:
        return []
    if not isinstance(transforms, list) or len(transforms) > MAX_TRANSFORMS:
        raise InvalidDatasetDefinition(f"transforms is a list of at most {MAX_TRANSFORMS}.", target="transforms")
    if transforms and not tabular:
        raise InvalidDatasetDefinition(
            "A file dataset takes no transformations (take, filter, ... are for tabular ones).", target="transforms"
        )
    out = [dict(t) if isinstance(t, dict) else {"kind": t} for t in transforms]
    wrap("SELECT 1", out, [])
    return out


def wrap(sql: str, transforms: Sequence[dict[str, Any]], params: list[Any]) -> str:
    """``sql`` with each transformation applied around it; their parameters appended to ``params``."""
    for i, t in enumerate(transforms):
        kind, inner = t.get("kind"), f"({sql}) AS t{i}"
        if kind == "take":
            sql = f"SELECT * FROM {inner} LIMIT {_count(t)}"
        elif kind == "skip":
            sql = f"SELECT * FROM {inner} OFFSET {_count(t)}"
        elif kind == "keepColumns":
            sql = f"SELECT {', '.join(_columns(t))} FROM {inner}"
        elif kind == "dropColumns":
            sql = f"SELECT * EXCLUDE ({', '.join(_columns(t))}) FROM {inner}"
        elif kind == "filter":
            expr = _Expr()
            where = expr.render(t.get("expression"))
            params.extend(expr.params)
            sql = f"SELECT * FROM {inner} WHERE {where}"
        elif kind == "randomSplit":
            sql = _split(t, inner)
        else:
            raise InvalidDatasetDefinition(
                f"Unknown transformation {kind!r}: take, skip, keepColumns, dropColumns, filter, randomSplit.",
                target="transforms",
            )
    return sql


def _split(t: dict[str, Any], inner: str) -> str:
    share, seed, part = t.get("percentage"), t.get("seed", 0), t.get("part")
    if not isinstance(share, int | float) or isinstance(share, bool) or not 0 < share < 1:
        raise InvalidDatasetDefinition("random_split takes a percentage between 0 and 1.", target="percentage")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**31:
        raise InvalidDatasetDefinition("random_split takes an integer seed from 0 to 2**31 - 1.", target="seed")
    if part not in (0, 1):
        raise InvalidDatasetDefinition("randomSplit's part is 0 (the first share) or 1 (the rest).", target="part")
    threshold = int(share * 1_000_000)
    # A row's share depends on its place and the seed only, so the two parts never overlap.
    test = "<" if part == 0 else ">="
    return (
        f"SELECT * EXCLUDE ({_SPLIT}) FROM (SELECT *, row_number() OVER () AS {_SPLIT} FROM {inner}) "
        f"WHERE hash({_SPLIT}, {seed}) % 1000000 {test} {threshold}"
    )


def _parquet_casts(options: dict[str, Any]) -> str:
    """``CAST("c" AS TYPE) AS "c", ...`` for ``setColumnTypes``; a value that does not convert is
    a read error naming it (as a CSV's), not a null."""
    casts = []
    for name, kind in dict(options.get("setColumnTypes") or {}).items():
        if kind not in TYPES:
            raise InvalidDatasetDefinition(f"Column '{name}' has an unknown type {kind!r}.", target="setColumnTypes")
        casts.append(f"CAST({ident(name)} AS {kind}) AS {ident(name)}")
    return ", ".join(casts)


def source(
    fmt: str,
    options: dict[str, Any],
    columns: Sequence[Column],
    params: list[Any],
    paths: list[str],
    *,
    skip_bad_rows: bool = False,
    names: Sequence[str] | None = None,
) -> str:
    """The query that reads ``paths`` as the source describes; ``paths`` becomes a parameter.

    With ``includePath`` a last column ``Path`` holds each row's file as ``names`` gives it (the
    file's name on its datastore), never the server's local path.
    """
    with_path = bool(options.get("includePath")) and names is not None
    tag = f", filename = {_literal(_PATH)}" if with_path else ""
    if fmt == "parquet":
        inner = f"read_parquet(?, union_by_name = true{tag})"
        casts = _parquet_casts(options)
        if casts:  # Parquet has its own types: setColumnTypes casts them as the rows are read
            inner = f"(SELECT * REPLACE ({casts}) FROM {inner})"
    else:
        types = []
        for c in columns:
            if c.type not in TYPES:
                raise InvalidDatasetDefinition(f"Column '{c.name}' has an unknown type {c.type!r}.", target="columns")
            types.append(f"{_literal(c.name)}: '{c.type}'")
        struct = "{" + ", ".join(types) + "}"
        if fmt == "jsonLines":
            inner = f"read_json(?, format = 'newline_delimited', columns = {struct}{tag})"
        else:
            separator = str(options.get("separator", ","))
            header = "true" if options.get("header", True) else "false"
            inner = (
                f"read_csv(?, auto_detect = false, header = {header}, delim = {_literal(separator)}, "
                f"quote = '\"', escape = '\"', columns = {struct}{tag}"
                + (", ignore_errors = true)" if skip_bad_rows else ")")
            )
    if not with_path:
        params.append(paths)
        return f"SELECT * FROM {inner}"
    # The select list's parameters come first: they precede the source's in the text.
    params.extend([list(names or []), paths, paths])
    return f'SELECT * EXCLUDE ({_PATH}), (?)[list_position(?, {_PATH})] AS "Path" FROM {inner}'


__all__ = ["MAX_TRANSFORMS", "TYPES", "check_transforms", "ident", "source", "wrap"]
