"""SQLite under many devices at once (the `make run` database): WAL, a busy timeout and
synchronous=NORMAL on every connection, so 30 tablets pushing together are all served; and a
write lock held past the busy timeout answers 503 busy with Retry-After, not "unreachable".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

import server.sqlite
from server.extensions import db
from server.locations.models import LocationPoint
from tests.fixtures.concurrency import together
from tests.fixtures.sync import PUSH, Tablet, count_rows, outcomes

DEVICES = 30
PUSHES_PER_DEVICE = 5
POINTS_PER_PUSH = 20
# A safety net only: a thread that never returns fails the test instead of hanging it.
STUCK_AFTER_SECONDS = 120
# Short enough for a test to see the busy answer quickly.
TEST_BUSY_TIMEOUT_MS = 200


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file only: what `make run` serves from."""
    return f"sqlite:///{tmp_path / 'heart.sqlite'}"


def sqlite_path(app: Flask) -> str:
    path = db.engine.url.database
    assert path is not None
    return path


def test_every_connection_is_set_up_for_concurrent_use(app: Flask) -> None:
    with db.engine.connect() as conn:
        pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("journal_mode", "busy_timeout", "synchronous")}
    assert pragma == {"journal_mode": "wal", "busy_timeout": server.sqlite.BUSY_TIMEOUT_MS,
                      "synchronous": 1}  # 1 = NORMAL


def test_thirty_tablets_pushing_at_once_are_all_served(
        app: Flask, tablet: Callable[..., Tablet]) -> None:
    tablets = [tablet() for _ in range(DEVICES)]
    db.session.remove()  # nothing of the set-up holds a transaction while the tablets push

    def shift(device: Tablet) -> list[tuple[int, Any]]:
        http = app.test_client()
        answers = []
        for _ in range(PUSHES_PER_DEVICE):
            ops = [device.point() for _ in range(POINTS_PER_PUSH)]
            body = {"protocol_version": 2, "device_time": device.now().isoformat(), "ops": ops}
            response = http.post(PUSH, json=body, headers=device.session.headers)
            answers.append((response.status_code, response.get_json()))
        return answers

    shifts = together([partial(shift, t) for t in tablets], stuck_after=STUCK_AFTER_SECONDS)
    answers = [answer for pushes in shifts for answer in pushes]
    statuses = [status for status, _ in answers]
    assert statuses == [200] * DEVICES * PUSHES_PER_DEVICE, [b for s, b in answers if s != 200][:3]
    assert count_rows(LocationPoint) == DEVICES * PUSHES_PER_DEVICE * POINTS_PER_PUSH


def test_a_write_lock_held_too_long_is_503_busy_and_nothing_is_half_written(
        app: Flask, tablet: Callable[..., Tablet], monkeypatch: pytest.MonkeyPatch) -> None:
    device = tablet()
    monkeypatch.setattr(server.sqlite, "BUSY_TIMEOUT_MS", TEST_BUSY_TIMEOUT_MS)
    db.session.remove()
    db.engine.dispose()  # new connections take the short timeout
    holder = sqlite3.connect(sqlite_path(app), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing, and not letting go
        busy = device.push([device.point(), device.point()], expect=503)
        assert busy.json["reason"] == "busy"
        assert "busy" in busy.json["message"]
        assert busy.headers["Retry-After"] == "1"
    finally:
        holder.rollback()
        holder.close()
    assert count_rows(LocationPoint) == 0
    again = device.push(device.pushed[-1]["ops"])
    assert outcomes(again) == ["applied", "applied"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LocationPoint)) == 2
