"""The SMS/voice gateway hears of every backup alert once, signed, naming the people it is
for; a gateway in trouble is retried with a growing wait, then given up on with the reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from server.auth.models import Role, User
from server.extensions import db
from server.models_base import utcnow
from server.notifiers import dispatcher
from server.notifiers.base import Notifier, load_notifiers
from server.notifiers.dispatcher import MAX_ATTEMPTS, retry_delay, send_due
from server.notifiers.signing import signature
from server.stream.audience import Audience
from server.stream.models import Channel, Delivery, DeliveryStatus
from server.stream.services import publish
from tests.conftest import running_app
from tests.fixtures.concurrency import STUCK_AFTER_SECONDS
from tests.fixtures.notifiers import SECRET, Receiver


@pytest.fixture
def wired(app: Flask, gateway: Receiver) -> Flask:
    app.config.update(ALERT_WEBHOOK_URL=gateway.url, ALERT_WEBHOOK_SECRET=SECRET)
    return app


def alert(type: str = "backup.requested", **audience: object) -> int:
    event = publish(db.session, type, {"id": "r1", "call_sign": "CR-7"},
                    Audience.of(**audience or {"roles": ["supervisor"]}),  # type: ignore[arg-type]
                    subject="backup:r1")
    db.session.commit()
    return event.id


def deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Delivery).where(Delivery.channel == Channel.WEBHOOK)))


def test_every_configured_notifier_satisfies_the_protocol(app: Flask) -> None:
    for notifier in load_notifiers(app.config["NOTIFIERS"]):
        assert isinstance(notifier, Notifier)
    with pytest.raises(TypeError):
        load_notifiers(["server.notifiers.signing:signature"])


def test_a_backup_alert_is_posted_once_signed_with_its_recipients(
        wired: Flask, gateway: Receiver, create_user: Callable[..., User]) -> None:
    supervisor = create_user(Role.SUPERVISOR, full_name="Sam Super")
    create_user(Role.DISPATCHER)
    event_id = alert()
    [delivery] = deliveries()
    assert (delivery.status, delivery.target) == (DeliveryStatus.QUEUED, gateway.url)
    assert gateway.posts == []  # nothing is sent in the publishing request

    assert send_due(db.session, utcnow(), wired.config)["sent"] == 1
    db.session.commit()
    assert send_due(db.session, utcnow(), wired.config)["sent"] == 0
    [(headers, body)] = gateway.posts
    assert headers["X-Heart-Signature"] == signature(SECRET, headers["X-Heart-Timestamp"], body)
    [sent] = gateway.bodies()
    assert sent["delivery_id"] == str(delivery.id)
    assert (sent["event"]["id"], sent["event"]["type"]) == (event_id, "backup.requested")
    assert sent["event"]["payload"] == {"id": "r1", "call_sign": "CR-7"}
    assert sent["recipients"] == [{"user_id": supervisor.id, "username": supervisor.username,
                                   "name": "Sam Super", "role": "supervisor"}]
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.SENT, 1, 200)


def test_only_the_configured_event_types_reach_the_gateway(wired: Flask) -> None:
    alert("backup.acknowledged")
    alert("checkin.due", units=[1])
    assert deliveries() == []
    alert("backup.broadcast", everyone=True)
    assert len(deliveries()) == 1


def test_without_a_gateway_url_nothing_is_queued(app: Flask) -> None:
    alert()
    assert deliveries() == []


def test_a_failing_gateway_is_retried_with_a_growing_wait_then_given_up(
        wired: Flask, gateway: Receiver) -> None:
    gateway.script = [500, "hang", 503, 502, 500]
    alert()
    now = utcnow()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert send_due(db.session, now, wired.config)["sent"] == 0
        db.session.commit()
        [delivery] = deliveries()
        assert delivery.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert delivery.status == DeliveryStatus.QUEUED
            assert delivery.next_attempt_at is not None
            waits.append(delivery.next_attempt_at - now)
            # Not due again before its wait is over.
            assert send_due(db.session, now, wired.config) == {
                "sent": 0, "retried": 0, "failed": 0, "gone": 0}
            now = delivery.next_attempt_at
    assert waits == [retry_delay(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits == sorted(waits)
    assert waits[0] < waits[-1]
    [delivery] = deliveries()
    assert (delivery.status, delivery.response_code, delivery.last_error) == (
        DeliveryStatus.FAILED, 500, "HTTP 500")
    assert len(gateway.posts) == MAX_ATTEMPTS


def test_a_timed_out_gateway_is_retried(wired: Flask, gateway: Receiver) -> None:
    gateway.script = ["hang"]
    alert()
    assert send_due(db.session, utcnow(), wired.config)["retried"] == 1
    db.session.commit()
    [delivery] = deliveries()
    assert delivery.response_code is None
    assert delivery.last_error is not None
    assert "Timeout" in delivery.last_error
    assert send_due(db.session, utcnow() + timedelta(minutes=1), wired.config)["sent"] == 1


def test_a_refusal_the_gateway_will_repeat_is_not_retried(
        wired: Flask, gateway: Receiver) -> None:
    gateway.script = [403]
    alert()
    assert send_due(db.session, utcnow(), wired.config)["failed"] == 1
    db.session.commit()
    [delivery] = deliveries()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)


def test_the_send_command_drains_what_is_due(wired: Flask, gateway: Receiver) -> None:
    alert()
    alert("backup.escalated")
    result = wired.test_cli_runner().invoke(dispatcher.send_command)
    assert result.exit_code == 0, result.output
    assert "sent 2" in result.output
    assert len(gateway.posts) == 2


def test_the_dispatcher_sends_after_the_commit_not_in_the_request(
        database_url: str, tmp_path: Path, gateway: Receiver) -> None:
    with running_app(database_url, tmp_path / "dispatching", NOTIFIER_DISPATCH=True,
                     ALERT_WEBHOOK_URL=gateway.url, ALERT_WEBHOOK_SECRET=SECRET) as app:
        running = app.extensions[dispatcher.THREAD_KEY]
        try:
            publish(db.session, "backup.requested", {"id": "r1"}, Audience.of(everyone=True))
            db.session.flush()
            assert gateway.posts == []  # queued only: the transaction may still roll back
            db.session.commit()
            assert gateway.got_one.wait(STUCK_AFTER_SECONDS)
        finally:
            running.stop()
        assert len(gateway.posts) == 1
