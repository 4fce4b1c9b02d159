"""MLflow's run search grammar: a filter string and order-by keys, parsed into clauses (no I/O).

::

    filter   := clause ( AND clause )*                     AND in any case; MLflow has no OR
    clause   := entity "." key op value
    entity   := metrics | metric | params | param | parameters | tags | tag
              | attributes | attribute | attr | run
    key      := bare word (letters, digits, _ - . / : ) | `quoted` | "quoted"
    op       := = | != | < | <= | > | >=                   metrics and times: numbers
              | = | != | LIKE | ILIKE | IN | NOT IN         params, tags, text attributes: strings
    value    := 'string' | "string" | number | ( string, string, ... )
    order_by := entity "." key [ ASC | DESC ]

Attributes are ``status``, ``run_name`` (``display_name``), ``run_id`` (text) and
``start_time``, ``end_time``, ``created`` (milliseconds since the epoch, as MLflow's).
Errors are :class:`InvalidFilter` naming the position (from 0) and what was expected there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from mlyard.core.errors import InvalidFilter


class Entity(StrEnum):
    METRIC = "metrics"
    PARAM = "params"
    TAG = "tags"
    ATTRIBUTE = "attributes"


class Op(StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LIKE = "LIKE"
    ILIKE = "ILIKE"
    IN = "IN"
    NOT_IN = "NOT IN"


ENTITIES = {
    "metrics": Entity.METRIC,
    "metric": Entity.METRIC,
    "params": Entity.PARAM,
    "param": Entity.PARAM,
    "parameters": Entity.PARAM,
    "tags": Entity.TAG,
    "tag": Entity.TAG,
    "attributes": Entity.ATTRIBUTE,
    "attribute": Entity.ATTRIBUTE,
    "attr": Entity.ATTRIBUTE,
    "run": Entity.ATTRIBUTE,
}
# Attribute spellings -> the canonical name; times hold numbers, the others text.
ATTRIBUTES = {
    "status": "status",
    "run_name": "run_name",
    "display_name": "run_name",
    "run_id": "run_id",
    "start_time": "start_time",
    "end_time": "end_time",
    "created": "created",
}
TIME_ATTRIBUTES = frozenset({"start_time", "end_time", "created"})
NUMERIC_OPS = frozenset({Op.EQ, Op.NE, Op.LT, Op.LE, Op.GT, Op.GE})
STRING_OPS = frozenset({Op.EQ, Op.NE, Op.LIKE, Op.ILIKE, Op.IN, Op.NOT_IN})

Value = float | str | tuple[str, ...]


@dataclass(frozen=True)
class Clause:
    entity: Entity
    key: str
    op: Op
    value: Value

    @property
    def numeric(self) -> bool:
        return is_numeric(self.entity, self.key)


@dataclass(frozen=True)
class OrderKey:
    entity: Entity
    key: str
    descending: bool = False

    @property
    def numeric(self) -> bool:
        return is_numeric(self.entity, self.key)


def is_numeric(entity: Entity, key: str) -> bool:
    return entity is Entity.METRIC or (entity is Entity.ATTRIBUTE and key in TIME_ATTRIBUTES)


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[A-Za-z0-9_\-/:]+)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _tokens(text: str, target: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _error(text, pos, "a key, an operator or a value", target)
        kind = match.lastgroup or ""
        if kind != "space":
            out.append(_Token(kind, match.group(), pos))
        pos = match.end()
    return out


def _error(text: str, pos: int, expected: str, target: str) -> InvalidFilter:
    found = f"'{text[pos : pos + 20]}'" if pos < len(text) else "the end"
    return InvalidFilter(f"Invalid {target} at position {pos}: expected {expected}, found {found}.", target=target)


def _unquote(token: str) -> str:
    body = token[1:-1]
    return re.sub(r"\\(.)", r"\1", body) if token[0] != "`" else body


class _Parser:
    def __init__(self, text: str, target: str) -> None:
        self.text = text
        self.target = target
        self.tokens = _tokens(text, target)
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def fail(self, expected: str) -> InvalidFilter:
        token = self.peek()
        return _error(self.text, token.pos if token else len(self.text), expected, self.target)

    def take(self) -> _Token:
        token = self.peek()
        assert token is not None
        self.i += 1
        return token

    def word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.text.lower() in words

    def identifier(self) -> tuple[Entity, str]:
        start = self.peek()
        if start is None or start.kind != "word" or start.text.lower() not in ENTITIES:
            raise self.fail("an entity (metrics, params, tags or attributes) followed by '.' and a key")
        entity = ENTITIES[self.take().text.lower()]
        dot = self.peek()
        if dot is None or dot.text != ".":
            raise self.fail(f"'.' and a key after '{start.text}'")
        self.take()
        key = self._key()
        if entity is Entity.ATTRIBUTE:
            if key not in ATTRIBUTES:
                known = ", ".join(sorted(ATTRIBUTES))
                raise InvalidFilter(
                    f"Invalid {self.target} at position {start.pos}: unknown attribute '{key}' (one of {known}).",
                    target=self.target,
                )
            key = ATTRIBUTES[key]
        return entity, key

    def _key(self) -> str:
        token = self.peek()
        if token is None:
            raise self.fail("a key")
        if token.kind in ("backtick", "string"):
            self.take()
            key = _unquote(token.text)
        elif token.kind in ("word", "number"):
            # Bare keys may hold dots (params.model.name), so glue word, '.', word runs together.
            parts = [self.take().text]
            while (nxt := self.peek()) is not None and nxt.text == "." and self.i + 1 < len(self.tokens):
                after = self.tokens[self.i + 1]
                if after.kind not in ("word", "number") or after.pos != nxt.pos + 1:
                    break
                self.i += 2
                parts += [".", after.text]
            key = "".join(parts)
        else:
            raise self.fail("a key (quote it with backticks when it holds spaces)")
        if not key:
            raise _error(self.text, token.pos, "a non-empty key", self.target)
        return key

    def op(self) -> Op:
        token = self.peek()
        if token is not None and token.kind == "op":
            self.take()
            return Op(token.text)
        if self.word("like", "ilike", "in"):
            return Op(self.take().text.upper())
        if self.word("not"):
            self.take()
            if self.word("in"):
                self.take()
                return Op.NOT_IN
            raise self.fail("IN after NOT")
        raise self.fail("an operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN)")

    def value(self, numeric: bool, op: Op) -> Value:
        token = self.peek()
        if op in (Op.IN, Op.NOT_IN):
            return self._tuple()
        if numeric:
            if token is None or token.kind != "number":
                raise self.fail("a number")
            return float(self.take().text)
        if token is None or token.kind != "string":
            raise self.fail("a quoted string ('...' or \"...\")")
        return _unquote(self.take().text)

    def _tuple(self) -> tuple[str, ...]:
        token = self.peek()
        if token is None or token.text != "(":
            raise self.fail("'(' opening a list of quoted strings")
        self.take()
        items: list[str] = []
        while True:
            token = self.peek()
            if token is None or token.kind != "string":
                raise self.fail("a quoted string in the list")
            items.append(_unquote(self.take().text))
            token = self.peek()
            if token is not None and token.text == ",":
                self.take()
                continue
            if token is not None and token.text == ")":
                self.take()
                return tuple(items)
            raise self.fail("',' or ')' in the list")

    def clause(self) -> Clause:
        entity, key = self.identifier()
        op_token = self.peek()
        op = self.op()
        numeric = is_numeric(entity, key)
        allowed = NUMERIC_OPS if numeric else STRING_OPS
        if op not in allowed:
            what = "numbers" if numeric else "strings"
            ops = ", ".join(o.value for o in Op if o in allowed)
            assert op_token is not None
            raise InvalidFilter(
                f"Invalid {self.target} at position {op_token.pos}: {entity.value}.{key} holds {what}; "
                f"use one of {ops}, not {op.value}.",
                target=self.target,
            )
        return Clause(entity, key, op, self.value(numeric, op))


def parse_filter(text: str | None) -> tuple[Clause, ...]:
    """The clauses of a filter (all must hold); an empty or missing filter matches every run."""
    if text is None or not text.strip():
        return ()
    parser = _Parser(text, "filter")
    clauses = [parser.clause()]
    while parser.peek() is not None:
        if parser.word("or"):
            raise InvalidFilter(
                f"Invalid filter at position {parser.take().pos}: MLflow's filter grammar has no OR "
                "(only AND): run one search per alternative, or use IN ('a', 'b') for one key.",
                target="filter",
            )
        if not parser.word("and"):
            raise parser.fail("AND or the end of the filter")
        parser.take()
        clauses.append(parser.clause())
    return tuple(clauses)


def parse_order_by(items: list[str] | tuple[str, ...] | None) -> tuple[OrderKey, ...]:
    """Order keys such as ``["metrics.accuracy DESC", "attributes.start_time"]`` (ASC by default)."""
    keys: list[OrderKey] = []
    for text in items or ():
        parser = _Parser(text, "orderBy")
        entity, key = parser.identifier()
        descending = False
        if parser.word("asc", "desc"):
            descending = parser.take().text.lower() == "desc"
        if parser.peek() is not None:
            raise parser.fail("ASC, DESC or the end of the order key")
        keys.append(OrderKey(entity, key, descending))
    return tuple(keys)
