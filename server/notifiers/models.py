"""A device's Web Push subscription: where its browser's push service takes messages for it,
and the keys that encrypt them (one per device; a new one replaces the old)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.models_base import Base, utcnow
from server.stream.models import TARGET_LENGTH

# A P-256 public key in uncompressed form, base64url: 65 bytes are 87 characters.
P256DH_LENGTH = 100
# The 16-byte auth secret, base64url: 22 characters (padded: 24).
AUTH_LENGTH = 32


class PushSubscription(Base):
    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("devices.id"), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(TARGET_LENGTH))
    p256dh: Mapped[str] = mapped_column(sa.String(P256DH_LENGTH))
    auth: Mapped[str] = mapped_column(sa.String(AUTH_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
