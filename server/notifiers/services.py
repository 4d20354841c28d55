"""The gateway's receipts: a delivery confirmed (delivered, with the receipt hooks told) or
reported failed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from server.errors import not_found
from server.stream.models import ERROR_LENGTH, Channel, Delivery, DeliveryStatus, StreamEvent
from server.stream.services import run_receipt_hooks


def mark_delivered(session: Session, delivery: Delivery, now: datetime) -> None:
    """Delivered once (a repeated receipt changes nothing); the receipt hooks hear of it."""
    if delivery.status == DeliveryStatus.DELIVERED:
        return
    delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, now
    event = session.get(StreamEvent, delivery.event_id)
    assert event is not None  # a foreign key
    run_receipt_hooks(session, [event])


def record_receipt(session: Session, delivery_id: uuid.UUID, status: str, detail: str | None,
                   now: datetime) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.channel != Channel.WEBHOOK:
        raise not_found("delivery")
    if status == "delivered":
        mark_delivered(session, delivery, now)
    elif delivery.status != DeliveryStatus.DELIVERED:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = (detail or "reported failed by the gateway")[:ERROR_LENGTH]
    return delivery
