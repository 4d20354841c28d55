"""The gateway confirms what it delivered: a receipt signed with the shared secret and a
fresh timestamp marks the delivery delivered (or failed, with the gateway's words); anything
else is refused."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.extensions import db
from server.models_base import utcnow
from server.notifiers.signing import TIMESTAMP_WINDOW_SECONDS, signed_headers
from server.stream.audience import Audience
from server.stream.models import Channel, Delivery, DeliveryStatus
from server.stream.services import publish, register_receipt_hook
from tests.fixtures.notifiers import SECRET

URL = "/api/v1/notifications/receipts"


@pytest.fixture
def delivery(app: Flask) -> Delivery:
    app.config.update(ALERT_WEBHOOK_URL="http://127.0.0.1:9/alerts", ALERT_WEBHOOK_SECRET=SECRET)
    publish(db.session, "backup.requested", {"id": "r1"}, Audience.of(roles=["supervisor"]))
    db.session.commit()
    [queued] = db.session.scalars(sa.select(Delivery).where(Delivery.channel == Channel.WEBHOOK))
    return queued


def post(client: FlaskClient, body: Any, secret: str = SECRET,
         age: timedelta = timedelta(0)) -> Any:
    raw = json.dumps(body).encode()
    return client.post(URL, data=raw, headers=signed_headers(secret, raw, utcnow() - age))


def status_of(delivery: Delivery) -> DeliveryStatus:
    db.session.expire_all()
    return db.session.get(Delivery, delivery.id).status  # type: ignore[union-attr]


def test_a_signed_receipt_marks_the_delivery_delivered_and_tells_the_receipt_hooks(
        app: Flask, client: FlaskClient, delivery: Delivery) -> None:
    heard: list[int] = []
    register_receipt_hook(app, lambda _session, events: heard.extend(e.id for e in events))
    answer = post(client, {"delivery_id": str(delivery.id), "status": "delivered"})
    assert answer.status_code == 200, answer.json
    assert answer.json == {"delivery_id": str(delivery.id), "status": "delivered"}
    assert status_of(delivery) == DeliveryStatus.DELIVERED
    assert heard == [delivery.event_id]
    again = post(client, {"delivery_id": str(delivery.id), "status": "delivered"})
    assert again.status_code == 200
    assert heard == [delivery.event_id]  # a repeated receipt is one receipt


def test_a_failure_report_keeps_the_gateways_words(client: FlaskClient,
                                                   delivery: Delivery) -> None:
    answer = post(client, {"delivery_id": str(delivery.id), "status": "failed",
                           "detail": "number unreachable"})
    assert answer.status_code == 200
    db.session.expire_all()
    stored = db.session.get(Delivery, delivery.id)
    assert stored is not None
    assert (stored.status, stored.last_error) == (DeliveryStatus.FAILED, "number unreachable")


def test_a_receipt_signed_with_another_secret_is_refused(client: FlaskClient,
                                                          delivery: Delivery) -> None:
    answer = post(client, {"delivery_id": str(delivery.id), "status": "delivered"},
                  secret="not-the-shared-secret")
    assert answer.status_code == 401
    assert status_of(delivery) == DeliveryStatus.QUEUED


def test_an_old_receipt_is_refused_even_when_signed(client: FlaskClient,
                                                    delivery: Delivery) -> None:
    answer = post(client, {"delivery_id": str(delivery.id), "status": "delivered"},
                  age=timedelta(seconds=TIMESTAMP_WINDOW_SECONDS + 60))
    assert answer.status_code == 401
    assert status_of(delivery) == DeliveryStatus.QUEUED


def test_an_unsigned_receipt_is_refused(client: FlaskClient, delivery: Delivery) -> None:
    answer = client.post(URL, json={"delivery_id": str(delivery.id), "status": "delivered"})
    assert answer.status_code == 401


def test_a_receipt_for_an_unknown_delivery_is_not_found(client: FlaskClient,
                                                        delivery: Delivery) -> None:
    answer = post(client, {"delivery_id": str(uuid.uuid4()), "status": "delivered"})
    assert answer.status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "delivered"}, "delivery_id"),
    ({"delivery_id": "not-a-uuid", "status": "delivered"}, "delivery_id"),
    ({"delivery_id": str(uuid.uuid4()), "status": "read"}, "status"),
    ({"delivery_id": str(uuid.uuid4()), "status": "failed", "detail": "x" * 301}, "detail"),
])
def test_a_signed_receipt_with_a_bad_field_names_it(client: FlaskClient, delivery: Delivery,
                                                    body: dict[str, Any], field: str) -> None:
    answer = post(client, body)
    assert answer.status_code == 422
    assert field in answer.json["errors"]["json"]


def test_a_signed_body_that_is_not_json_is_refused_plainly(client: FlaskClient,
                                                          delivery: Delivery) -> None:
    raw = b"delivered!"
    answer = client.post(URL, data=raw, headers=signed_headers(SECRET, raw, utcnow()))
    assert answer.status_code == 422


def test_without_a_shared_secret_every_receipt_is_refused(app: Flask, client: FlaskClient,
                                                          delivery: Delivery) -> None:
    app.config["ALERT_WEBHOOK_SECRET"] = ""
    answer = post(client, {"delivery_id": str(delivery.id), "status": "delivered"}, secret="")
    assert answer.status_code == 401
