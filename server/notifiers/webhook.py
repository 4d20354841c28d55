"""The department's SMS/voice gateway: one signed JSON POST per event of the configured
types, naming the people the event is for; the gateway confirms later through
POST /api/v1/notifications/receipts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests
from flask import current_app
from sqlalchemy.orm import Session, object_session

from server.models_base import utcnow
from server.notifiers.base import Outcome
from server.notifiers.recipients import audience_users
from server.notifiers.signing import signed_headers
from server.stream.audience import Audience
from server.stream.models import Channel, Delivery, StreamEvent

# The gateway answers at once (it queues the calls and texts itself): ten seconds covers a
# slow link without holding a dispatcher long on a dead one.
WEBHOOK_TIMEOUT_SECONDS = 10


def webhook_body(session: Session, delivery: Delivery, event: StreamEvent) -> bytes:
    people = audience_users(session, Audience.from_json(event.audience))
    return json.dumps({
        "delivery_id": str(delivery.id),
        "event": {"id": event.id, "type": event.type, "at": event.at.isoformat(),
                  "payload": event.payload},
        "recipients": [{"user_id": p.id, "username": p.username, "name": p.full_name,
                        "role": str(p.role)} for p in people],
    }, separators=(",", ":")).encode()


class WebhookNotifier:
    channel = Channel.WEBHOOK

    def queue(self, session: Session, event: StreamEvent) -> list[Delivery]:
        config = current_app.config
        url = config.get("ALERT_WEBHOOK_URL") or ""
        if not url or event.type not in config["ALERT_WEBHOOK_EVENTS"]:
            return []
        return [Delivery(event_id=event.id, channel=Channel.WEBHOOK, target=url)]

    def send(self, delivery: Delivery, event: StreamEvent, config: Mapping[str, Any]) -> Outcome:
        session = object_session(delivery)
        assert session is not None  # the dispatcher sends rows it has just claimed
        body = webhook_body(session, delivery, event)
        headers = signed_headers(config["ALERT_WEBHOOK_SECRET"] or "", body, utcnow())
        try:
            answer = requests.post(delivery.target, data=body, headers=headers,
                                   timeout=WEBHOOK_TIMEOUT_SECONDS, allow_redirects=False)
        except requests.RequestException as error:  # refused, reset, timed out, bad URL
            return Outcome("retry", None, f"{type(error).__name__}: {error}")
        if answer.ok:
            return Outcome("sent", answer.status_code)
        # A 4xx other than a timeout or throttling will not change on a retry (a bad URL or
        # secret); a 5xx is the gateway's own trouble, worth retrying.
        code = answer.status_code
        final = 400 <= code < 500 and code not in (408, 429)
        return Outcome("failed" if final else "retry", code, f"HTTP {code}")


WEBHOOK = WebhookNotifier()
