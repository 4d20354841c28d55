"""The gateway's receipts: a delivery confirmed (delivered, with the receipt hooks told) or
reported failed."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from server.errors import not_found
from server.stream.models import ERROR_LENGTH, Channel, Delivery, DeliveryStatus
from server.stream.services import mark_delivered


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
