"""Two processes' dispatchers draining at once still post each alert to the gateway once:
each claims its rows with FOR UPDATE SKIP LOCKED and holds them until it has sent them."""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask

from server.extensions import db
from server.notifiers import dispatcher
from server.stream.audience import Audience
from server.stream.models import Delivery, DeliveryStatus
from server.stream.services import publish
from tests.fixtures.concurrency import together
from tests.fixtures.notifiers import SECRET, Receiver

ALERTS = 12
# Small rounds, so the two dispatchers' rounds interleave over the same rows.
ROUND = 3


def test_two_dispatchers_at_once_post_each_alert_once(race_app: Flask, gateway: Receiver,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    if race_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("one process sends on SQLite (development); the claim is PostgreSQL's")
    monkeypatch.setattr(dispatcher, "BATCH_SIZE", ROUND)
    race_app.config.update(ALERT_WEBHOOK_URL=gateway.url, ALERT_WEBHOOK_SECRET=SECRET)
    with race_app.app_context():
        for n in range(ALERTS):
            publish(db.session, "backup.requested", {"id": f"r{n}"},
                    Audience.of(roles=["supervisor"]))
        db.session.commit()
        db.session.remove()

    sent = together([lambda: dispatcher.drain(race_app), lambda: dispatcher.drain(race_app)])

    assert sum(s["sent"] for s in sent) == ALERTS
    posted = Counter(body["delivery_id"] for body in gateway.bodies())
    assert len(posted) == ALERTS
    assert set(posted.values()) == {1}
    with race_app.app_context():
        assert {d.status for d in db.session.query(Delivery)} == {DeliveryStatus.SENT}
        db.session.remove()
