"""Bulk inserts for the sync hot paths: COPY on PostgreSQL, executemany elsewhere.

A push writes hundreds of fact rows, results and feed rows per request; COPY through the
session's own connection (same transaction) is several times faster than INSERT ... VALUES.
Values go through each column's bind processor (aware datetimes to UTC, enums to values,
JSON to text) and Python-side column defaults are filled in, so the stored rows are the
same as `session.execute(sa.insert(table), rows)` would store.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy.orm import Session

from server.models_base import UTCDateTime

# Below this many rows a plain INSERT is as fast and keeps the SQL simple to read in logs.
COPY_MIN_ROWS = 8


def bulk_insert(session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    keys = list(rows[0])
    if (dialect.name != "postgresql" or len(rows) < COPY_MIN_ROWS
            or any(len(r) != len(keys) for r in rows)):
        session.execute(sa.insert(table), _uuid_objects(table, rows))
        return
    columns = [table.c[k] for k in keys]
    defaults: list[tuple[str, Any]] = []
    for col in table.columns:
        if col.key in rows[0] or col.default is None:
            continue
        default = col.default
        if getattr(default, "is_scalar", False):
            defaults.append((col.key, default.arg))  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            defaults.append((col.key, default.arg(None)))  # type: ignore[attr-defined]
        # Sequences and server defaults: left to PostgreSQL.
    processors: list[Callable[[Any], Any] | None] = [
        c.type._cached_bind_processor(dialect) for c in columns]
    default_cols = [table.c[k] for k, _ in defaults]
    default_values = []
    for col, (_, value) in zip(default_cols, defaults, strict=True):
        proc = col.type._cached_bind_processor(dialect)
        default_values.append(proc(value) if proc else value)
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in [*columns, *default_cols])
    sql = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    driver = conn.connection.driver_connection
    assert driver is not None
    pairs = list(zip(keys, processors, strict=True))
    formats = [(k, _column_format(c, proc)) for (k, proc), c in zip(pairs, columns, strict=True)]
    try:
        # COPY's text format built here: several times faster than adapting value by value.
        tail = "".join("\t" + _FORMAT[type(v)](v) for v in default_values) + "\n"
        text = "".join(["\t".join([fmt(row[k]) for k, fmt in formats]) + tail for row in rows])
    except KeyError:
        text = None
    with driver.cursor() as cur, cur.copy(sql) as copy:
        if text is not None:
            copy.write(text.encode())
            return
        write = copy.write_row
        for row in rows:
            write([proc(row[k]) if proc else row[k] for k, proc in pairs] + default_values)


def _column_format(column: sa.Column[Any], proc: Callable[[Any], Any] | None) -> Callable[[Any], str]:
    """value -> COPY text for one column (KeyError: a value this module does not format)."""
    if isinstance(column.type, UTCDateTime):
        return _aware_time  # the processor's UTC conversion changes nothing in timestamptz
    if proc is None:
        return lambda v: _FORMAT[type(v)](v)

    def fmt(value: Any) -> str:
        value = proc(value)
        return _FORMAT[type(value)](value)
    return fmt


def _aware_time(value: Any) -> str:
    if value is None:
        return "\\N"
    if type(value) is not datetime:
        raise KeyError(type(value))
    if value.tzinfo is None:
        raise ValueError("naive datetime given; HEART Field stores aware times only")
    return value.isoformat()


def _uuid_objects(table: sa.Table, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Callers may give UUID columns canonical strings (COPY takes them as they are); an
    INSERT through SQLAlchemy wants uuid.UUID objects."""
    keys = [c.key for c in table.columns if isinstance(c.type, sa.Uuid)]
    out = []
    for row in rows:
        bad = [k for k in keys if isinstance(row.get(k), str)]
        out.append({**row, **{k: uuid.UUID(row[k]) for k in bad}} if bad else row)
    return out


_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _str(value: str) -> str:
    if "\x00" in value:
        raise KeyError("NUL")  # PostgreSQL refuses it: let psycopg raise its own error
    return value.translate(_ESCAPE) if _NEEDS_ESCAPE.search(value) else value


def _json(value: Json) -> str:
    text = (value.dumps or json.dumps)(value.obj)
    return _str(text.decode() if isinstance(text, bytes) else text)


_FORMAT: dict[type, Callable[[Any], str]] = {
    str: _str,
    uuid.UUID: str,
    int: str,
    float: repr,
    bool: lambda v: "t" if v else "f",
    datetime: datetime.isoformat,
    type(None): lambda _v: "\\N",
    Json: _json,
}
