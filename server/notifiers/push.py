"""Web Push: the server's VAPID key, the devices' subscriptions, and the WEB_PUSH notifier that
wakes a tablet (its screen off, the app closed) for the alerts that cannot wait for a look."""

from __future__ import annotations

import base64
import json
import logging
import os
import uuid
from collections.abc import Mapping
from typing import Any

import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy.orm import Session, object_session

from server.models_base import utcnow
from server.notifiers.base import Outcome
from server.notifiers.models import PushSubscription
from server.notifiers.recipients import audience_users
from server.stream.audience import Audience
from server.stream.models import Channel, Delivery, StreamEvent

log = logging.getLogger(__name__)

VAPID_KEY = "heart_vapid"
VAPID_FILE = "vapid_private_key.pem"
# A push kept by the push service this long while the tablet is off the network: an alert
# older than an hour is stale (the board and the stream carry it by then).
PUSH_TTL_SECONDS = 60 * 60
# Push services answer at once (they queue the message): ten seconds covers a slow link.
PUSH_TIMEOUT_SECONDS = 10
# Codes the same message may get through later: throttled, or the service's own trouble.
RETRY_CODES = frozenset({408, 429})
GONE_CODES = frozenset({404, 410})
TITLES = {
    "backup.requested": "Backup requested",
    "backup.escalated": "Backup request escalated",
    "backup.broadcast": "Backup needed: all units",
    "backup.acknowledged": "Backup is on the way",
    "checkin.due": "Check-in due",
}


def load_vapid(text: str) -> Vapid02:
    """A VAPID private key as PEM, or as the base64url raw 32-byte key (or DER)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode())
    return Vapid02.from_string(text)


def configure_vapid(app: Flask) -> None:
    """VAPID_PRIVATE_KEY, or outside production one generated once into the instance folder;
    production without one has no web push."""
    text = app.config.get("VAPID_PRIVATE_KEY") or ""
    if not text and app.config["ENV_NAME"] != "production":
        path = os.path.join(app.instance_path, VAPID_FILE)
        if not os.path.exists(path):
            key = Vapid02()
            key.generate_keys()
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
                fh.write(key.private_pem())
        with open(path) as fh:
            text = fh.read()
    if not text:
        log.warning("Web push is off: VAPID_PRIVATE_KEY is not set.")
    app.extensions[VAPID_KEY] = load_vapid(text) if text else None


def vapid_of(app: Flask | None = None) -> Vapid02 | None:
    key: Vapid02 | None = (app or current_app).extensions.get(VAPID_KEY)
    return key


def application_server_key(key: Vapid02) -> str:
    """The public key as the browser's PushManager.subscribe wants it: base64url, unpadded."""
    raw = key.public_key.public_bytes(serialization.Encoding.X962,
                                      serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def save_subscription(session: Session, user_id: int, device_id: uuid.UUID, endpoint: str,
                      p256dh: str, auth: str) -> PushSubscription:
    """The device's subscription, replacing the one it had (for whoever signed in on it)."""
    subscription = session.scalar(sa.select(PushSubscription)
                                  .where(PushSubscription.device_id == device_id))
    if subscription is None:
        subscription = PushSubscription(device_id=device_id)
        session.add(subscription)
    subscription.user_id, subscription.endpoint = user_id, endpoint
    subscription.p256dh, subscription.auth = p256dh, auth
    subscription.created_at = utcnow()
    subscription.last_success_at = subscription.last_failure_at = None
    return subscription


def remove_subscription(session: Session, device_id: uuid.UUID) -> None:
    session.execute(sa.delete(PushSubscription).where(PushSubscription.device_id == device_id))


def _own_crew_request(session: Session, event: StreamEvent) -> set[int]:
    """A crew asking for backup knows it asked: its own people are not woken for it."""
    if event.type != "backup.requested" or not isinstance(event.payload.get("unit_id"), int):
        return set()
    audience = Audience.of(units=[event.payload["unit_id"]])
    return {user.id for user in audience_users(session, audience)}


def push_message(event: StreamEvent) -> dict[str, Any]:
    payload = event.payload
    call_sign = payload.get("call_sign") or ""
    body = " ".join(str(part) for part in (call_sign, payload.get("address") or "") if part)
    return {"type": event.type, "title": TITLES.get(event.type, event.type), "body": body,
            "url": "/", "event_id": event.id, "urgent": event.type.startswith("backup."),
            "subject": event.subject}


class WebPushNotifier:
    channel = Channel.WEB_PUSH

    def queue(self, session: Session, event: StreamEvent) -> list[Delivery]:
        config = current_app.config
        if vapid_of() is None or event.type not in config["PUSH_EVENTS"]:
            return []
        # The subscriptions first: a department's tablets are a few hundred rows at most, and
        # with none (push not set up) the audience is never worked out on the alert's path.
        subscriptions = list(session.scalars(sa.select(PushSubscription)
                                             .order_by(PushSubscription.id)))
        if not subscriptions:
            return []
        audience = Audience.from_json(event.audience)
        if not audience.everyone:
            ids = {user.id for user in audience_users(session, audience)}
            ids -= _own_crew_request(session, event)
            subscriptions = [s for s in subscriptions if s.user_id in ids]
        return [Delivery(event_id=event.id, channel=Channel.WEB_PUSH, user_id=s.user_id,
                         device_id=s.device_id, target=s.endpoint) for s in subscriptions]

    def send(self, delivery: Delivery, event: StreamEvent, config: Mapping[str, Any]) -> Outcome:
        session = object_session(delivery)
        assert session is not None  # the dispatcher sends rows it has just claimed
        key = vapid_of()
        subscription = session.scalar(sa.select(PushSubscription)
                                      .where(PushSubscription.device_id == delivery.device_id))
        if subscription is None or subscription.endpoint != delivery.target or key is None:
            return Outcome("gone", None, "the device no longer takes pushes here")
        message = push_message(event)
        try:
            answer = webpush(
                {"endpoint": subscription.endpoint,
                 "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                json.dumps(message, separators=(",", ":")), vapid_private_key=key,
                vapid_claims={"sub": config["VAPID_SUBJECT"]}, timeout=PUSH_TIMEOUT_SECONDS,
                ttl=PUSH_TTL_SECONDS, headers={"Urgency": "high" if message["urgent"] else "normal"})
        except WebPushException as error:
            code = error.response.status_code if error.response is not None else None
            return self._refused(session, subscription, code, str(error).splitlines()[0])
        except requests.RequestException as error:  # refused, reset, timed out, bad URL
            subscription.last_failure_at = utcnow()
            return Outcome("retry", None, f"{type(error).__name__}: {error}")
        subscription.last_success_at = utcnow()
        return Outcome("sent", answer.status_code)

    def _refused(self, session: Session, subscription: PushSubscription, code: int | None,
                 error: str) -> Outcome:
        if code in GONE_CODES:  # the browser unsubscribed, or the service forgot it
            session.delete(subscription)
            return Outcome("gone", code, error)
        subscription.last_failure_at = utcnow()
        final = code is not None and 400 <= code < 500 and code not in RETRY_CODES
        return Outcome("failed" if final else "retry", code, error)


WEB_PUSH = WebPushNotifier()
