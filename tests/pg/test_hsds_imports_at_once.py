"""Two imports of the same HSDS file at the same moment (two people, or a retried job) take
turns a batch at a time, on PostgreSQL (an advisory lock) and on SQLite (its one writer):
each record is stored once, the second import finds the first's rows unchanged, and neither
fails on the unique HSDS ids. Without the lock both read no rows, both insert, and the
second's commit breaks the unique constraint."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from server.care import services
from server.care.hsds import Resource, read_path
from server.care.models import CareResource
from server.extensions import db
from server.models_base import utcnow
from tests.fixtures.concurrency import together

SERVICES = Path(__file__).parents[1] / "fixtures" / "hsds" / "services.json"
# How long each import holds its batch before committing: long enough that, without the
# lock, the other reads before this one commits.
HOLD_SECONDS = 0.3


def import_batch(app: Flask, records: list[Resource]) -> list[str]:
    with app.app_context():
        outcomes = services.store_resources(db.session, records, SERVICES.name, utcnow())
        time.sleep(HOLD_SECONDS)
        db.session.commit()
        return [o.value for o in outcomes]


def test_two_imports_at_once_store_each_record_once(race_app: Flask) -> None:
    records = [item for item in read_path(SERVICES) if isinstance(item, Resource)]
    answers = together([lambda: import_batch(race_app, records)] * 2)
    assert sorted(answers) == [["created"] * len(records), ["unchanged"] * len(records)]
    with race_app.app_context():
        stored = db.session.scalars(sa.select(CareResource.hsds_service_id)).all()
    assert sorted(stored) == sorted(r.service_id for r in records)
