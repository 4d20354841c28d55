"""On PostgreSQL: the same escalation sweep run at the same instant by two real processes
fires each tier once, and the database refuses to change or remove a logged step."""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from server.backups.models import BackupEvent, BackupRequest, BackupState, Origin, Urgency
from server.backups.sweep import run_sweep
from server.extensions import db
from server.models_base import Base
from server.stream.models import StreamEvent
from server.units.models import Program, Unit
from tests.conftest import _truncate_all, make_app

pytestmark = pytest.mark.postgres

RECEIVED = datetime(2026, 12, 1, 3, 0, 0, tzinfo=UTC)
PROCESSES = 2
# A bound for a broken run (seconds), never reached when both processes start.
START_TIMEOUT = 180
# Past every tier's timeout from RECEIVED (60 + 60 + 60 + 90 + 120 s): one sweep per tier.
SWEEPS = [RECEIVED + timedelta(seconds=s) for s in (60, 120, 180, 270, 390)]


def _worker(url: str, barrier: Any, results: Any) -> None:
    app = make_app(url)
    fired = []
    for now in SWEEPS:
        barrier.wait(START_TIMEOUT)
        fired += run_sweep(app, now)["fired"]
    results.put(fired)


@pytest.fixture
def pg_url(pg_database: str) -> str:
    """The run's database, emptied, with every table an app's models name (the database may
    have been made before every feature's models were imported)."""
    make_app(pg_database)
    engine = sa.create_engine(pg_database)
    Base.metadata.create_all(engine)
    engine.dispose()
    _truncate_all(pg_database)
    return pg_database


def _open_request(url: str) -> uuid.UUID:
    app = make_app(url)
    with app.app_context():
        unit = Unit(call_sign="PG-1", program=Program.COMMUNITY_RESPONSE)
        db.session.add(unit)
        db.session.flush()
        request = BackupRequest(id=uuid.uuid4(), unit_id=unit.id, urgency=Urgency.URGENT,
                                origin=Origin.RESPONDER, state=BackupState.OPEN, tier=0,
                                next_escalation_at=RECEIVED + timedelta(seconds=60),
                                requested_at=RECEIVED, received_at=RECEIVED, delivered_to=0)
        db.session.add(request)
        db.session.flush()
        db.session.add(BackupEvent(request_id=request.id, at=RECEIVED, type="requested", tier=0))
        db.session.commit()
        request_id = request.id
        db.session.remove()
        db.engine.dispose()
    return request_id


def test_two_processes_sweeping_at_once_fire_each_tier_once(pg_url: str) -> None:
    request_id = _open_request(pg_url)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(pg_url, barrier, results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    fired = [results.get(timeout=START_TIMEOUT) for _ in workers]
    for worker in workers:
        worker.join(START_TIMEOUT)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    names = sorted(f.split(":")[1] for f in fired[0] + fired[1])
    assert names == sorted(["re_alert", "wider_radius", "supervisor_on_call", "all_units",
                            "broadcast"])
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        types = conn.scalars(sa.select(StreamEvent.type).order_by(StreamEvent.id)).all()
        steps = conn.scalars(sa.select(BackupEvent.type).where(
            BackupEvent.request_id == request_id).order_by(BackupEvent.id)).all()
    engine.dispose()
    assert types == ["backup.escalated"] * 4 + ["backup.broadcast"]
    assert steps == ["requested"] + ["escalated"] * 4 + ["broadcast"]


def test_the_event_log_refuses_update_and_delete(pg_url: str) -> None:
    _open_request(pg_url)
    engine = sa.create_engine(pg_url)
    try:
        for statement in (sa.update(BackupEvent).values(type="forged"), sa.delete(BackupEvent)):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(statement)
        with engine.connect() as conn:
            assert conn.scalars(sa.select(BackupEvent.type)).all() == ["requested"]
    finally:
        engine.dispose()
