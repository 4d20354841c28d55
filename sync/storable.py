"""What the databases can store: the limits every value from a device or a client is held to.

PostgreSQL refuses a NUL character in text and in JSON, and any string that is not valid
UTF-8 (in Python, a lone surrogate such as "\\ud800", which JSON's `\\u` escapes can carry);
SQLite's driver refuses the lone surrogate too. JSON columns on PostgreSQL refuse NaN and
Infinity, and Python's `json` reads `NaN`, `Infinity` and `1e400` (which overflows) as such
floats. Integer columns are 32 or 64 bits. A value past these limits is refused by name
before anything of it is written; `json_copy` makes a copy a JSON column keeps anyway (a
rejected operation is kept whole for correction, so nothing a device recorded is lost).
"""

from __future__ import annotations

import math
from typing import Any

# INTEGER on both databases (ids, versions, counts): 32-bit signed.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# BIGINT on PostgreSQL, and SQLite's widest integer: 64-bit signed.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Stands in for a character that cannot be stored, in a kept copy (Unicode's own choice).
REPLACEMENT = "\ufffd"
# The code points UTF-8 cannot encode alone (halves of a pair in UTF-16).
_SURROGATES = ("\ud800", "\udfff")

NUL_MESSAGE = "must not contain a NUL character (\\u0000)"
SURROGATE_MESSAGE = "must be valid Unicode text (a lone surrogate such as \\ud800 is not)"
NUMBER_MESSAGE = "must be a finite number (not NaN, Infinity or beyond the float range)"
INTEGER_MESSAGE = f"must be an integer from {INT64_MIN} to {INT64_MAX}"


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return NUL_MESSAGE
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def is_storable(value: object) -> bool:
    """`value_problems(value)` is empty: the same rules, answered without naming anything (a
    push asks this of every op; the walk that names the parts runs only for a bad one)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or not (item.isascii() or _encodes(item)):
                return False
        elif isinstance(item, dict):
            for key, nested in item.items():
                if "\x00" in key or not (key.isascii() or _encodes(key)):
                    return False
                stack.append(nested)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            if not math.isfinite(item):
                return False
        elif isinstance(item, int) and not INT64_MIN <= item <= INT64_MAX:
            return False
    return True


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def value_problems(value: object, path: str = "") -> dict[str, list[str]]:
    """Every part of a decoded JSON value that cannot be stored, by dotted path ("data.body";
    a list item is "notes.2"); a bad key is named by a storable form of itself."""
    problems: dict[str, list[str]] = {}
    _walk(value, path, problems)
    return problems


def _walk(value: object, path: str, problems: dict[str, list[str]]) -> None:
    kind = type(value)
    if kind is str:
        why = text_problem(value)  # type: ignore[arg-type]  # checked: a str
        if why:
            problems[path or "value"] = [why]
    elif kind is dict:
        for key, item in value.items():  # type: ignore[attr-defined]  # checked: a dict
            name = str(key)
            why = text_problem(name)
            where = f"{path}.{storable_text(name)}" if path else storable_text(name)
            if why:
                problems[where] = [f"the field name {why}"]
            _walk(item, where, problems)
    elif kind is list:
        for index, item in enumerate(value):  # type: ignore[arg-type]  # checked: a list
            _walk(item, f"{path}.{index}" if path else str(index), problems)
    elif kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]  # checked: a float
            problems[path or "value"] = [NUMBER_MESSAGE]
    elif kind is int and not INT64_MIN <= value <= INT64_MAX:  # type: ignore[operator]
        problems[path or "value"] = [INTEGER_MESSAGE]


def storable_text(value: str) -> str:
    """`value` with each NUL and lone surrogate replaced by U+FFFD."""
    if text_problem(value) is None:
        return value
    return "".join(REPLACEMENT if ch == "\x00" or _SURROGATES[0] <= ch <= _SURROGATES[1] else ch
                   for ch in value)


def json_copy(value: Any) -> Any:
    """A copy of a decoded JSON value that a JSON column holds on both databases: NaN and the
    infinities (which Python writes as bare NaN and Infinity, not JSON) as the strings "NaN",
    "Infinity" and "-Infinity"; everything else as it is (a JSON column, unlike a text column,
    holds NUL and lone surrogates as \\u escapes, and integers of any size)."""
    kind = type(value)
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    if kind is float and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
