"""Template functions on strings, conversions and encodings.

Names and behaviour follow ARM template functions. String comparisons are case-sensitive
except in ``startsWith``, ``endsWith``, ``indexOf`` and ``lastIndexOf`` (as in ARM).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from typing import Any

from mlyard.services.templates.registry import Args, FunctionTable, preview, to_text, type_name

TABLE = FunctionTable()
fn = TABLE.register


# --- strings -------------------------------------------------------------------------


@fn("concat", (1, None))
def _concat(a: Args) -> Any:
    if all(isinstance(v, list) for v in a.values):
        return [item for v in a.values for item in v]
    parts = []
    for index, value in enumerate(a.values):
        if isinstance(value, list | dict) or value is None:
            a.fail(f"takes all strings or all arrays; argument {index + 1} is {type_name(value)}")
        parts.append(to_text(value))
    return "".join(parts)


_FORMAT_ITEM = re.compile(r"\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


def _format_item(a: Args, value: Any, spec: str | None) -> str:
    if not spec:
        return to_text(value)
    code, digits = spec[0].upper(), spec[1:]
    if digits and not digits.isdigit():
        a.fail(f"format specifier ':{spec}' is not supported (use D, X or N with a digit count)")
    if code in ("D", "X") and isinstance(value, int) and not isinstance(value, bool):
        body = format(abs(value), "d" if code == "D" else spec[0])
        return ("-" if value < 0 else "") + body.zfill(int(digits or 0))
    if code == "N" and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.{int(digits or 2)}f}"
    a.fail(f"format specifier ':{spec}' is not supported for {type_name(value)} (use D, X or N)")


@fn("format", (1, None))
def _format(a: Args) -> str:
    template, args = a.text(0), a.values[1:]
    out: list[str] = []
    pos = 0
    while pos < len(template):
        char = template[pos]
        if template.startswith("{{", pos) or template.startswith("}}", pos):
            out.append(char)
            pos += 2
        elif char == "{":
            match = _FORMAT_ITEM.match(template, pos)
            if not match:
                a.fail(f"bad format item at position {pos} of {preview(template)}; write {{{{ for '{{'")
            number = int(match.group(1))
            if number >= len(args):
                a.fail(f"the format string uses {{{number}}} but only {len(args)} value(s) follow it")
            text = _format_item(a, args[number], match.group(3))
            width = int(match.group(2) or 0)
            out.append(text.rjust(width) if width >= 0 else text.ljust(-width))
            pos = match.end()
        elif char == "}":
            a.fail(f"lone '}}' at position {pos} of {preview(template)}; write }}}} for '}}'")
        else:
            out.append(char)
            pos += 1
    return "".join(out)


@fn("toLower", 1)
def _to_lower(a: Args) -> str:
    return a.text(0).lower()


@fn("toUpper", 1)
def _to_upper(a: Args) -> str:
    return a.text(0).upper()


@fn("replace", 3)
def _replace(a: Args) -> str:
    return a.text(0).replace(a.text(1), a.text(2))


@fn("substring", (2, 3))
def _substring(a: Args) -> str:
    text, start = a.text(0), a.integer(1)
    length = a.integer(2) if len(a) == 3 else len(text) - start
    if not 0 <= start <= len(text):
        a.fail(f"start index {start} is outside the string (length {len(text)})")
    if length < 0 or start + length > len(text):
        a.fail(f"length {length} from index {start} runs past the end of the string (length {len(text)})")
    return text[start : start + length]


@fn("trim", 1)
def _trim(a: Args) -> str:
    return a.text(0).strip()


@fn("startsWith", 2)
def _starts_with(a: Args) -> bool:
    return a.text(0).lower().startswith(a.text(1).lower())


@fn("endsWith", 2)
def _ends_with(a: Args) -> bool:
    return a.text(0).lower().endswith(a.text(1).lower())


@fn("indexOf", 2)
def _index_of(a: Args) -> int:
    return a.text(0).lower().find(a.text(1).lower())


@fn("lastIndexOf", 2)
def _last_index_of(a: Args) -> int:
    return a.text(0).lower().rfind(a.text(1).lower())


@fn("split", 2)
def _split(a: Args) -> list[str]:
    text, delimiters = a.text(0), a.values[1]
    if isinstance(delimiters, str):
        delimiters = [delimiters]
    if not isinstance(delimiters, list) or not all(isinstance(d, str) and d for d in delimiters):
        a.fail("argument 2 must be a non-empty string or an array of them")
    return re.split("|".join(re.escape(d) for d in delimiters), text)


@fn("join", 2)
def _join(a: Args) -> str:
    items = a.array(0)
    if any(isinstance(v, list | dict) for v in items):
        a.fail("argument 1 must be an array of strings, numbers or bools")
    return a.text(1).join(to_text(v) for v in items)


@fn("padLeft", (2, 3))
def _pad_left(a: Args) -> str:
    value, width = a.values[0], a.integer(1)
    pad = a.text(2) if len(a) == 3 else " "
    if len(pad) != 1:
        a.fail("the padding must be a single character")
    if isinstance(value, list | dict):
        a.fail(f"argument 1 must be a string or an integer, got {type_name(value)}")
    return to_text(value).rjust(width, pad)


# --- conversions and encodings -----------------------------------------------------------


@fn("string", 1)
def _string(a: Args) -> str:
    return to_text(a.values[0])


@fn("int", 1)
def _int(a: Args) -> int:
    value = a.values[0]
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    a.fail(f"cannot convert {type_name(value)} {preview(value)} to an integer")


@fn("bool", 1)
def _bool(a: Args) -> bool:
    value = a.values[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int):
        return value != 0
    a.fail(f"cannot convert {type_name(value)} {preview(value)} to a bool (use 'true' or 'false')")


@fn("json", 1)
def _json(a: Args) -> Any:
    try:
        return json.loads(a.text(0))
    except json.JSONDecodeError as exc:
        a.fail(f"not valid JSON: {exc}")


@fn("base64", 1)
def _base64(a: Args) -> str:
    return base64.b64encode(a.text(0).encode()).decode("ascii")


@fn("base64ToString", 1)
def _base64_to_string(a: Args) -> str:
    try:
        return base64.b64decode(a.text(0), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        a.fail("argument 1 is not base64-encoded UTF-8 text")


@fn("uri", 2)
def _uri(a: Args) -> str:
    return urllib.parse.urljoin(a.text(0), a.text(1))


@fn("uriComponent", 1)
def _uri_component(a: Args) -> str:
    return urllib.parse.quote(a.text(0), safe="")


@fn("uriComponentToString", 1)
def _uri_component_to_string(a: Args) -> str:
    return urllib.parse.unquote(a.text(0))
