"""Two presses of the same request arriving at the same instant (the tablet's retry racing
its first try) make one request and one alert."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from server.auth.models import Role
from server.auth.services import create_user
from server.backups.models import BackupRequest
from server.extensions import db
from server.stream.models import StreamEvent
from server.units.models import Program, Unit
from tests.fixtures.backups import backup_body
from tests.fixtures.concurrency import together
from tests.fixtures.people import PASSWORD, bearer, put_on_shift


def test_the_same_request_sent_twice_at_once_is_one_request(race_app: Flask) -> None:
    with race_app.app_context():
        unit = Unit(call_sign="RACE-1", program=Program.COMMUNITY_RESPONSE)
        db.session.add(unit)
        db.session.flush()
        user = create_user(db.session, username="racer", full_name="Racer", password=PASSWORD,
                           role=Role.RESPONDER_CLINICIAN)
        put_on_shift(unit, user)
        db.session.commit()
    headers = [bearer(race_app.test_client(), "racer") for _ in range(2)]
    body = backup_body()

    def press(i: int) -> int:
        return race_app.test_client().post("/api/v1/backups", json=body,
                                           headers=headers[i]).status_code

    statuses = together([lambda: press(0), lambda: press(1)])
    assert sorted(statuses) == [200, 201]
    with race_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BackupRequest)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StreamEvent).where(
            StreamEvent.type == "backup.requested")) == 1
