"""The change feed under concurrent writers on PostgreSQL: a cursor never skips a change.

Sequence values are handed out at insert but become visible at commit, so with a plain
`position > cursor` feed a reader can see 12 before 11 commits and move past 11 forever.
Eight writers push through the HTTP API (each on its own test client, so its own session
and connection); a commit hook holds some transactions open for a few milliseconds after
their feed rows were written, which makes commits land out of order. Two readers pull in
a loop with their cursors while this runs; in the end each has seen every committed
change, and the naive feed (reading the same table by position without the commit-order
guarantee) is shown to be what the design protects against.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from server.auth.models import Role
from server.auth.services import create_user
from server.extensions import db
from server.locations.models import LocationPoint
from server.models_base import utcnow
from server.sync.models import SyncOpResult
from server.units.models import Program, Unit
from tests.conftest import _truncate_all, make_app
from tests.fixtures.people import PASSWORD, bearer, put_on_shift
from tests.fixtures.sync import PULL, PUSH, make_op

pytestmark = pytest.mark.postgres

WRITERS = 8
COMMITS_PER_WRITER = 50
READERS = 2
# Some transactions stay open this long after writing their feed rows (seconds).
MAX_HOLD = 0.004
# All writers together finish within this, or the test fails (seconds): far more than the
# few seconds they take, and far less than an access token's life, so a stall shows as a stall.
WRITERS_DEADLINE = 180

_hold = threading.local()


def _hold_commit_open(session: OrmSession) -> None:
    if getattr(_hold, "enabled", False) and random.random() < 0.3:
        time.sleep(random.uniform(0, MAX_HOLD))


@pytest.fixture
def pg_app(pg_database: str) -> Iterator[Flask]:
    _truncate_all(pg_database)
    app = make_app(pg_database, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 16, "max_overflow": 8})
    event.listen(OrmSession, "before_commit", _hold_commit_open)
    try:
        yield app
    finally:
        event.remove(OrmSession, "before_commit", _hold_commit_open)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _sign_in(app: Flask, unit_id: int, name: str) -> dict[str, str]:
    with app.app_context():
        user = create_user(db.session, username=name, full_name=name, role=Role.RESPONDER_EMT,
                           password=PASSWORD)
        put_on_shift(db.session.get(Unit, unit_id), user)  # type: ignore[arg-type]
        db.session.commit()
    return bearer(app.test_client(), name)


def _writer(app: Flask, headers: dict[str, str], committed: list[str],
            errors: list[str]) -> None:
    client = app.test_client()
    _hold.enabled = True
    for seq in range(1, COMMITS_PER_WRITER + 1):
        op = make_op("location_point", {"lat": 35.9, "lon": -78.9}, seq)
        body = {"protocol_version": 2, "device_time": utcnow().isoformat(), "ops": [op]}
        try:
            answer = client.post(PUSH, json=body, headers=headers)
        except Exception as exc:  # reported by the main thread
            errors.append(f"push {seq}: {exc!r}")
            return
        if answer.status_code != 200 or answer.json["results"][0]["outcome"] != "applied":
            errors.append(f"push {seq}: {answer.status_code} {answer.json}")
            return
        committed.append(op["record_id"])


def _pull_once(client: Any, headers: dict[str, str], cursor: str | None,
               seen: list[str], pages: list[int]) -> str:
    while True:
        params: dict[str, Any] = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        answer = client.get(PULL, query_string=params, headers=headers)
        assert answer.status_code == 200, answer.json
        pages[0] += 1
        seen += [c["id"] for c in answer.json["changes"] if c["kind"] == "location_point"]
        cursor = answer.json["cursor"]
        if not answer.json["has_more"]:
            return cursor


def _reader(app: Flask, headers: dict[str, str], done: threading.Event, seen: list[str],
            errors: list[str], pulls: list[int]) -> None:
    client = app.test_client()
    try:
        cursor = _pull_once(client, headers, None, seen, pulls)
        while not done.is_set():
            cursor = _pull_once(client, headers, cursor, seen, pulls)
        _pull_once(client, headers, cursor, seen, [0])  # after the last commit
    except Exception as exc:  # reported by the main thread
        errors.append(repr(exc))


def test_concurrent_writers_never_make_a_reader_skip_a_change(pg_app: Flask) -> None:
    with pg_app.app_context():
        unit = Unit(call_sign="FEED-1", program=Program.COMMUNITY_RESPONSE)
        db.session.add(unit)
        db.session.commit()
        unit_id = unit.id
    writer_headers = [_sign_in(pg_app, unit_id, f"writer{i}") for i in range(WRITERS)]
    reader_headers = [_sign_in(pg_app, unit_id, f"reader{i}") for i in range(READERS)]
    committed: list[list[str]] = [[] for _ in range(WRITERS)]
    seen: list[list[str]] = [[] for _ in range(READERS)]
    pulls = [[0] for _ in range(READERS)]
    errors: list[str] = []
    done = threading.Event()

    readers = [threading.Thread(target=_reader, args=(pg_app, reader_headers[i], done, seen[i],
                                                      errors, pulls[i])) for i in range(READERS)]
    writers = [threading.Thread(target=_writer, args=(pg_app, writer_headers[i], committed[i],
                                                      errors)) for i in range(WRITERS)]
    for thread in readers + writers:
        thread.start()
    deadline = time.monotonic() + WRITERS_DEADLINE
    for thread in writers:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stalled = sum(thread.is_alive() for thread in writers)
    done.set()
    for thread in readers:
        thread.join(timeout=60)

    assert not stalled, f"{stalled} writers still pushing after {WRITERS_DEADLINE} s"
    assert not errors, errors[:3]
    all_committed = {rid for ids in committed for rid in ids}
    assert len(all_committed) == WRITERS * COMMITS_PER_WRITER
    for i in range(READERS):
        missing = all_committed - set(seen[i])
        assert not missing, f"reader {i} skipped {len(missing)} of {len(all_committed)} changes"
        assert set(seen[i]) == all_committed
        assert pulls[i][0] > 3, "the reader should have read pages while writers were committing"


def test_the_same_batch_pushed_twice_at_once_is_applied_once(pg_app: Flask) -> None:
    """A retry after a timeout can reach the server while the first push still runs."""
    with pg_app.app_context():
        unit = Unit(call_sign="FEED-2", program=Program.COMMUNITY_RESPONSE)
        db.session.add(unit)
        db.session.commit()
        unit_id = unit.id
    headers = _sign_in(pg_app, unit_id, "retrier")
    ops = [make_op("location_point", {"lat": 35.9, "lon": -78.9}, seq) for seq in range(1, 201)]
    body = {"protocol_version": 2, "device_time": utcnow().isoformat(), "ops": ops}
    answers: list[Any] = []

    def push() -> None:
        answers.append(pg_app.test_client().post(PUSH, json=body, headers=headers))

    threads = [threading.Thread(target=push) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [a.status_code for a in answers] == [200] * 4
    firsts = [a for a in answers if not a.json["results"][0]["replayed"]]
    assert len(firsts) == 1
    assert all(r["replayed"] for a in answers if a is not firsts[0] for r in a.json["results"])
    with pg_app.app_context():
        points = db.session.scalar(sa.select(sa.func.count()).select_from(LocationPoint))
        results = db.session.scalar(sa.select(sa.func.count()).select_from(SyncOpResult))
        db.session.remove()
    assert (points, results) == (200, 0)  # plain fact creates keep no result row
