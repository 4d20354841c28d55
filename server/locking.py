"""Row locks for read-modify-write: rows a transaction reads in order to change them.

PostgreSQL locks the rows themselves in primary-key order, so two transactions locking
overlapping sets wait for each other instead of deadlocking, and the one that waited reads
the other's committed change (READ COMMITTED returns the newest version of a row it had to
wait for). The lock is `FOR NO KEY UPDATE`, the one an UPDATE of other columns takes: keys
never change, and a row referring to a locked one (a note on a call being edited) can still
be inserted meanwhile; `FOR UPDATE` would make that foreign-key check wait, and two pushes
each noting on the call the other locked would deadlock. Everyone takes these locks before
the commit-order lock (`take_commit_order_lock`), which is taken at commit.

SQLite has one writer for the whole database, and pysqlite opens a transaction only at the
first write: a row read before it may be changed by another writer before this one writes,
which would then overwrite that change from a stale read. A write that matches no row
takes the database's write lock at once, so every read that follows sees the last commit
and stays true until this transaction ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models_base import Base

M = TypeVar("M", bound=Base)


def take_sqlite_write_lock(session: Session, table: sa.Table) -> None:
    """On SQLite, hold the database's write lock from now until the transaction ends."""
    if session.get_bind().dialect.name == "sqlite":
        key = next(iter(table.primary_key.columns))
        session.execute(sa.update(table).where(sa.false()).values({key.name: key}))


def take_writer_lock(session: Session, table: sa.Table, key: int) -> None:
    """Until the transaction ends, be the one writer that holds `key`: on PostgreSQL its
    transaction-level advisory lock (readers carry on), on SQLite the database's write lock.
    For a read-then-insert of rows no one holds yet, which row locks cannot cover."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))
    else:
        take_sqlite_write_lock(session, table)


def lock_rows(session: Session, model: type[M], ids: Iterable[Any]) -> list[M]:
    """The rows of `model` with these primary keys, in key order, locked until the
    transaction ends; attributes already loaded in the session are refreshed."""
    table: sa.Table = model.__table__  # type: ignore[assignment]
    key = next(iter(table.primary_key.columns))
    ordered = sorted(set(ids))
    if not ordered:
        return []
    take_sqlite_write_lock(session, table)
    stmt = (sa.select(model).where(key.in_(ordered)).order_by(key)
            .with_for_update(key_share=True).execution_options(populate_existing=True))
    return list(session.scalars(stmt))


# Arbitrary constant naming the commit-order lock (ASCII "HEARTFED").
COMMIT_ORDER_LOCK_KEY = 0x4845_4152_5446_4544 & 0x7FFF_FFFF_FFFF_FFFF


def take_commit_order_lock(session: Session) -> None:
    """On PostgreSQL, the transaction-level advisory lock under which rows that readers follow
    by position (the change feed, the live stream's events) are inserted, at commit only: a
    second writer waits until the first commits, so positions are handed out in commit order.
    Taken again in the same transaction it is already held (advisory locks stack)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(COMMIT_ORDER_LOCK_KEY)))


def lock_row(session: Session, model: type[M], row_id: Any) -> M | None:
    """One row of `model`, locked as `lock_rows` does; None when there is none."""
    found = lock_rows(session, model, [row_id])
    return found[0] if found else None
