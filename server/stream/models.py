"""Stream events (append-only; the id is the SSE event id) and deliveries (one row per event,
channel and recipient: queued, sent, delivered or failed, with the receipt's time)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.models_base import Base, str_enum, utcnow

# "backup.acknowledged", "checkin.due", "board.changed": a dotted name a client switches on.
EVENT_TYPE_LENGTH = 48
# "backup:<uuid>", "call:<uuid>": what the event is about, for a record's own history.
SUBJECT_LENGTH = 80
# A push endpoint URL or a webhook URL (browsers' push services stay well under this).
TARGET_LENGTH = 1000
ERROR_LENGTH = 500


class Channel(enum.StrEnum):
    STREAM = "stream"
    WEB_PUSH = "web_push"
    WEBHOOK = "webhook"


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"  # made with the event, in its transaction; nobody has tried yet
    SENT = "sent"  # handed to the channel (push service or gateway accepted it)
    DELIVERED = "delivered"  # a receipt came back: the person's app showed it, or the gateway confirmed
    FAILED = "failed"  # given up after the channel's retries (last_error says why)


class StreamEvent(Base):
    __tablename__ = "stream_events"
    __table_args__ = (sa.Index("ix_stream_events_subject_id", "subject", "id"),)

    # BigInteger on PostgreSQL (a sequence), INTEGER PRIMARY KEY on SQLite (rowid).
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                                    primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    type: Mapped[str] = mapped_column(sa.String(EVENT_TYPE_LENGTH))
    subject: Mapped[str | None] = mapped_column(sa.String(SUBJECT_LENGTH))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # server.stream.audience.Audience.to_json()
    audience: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "channel", "user_id", "device_id", "target",
                            name="uq_deliveries_event_channel_recipient"),
        sa.Index("ix_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    event_id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("stream_events.id"), index=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # The push endpoint or webhook URL; "" for the in-app stream (unique keys treat NULL apart).
    target: Mapped[str] = mapped_column(sa.String(TARGET_LENGTH), default="")
    status: Mapped[DeliveryStatus] = mapped_column(str_enum(DeliveryStatus, 16),
                                                   default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    response_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(ERROR_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
