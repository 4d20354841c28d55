"""The scheduled feed purge: drops expired change-feed rows, keeps the newest, runs once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.changes import note_change
from server.extensions import db
from server.jobs import run_purge
from server.models_base import utcnow
from server.sync.models import ChangeLogEntry


def _feed_rows(count: int) -> None:
    for n in range(count):
        note_change(db.session, "call", f"record-{n}", ["unit:1"])
        db.session.commit()


def test_purge_drops_rows_older_than_retention_but_keeps_the_newest(app: Any) -> None:
    _feed_rows(4)
    db.session.execute(sa.update(ChangeLogEntry).values(at=utcnow() - timedelta(days=400)))
    db.session.commit()
    assert run_purge(app) == 3
    left = db.session.scalars(sa.select(ChangeLogEntry.record_id)).all()
    assert left == ["record-3"]


def test_purge_keeps_rows_within_retention(app: Any) -> None:
    _feed_rows(3)
    assert run_purge(app) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry)) == 3
