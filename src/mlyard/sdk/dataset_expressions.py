"""Filter expressions of tabular datasets: ``ds['age'] > 30``, ``(ds['a'] == 1) | ds['b'].is_null()``,
or the same as a string, ``"age > 30 and name != 'bob'"``.

Both become a JSON tree (``{"op": ">", "args": [{"column": "age"}, {"value": 30}]}``) that the
server turns into a DuckDB condition with bound values: no text of the expression is ever run
as SQL. Strings know ``and``, ``or``, ``not``, parentheses, ``== != <> = < <= > >=``,
``in (...)``, ``is null``, ``is not null``; names are bare (``age``) or quoted (`` `my col` ``).
"""

from __future__ import annotations

import re
from typing import Any

from mlyard.core.errors import ValidationError

Node = dict[str, Any]


class Expression:
    """A condition on a dataset's rows; combine with ``&``, ``|`` and ``~``."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def __and__(self, other: Expression) -> Expression:
        return Expression({"op": "and", "args": [self.node, _node(other)]})

    def __or__(self, other: Expression) -> Expression:
        return Expression({"op": "or", "args": [self.node, _node(other)]})

    def __invert__(self) -> Expression:
        return Expression({"op": "not", "args": [self.node]})

    def __bool__(self) -> bool:
        raise TypeError("Combine dataset conditions with & and | (and ~ for not), not 'and', 'or', 'not'.")

    def __repr__(self) -> str:
        return f"Expression({self.node!r})"


def _node(value: Any) -> Node:
    if isinstance(value, Expression):
        return value.node
    if value is not None and not isinstance(value, str | int | float | bool):
        raise ValidationError(f"{value!r} cannot be compared with a column (a string, number, bool or None can).")
    return {"value": value}


class Column(Expression):
    """``ds['name']``: a column, compared with values or other columns."""

    def __init__(self, name: str) -> None:
        super().__init__({"column": name})
        self.name = name

    def _compare(self, op: str, other: Any) -> Expression:
        return Expression({"op": op, "args": [self.node, _node(other)]})

    def __eq__(self, other: object) -> Expression:  # type: ignore[override]
        return self._compare("==", other)

    def __ne__(self, other: object) -> Expression:  # type: ignore[override]
        return self._compare("!=", other)

    def __lt__(self, other: Any) -> Expression:
        return self._compare("<", other)

    def __le__(self, other: Any) -> Expression:
        return self._compare("<=", other)

    def __gt__(self, other: Any) -> Expression:
        return self._compare(">", other)

    def __ge__(self, other: Any) -> Expression:
        return self._compare(">=", other)

    __hash__ = None  # type: ignore[assignment]

    def is_null(self) -> Expression:
        return Expression({"op": "isNull", "args": [self.node]})

    def is_not_null(self) -> Expression:
        return Expression({"op": "notNull", "args": [self.node]})

    def isin(self, values: list[Any]) -> Expression:
        return Expression({"op": "isIn", "args": [self.node, *(_node(v) for v in values)]})

    def startswith(self, text: str) -> Expression:
        return self._compare("startsWith", text)

    def endswith(self, text: str) -> Expression:
        return self._compare("endsWith", text)

    def contains(self, text: str) -> Expression:
        return self._compare("contains", text)


# -- strings -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<str>'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\")"
    r"|(?P<quoted>`[^`]+`)|(?P<op>==|!=|<>|<=|>=|=|<|>|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
_OPS = {"=": "==", "==": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise self.error(f"cannot read it at position {pos}")
            kind = m.lastgroup or ""
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0

    def error(self, why: str) -> ValidationError:
        return ValidationError(f"The filter expression {self.text!r}: {why}.", target="expression")

    def peek(self, word: str | None = None) -> bool:
        if self.i >= len(self.tokens):
            return False
        _kind, value = self.tokens[self.i]
        return word is None or value.lower() == word

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise self.error("it ends too soon")
        self.i += 1
        return self.tokens[self.i - 1]

    def parse(self) -> Node:
        node = self.or_()
        if self.i != len(self.tokens):
            raise self.error(f"unexpected '{self.tokens[self.i][1]}'")
        return node

    def or_(self) -> Node:
        args = [self.and_()]
        while self.peek("or"):
            self.take()
            args.append(self.and_())
        return args[0] if len(args) == 1 else {"op": "or", "args": args}

    def and_(self) -> Node:
        args = [self.not_()]
        while self.peek("and"):
            self.take()
            args.append(self.not_())
        return args[0] if len(args) == 1 else {"op": "and", "args": args}

    def not_(self) -> Node:
        if self.peek("not"):
            self.take()
            return {"op": "not", "args": [self.not_()]}
        return self.comparison()

    def comparison(self) -> Node:
        if self.peek("("):
            self.take()
            node = self.or_()
            if self.take()[1] != ")":
                raise self.error("a '(' is not closed")
            return node
        left = self.operand()
        if self.peek("is"):
            self.take()
            negated = self.peek("not") and bool(self.take())
            if self.take()[1].lower() != "null":
                raise self.error("'is' takes 'null' or 'not null'")
            return {"op": "notNull" if negated else "isNull", "args": [left]}
        if self.peek("in"):
            self.take()
            if self.take()[1] != "(":
                raise self.error("'in' takes a list in parentheses")
            values = [self.operand()]
            while self.peek(","):
                self.take()
                values.append(self.operand())
            if self.take()[1] != ")":
                raise self.error("the list after 'in' is not closed")
            return {"op": "isIn", "args": [left, *values]}
        kind, op = self.take()
        if kind != "op" or op not in _OPS:
            raise self.error(f"expected a comparison (==, !=, <, <=, >, >=) after the operand, not '{op}'")
        return {"op": _OPS[op], "args": [left, self.operand()]}

    def operand(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            number = float(value)
            return {"value": int(value) if number.is_integer() and re.fullmatch(r"-?\d+", value) else number}
        if kind == "str":
            quote = value[0]
            return {"value": value[1:-1].replace(quote * 2, quote)}
        if kind == "quoted":
            return {"column": value[1:-1]}
        if kind == "word":
            low = value.lower()
            if low in ("true", "false"):
                return {"value": low == "true"}
            if low in ("null", "none"):
                return {"value": None}
            return {"column": value}
        raise self.error(f"expected a column or a value, not '{value}'")


def parse(text: str) -> Node:
    """The JSON tree of a string condition (raises ValidationError naming the problem)."""
    if not text.strip():
        raise ValidationError("The filter expression is empty.", target="expression")
    return _Parser(text).parse()


def to_node(expression: Expression | str) -> Node:
    if isinstance(expression, Expression):
        return expression.node
    if isinstance(expression, str):
        return parse(expression)
    raise ValidationError("filter takes ds['column'] conditions or a string such as \"age > 30\".", target="expression")


__all__ = ["Column", "Expression", "parse", "to_node"]
