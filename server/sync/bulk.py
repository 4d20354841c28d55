"""Bulk inserts for the sync hot paths: COPY on PostgreSQL, executemany elsewhere.

A push writes hundreds of fact rows, results and feed rows per request; COPY through the
session's own connection (same transaction) is several times faster than INSERT ... VALUES.
Values go through each column's bind processor (aware datetimes to UTC, enums to values,
JSON to text) and Python-side column defaults are filled in, so the stored rows are the
same as `session.execute(sa.insert(table), rows)` would store.
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
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
    # Values go to psycopg's (C) COPY writer as they are, except: aware times are only
    # checked (the UTC conversion changes nothing in timestamptz) and other processors run.
    for col in columns:
        if isinstance(col.type, UTCDateTime):
            _check_aware(rows, col.key)
    converts: list[tuple[int, Callable[[Any], Any]]] = [
        (i, p) for i, (col, p) in enumerate(zip(columns, processors, strict=True))
        if p is not None and not isinstance(col.type, UTCDateTime)]
    get = operator.itemgetter(*keys)
    with driver.cursor() as cur, cur.copy(sql) as copy:
        write = copy.write_row
        if not converts and not default_values and len(keys) > 1:
            for row in rows:
                write(get(row))
            return
        for row in rows:
            values = [row[k] for k in keys]
            for i, convert in converts:
                values[i] = convert(values[i])
            write(values + default_values)


def _check_aware(rows: Sequence[dict[str, Any]], key: str) -> None:
    for row in rows:
        value = row[key]
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; HEART Field stores aware times only")


def _uuid_objects(table: sa.Table, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Callers may give UUID columns canonical strings (COPY takes them as they are); an
    INSERT through SQLAlchemy wants uuid.UUID objects."""
    keys = [c.key for c in table.columns if isinstance(c.type, sa.Uuid)]
    out = []
    for row in rows:
        bad = [k for k in keys if isinstance(row.get(k), str)]
        out.append({**row, **{k: uuid.UUID(row[k]) for k in bad}} if bad else row)
    return out
