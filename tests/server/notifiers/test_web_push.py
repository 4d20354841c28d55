"""A tablet that subscribed is woken by the backup alerts meant for its person, encrypted so
only its browser reads them and signed with the server's VAPID key; a subscription the push
service has forgotten is dropped, a push service in trouble is retried."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

import http_ece
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask

from server.auth.models import Role, User
from server.extensions import db
from server.models_base import utcnow
from server.notifiers import push
from server.notifiers.base import Notifier, load_notifiers
from server.notifiers.dispatcher import send_due
from server.notifiers.models import PushSubscription
from server.stream.audience import Audience
from server.stream.models import Channel, Delivery, DeliveryStatus
from server.stream.services import publish
from server.units.models import Unit
from tests.fixtures.notifiers import Receiver
from tests.fixtures.people import Session

PUSH_URL = "/api/v1/push/subscription"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """A browser's side of a subscription: its key pair and auth secret."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth_secret = os.urandom(16)
        self.p256dh = b64(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription(self, endpoint: str) -> dict[str, Any]:
        return {"endpoint": endpoint, "keys": {"p256dh": self.p256dh, "auth": b64(self.auth_secret)}}

    def read(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret,
                                 version="aes128gcm")
        message: dict[str, Any] = json.loads(plain)
        return message


def alert(type: str = "backup.requested", **audience: object) -> int:
    event = publish(db.session, type, {"id": "r1", "call_sign": "CR-7", "unit_id": None},
                    Audience.of(**audience or {"roles": ["supervisor"]}),  # type: ignore[arg-type]
                    subject="backup:r1")
    db.session.commit()
    return event.id


def pushes() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Delivery).where(Delivery.channel == Channel.WEB_PUSH)))


def subscribe(session: Session, browser: Browser, endpoint: str) -> None:
    answer = session.client.put(PUSH_URL, headers=session.headers,
                                json=browser.subscription(endpoint))
    assert answer.status_code == 200, answer.json


def test_the_web_push_notifier_satisfies_the_protocol(app: Flask) -> None:
    assert "server.notifiers.push:WEB_PUSH" in app.config["NOTIFIERS"]
    assert isinstance(push.WEB_PUSH, Notifier)
    assert push.WEB_PUSH in load_notifiers(app.config["NOTIFIERS"])


def test_a_supervisors_tablet_reads_the_alert_encrypted_for_it_and_signed(
        app: Flask, push_service: Receiver, signed_in: Callable[..., Session]) -> None:
    supervisor = signed_in(Role.SUPERVISOR)
    browser = Browser()
    subscribe(supervisor, browser, push_service.url)
    event_id = alert()
    [delivery] = pushes()
    assert (delivery.user_id, str(delivery.device_id)) == (supervisor.user.id, supervisor.device_id)

    assert send_due(db.session, utcnow(), app.config)["sent"] == 1
    db.session.commit()
    [(sent_headers, body)] = push_service.posts
    headers = {name.lower(): value for name, value in sent_headers.items()}
    assert headers["authorization"].startswith("vapid t=")
    assert (headers["urgency"], headers["content-encoding"]) == ("high", "aes128gcm")
    message = browser.read(body)
    assert (message["type"], message["event_id"], message["urgent"]) == (
        "backup.requested", event_id, True)
    assert message["title"]
    assert message["url"] == "/"
    [delivery] = pushes()
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.SENT, 201)


def test_the_requesting_crew_is_not_woken_by_its_own_request(
        app: Flask, push_service: Receiver, create_unit: Callable[..., Unit],
        create_user: Callable[..., User], sign_in: Callable[..., Session]) -> None:
    unit = create_unit()
    crew = sign_in(create_user(Role.RESPONDER_CLINICIAN, unit=unit))
    subscribe(crew, Browser(), push_service.url)
    publish(db.session, "backup.requested", {"id": "r1", "unit_id": unit.id},
                    Audience.of(units=[unit.id]), subject="backup:r1")
    db.session.commit()
    assert pushes() == []
    publish(db.session, "checkin.due", {"unit_id": unit.id}, Audience.of(units=[unit.id]))
    db.session.commit()
    assert [d.user_id for d in pushes()] == [crew.user.id]


def test_a_subscription_the_push_service_forgot_is_dropped(
        app: Flask, push_service: Receiver, signed_in: Callable[..., Session]) -> None:
    subscribe(signed_in(Role.SUPERVISOR), Browser(), push_service.url)
    push_service.script.append(410)
    alert()
    assert send_due(db.session, utcnow(), app.config)["gone"] == 1
    db.session.commit()
    assert db.session.scalars(sa.select(PushSubscription)).all() == []
    [delivery] = pushes()
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.FAILED, 410)


def test_a_push_service_in_trouble_is_retried(
        app: Flask, push_service: Receiver, signed_in: Callable[..., Session]) -> None:
    subscribe(signed_in(Role.SUPERVISOR), Browser(), push_service.url)
    push_service.script.append(500)
    alert()
    assert send_due(db.session, utcnow(), app.config)["retried"] == 1
    db.session.commit()
    [delivery] = pushes()
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.QUEUED, 500)
    [subscription] = db.session.scalars(sa.select(PushSubscription))
    assert subscription.last_failure_at is not None


def test_events_outside_push_events_wake_nobody(
        app: Flask, push_service: Receiver, signed_in: Callable[..., Session]) -> None:
    subscribe(signed_in(Role.SUPERVISOR), Browser(), push_service.url)
    alert("backup.resolved")
    assert pushes() == []


@pytest.mark.parametrize("role", list(Role))
def test_every_role_manages_its_own_devices_subscription_only(
        app: Flask, role: Role, signed_in: Callable[..., Session]) -> None:
    mine, other = signed_in(role), signed_in(Role.SUPERVISOR)
    assert mine.get("/api/v1/push/key").json["public_key"]
    subscribe(mine, Browser(), "https://push.example.net/a")
    subscribe(other, Browser(), "https://push.example.net/b")
    subscribe(mine, Browser(), "https://push.example.net/c")  # replaces its first
    rows = {str(s.device_id): s.endpoint for s in db.session.scalars(sa.select(PushSubscription))}
    assert rows == {mine.device_id: "https://push.example.net/c",
                    other.device_id: "https://push.example.net/b"}
    assert mine.delete(PUSH_URL).status_code == 204
    db.session.expire_all()
    rows = {str(s.device_id): s.endpoint for s in db.session.scalars(sa.select(PushSubscription))}
    assert rows == {other.device_id: "https://push.example.net/b"}


def test_bad_subscriptions_are_refused_naming_each_field(
        app: Flask, signed_in: Callable[..., Session]) -> None:
    session = signed_in(Role.DISPATCHER)
    bad = {"endpoint": "http://push.example.net/a", "keys": {"p256dh": "short", "auth": "x"}}
    answer = session.client.put(PUSH_URL, headers=session.headers, json=bad)
    assert answer.status_code == 422
    errors = answer.json["errors"]["json"]
    assert set(errors) == {"endpoint", "keys"}
    assert set(errors["keys"]) == {"p256dh", "auth"}
    answer = session.client.put(PUSH_URL, headers=session.headers, json={})
    assert (answer.status_code, set(answer.json["errors"]["json"])) == (422, {"endpoint", "keys"})


def test_without_a_key_push_is_off(app: Flask, signed_in: Callable[..., Session]) -> None:
    app.extensions[push.VAPID_KEY] = None
    answer = signed_in(Role.SUPERVISOR).get("/api/v1/push/key")
    assert answer.status_code == 404
    assert answer.json["message"]
