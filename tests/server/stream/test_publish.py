"""Publishing on PostgreSQL: an event is written at its transaction's commit, under the lock
that keeps events in commit order, so a transaction still at work (a sync push that tapped a
status and announced it) holds back no backup request; ids still follow commit order."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from server.extensions import db
from server.stream.audience import Audience
from server.stream.models import StreamEvent
from server.stream.services import publish

# Far beyond a commit here; a publisher held behind the open transaction would wait for ever.
LOCK_TIMEOUT = "10s"


def test_a_transaction_at_work_that_published_holds_back_no_other_publisher(
        race_app: Flask) -> None:
    if race_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has one writer: an open write transaction holds back every other")
    with race_app.app_context():
        with Session(db.engine) as push, Session(db.engine) as alert:
            status = publish(push, "call.status", {"ids": []}, Audience.of(roles=["dispatcher"]))
            push.execute(sa.text("SELECT 1"))  # the push's transaction is open, at work
            alert.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            request = publish(alert, "backup.requested", {"id": "r1"},
                              Audience.of(roles=["supervisor"]))
            alert.commit()  # raised LockNotAvailable while publish locked at once
            push.commit()
            assert status.id > request.id  # committed second, numbered second
        stored = db.session.scalars(sa.select(StreamEvent.type).order_by(StreamEvent.id)).all()
        assert stored == ["backup.requested", "call.status"]


def test_a_rolled_back_transaction_publishes_nothing(race_app: Flask) -> None:
    with race_app.app_context():
        publish(db.session, "backup.requested", {"id": "r1"}, Audience.of(roles=["supervisor"]))
        db.session.rollback()
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StreamEvent)) == 0
