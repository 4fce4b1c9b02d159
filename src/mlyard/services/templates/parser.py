"""Parsing template expressions (the text between the outer brackets of ``"[...]"``).

A string that starts with ``[`` and ends with ``]`` is an expression; a string that starts
with ``[[`` is a literal with the first ``[`` removed. Inside, the grammar is::

    expression := primary ( '.' name | '[' expression ']' )*
    primary    := 'string' | integer | name '(' [ expression ( ',' expression )* ] ')'

Strings are single-quoted (``''`` is a quote); integers may be negative; ``true()``,
``false()`` and ``null()`` are function calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mlyard.core.errors import InvalidTemplate


@dataclass(frozen=True)
class Literal:
    value: Any
    pos: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int


@dataclass(frozen=True)
class Member:
    target: Node
    name: str
    pos: int


@dataclass(frozen=True)
class Index:
    target: Node
    index: Node
    pos: int


Node = Literal | Call | Member | Index


class _SyntaxError(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message, self.pos = message, pos


@dataclass(frozen=True)
class _Token:
    kind: str  # name, string, int, one of "().[],", or end
    value: Any
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char in "().[],":
            tokens.append(_Token(char, char, pos))
            pos += 1
        elif char == "'":
            start, pos, parts = pos, pos + 1, []
            while True:
                end = text.find("'", pos)
                if end < 0:
                    raise _SyntaxError("unterminated string (strings are closed with ')", start)
                parts.append(text[pos:end])
                if text.startswith("''", end):
                    parts.append("'")
                    pos = end + 2
                else:
                    pos = end + 1
                    break
            tokens.append(_Token("string", "".join(parts), start))
        elif char.isdigit() or (char == "-" and text[pos + 1 : pos + 2].isdigit()):
            start = pos
            pos += 1
            while pos < len(text) and text[pos].isdigit():
                pos += 1
            tokens.append(_Token("int", int(text[start:pos]), start))
        elif char.isalpha() or char == "_":
            start = pos
            while pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
                pos += 1
            tokens.append(_Token("name", text[start:pos], start))
        else:
            raise _SyntaxError(f"unexpected character {char!r}", pos)
    tokens.append(_Token("end", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self, kind: str, what: str) -> _Token:
        token = self.peek()
        if token.kind != kind:
            found = "the end of the expression" if token.kind == "end" else repr(str(token.value))
            raise _SyntaxError(f"expected {what}, found {found}", token.pos)
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.expression()
        token = self.peek()
        if token.kind != "end":
            raise _SyntaxError(f"unexpected {str(token.value)!r} after the end of the expression", token.pos)
        return node

    def expression(self) -> Node:
        node = self.primary()
        while self.peek().kind in (".", "["):
            token = self.take(self.peek().kind, "'.' or '['")
            if token.kind == ".":
                node = Member(node, self.take("name", "a property name after '.'").value, token.pos)
            else:
                node = Index(node, self.expression(), token.pos)
                self.take("]", "']' to close the index")
        return node

    def primary(self) -> Node:
        token = self.peek()
        if token.kind in ("string", "int"):
            self.at += 1
            return Literal(token.value, token.pos)
        if token.kind != "name":
            self.take("name", "a function call, a 'string' or an integer")
        self.at += 1
        if self.peek().kind != "(":
            hint = f"; write {token.value}() to call it" if token.value.lower() in ("true", "false", "null") else ""
            raise _SyntaxError(f"expected '(' after function name '{token.value}'{hint}", self.peek().pos)
        self.at += 1
        args: list[Node] = []
        if self.peek().kind != ")":
            args.append(self.expression())
            while self.peek().kind == ",":
                self.at += 1
                args.append(self.expression())
        self.take(")", f"',' or ')' in the call to {token.value}()")
        return Call(token.value, tuple(args), token.pos)


@lru_cache(maxsize=2048)
def _parse_cached(text: str) -> Node:
    return _Parser(text).parse()


def is_expression(value: str) -> bool:
    """Whether a template string is an expression (``[...]`` but not ``[[...``)."""
    return len(value) >= 2 and value[0] == "[" and value[-1] == "]" and not value.startswith("[[")


def parse_expression(source: str, where: str = "expression") -> Node:
    """Parse a whole ``[...]`` template string; syntax errors name ``where`` and the column."""
    inner = source[1:-1] if is_expression(source) else source
    offset = 2 if is_expression(source) else 1
    try:
        return _parse_cached(inner)
    except _SyntaxError as exc:
        raise InvalidTemplate(
            f"{where}: syntax error at column {exc.pos + offset} of {source!r}: {exc.message}",
            target=where,
        ) from None


def check_syntax(value: Any, where: str) -> None:
    """Parse every expression inside a template value, to report syntax errors early."""
    if isinstance(value, str) and is_expression(value):
        parse_expression(value, where)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_syntax(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_syntax(item, f"{where}[{index}]")
