"""The change feed writer: every change to a synced record is noted during the unit of work
(`server.changes.note_change`) and written at commit, in commit order.

On PostgreSQL sequence values become visible at commit, not at insert, so a reader could
see position 12 before 11 commits and skip 11 forever. Feed rows are therefore inserted
only inside `before_commit`, under the commit-order lock (`server.locking`): a second
writer waits until the first commits, so positions are handed out in commit order and
`position > cursor` never skips. The lock is held only for these inserts and the commit.
SQLite has a single writer, which gives the same order without a lock.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.changes import PENDING_KEY, Change
from server.locking import take_commit_order_lock
from server.sync.bulk import bulk_insert
from server.sync.models import ChangeLogEntry


def _write_pending(session: Session) -> None:
    pending: list[Change] = session.info.pop(PENDING_KEY, [])
    if not pending:
        return
    take_commit_order_lock(session)
    unique = list(dict.fromkeys(pending))
    # COPY on PostgreSQL hands out positions in row order, like the INSERT did.
    bulk_insert(session, ChangeLogEntry.__table__,  # type: ignore[arg-type]
                [{"scope": c.scope, "kind": c.kind, "record_id": c.record_id, "op": c.op,
                  "origin_device_id": c.origin} for c in unique])


def _discard_pending(session: Session, _previous: object) -> None:
    session.info.pop(PENDING_KEY, None)


def install() -> None:
    """Hook the writer into every session (once per process, however many apps exist)."""
    if not event.contains(Session, "before_commit", _write_pending):
        event.listen(Session, "before_commit", _write_pending)
        event.listen(Session, "after_soft_rollback", _discard_pending)


def latest_position(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.max(ChangeLogEntry.position), 0))) or 0)
