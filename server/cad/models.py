"""The CAD's side of intake: the integrations allowed to post calls (each with its own key,
not a person's sign-in), and the CAD's call-type codes mapped to ours (an unknown one is kept
unmapped until an admin maps it)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.models_base import Base, utcnow


class CadIntegration(Base):
    __tablename__ = "cad_integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # SHA-256 of the key: the key itself is shown once, when made, and never stored.
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class CadCallTypeMap(Base):
    """A CAD call-type code and the call type it means (None: not mapped yet)."""

    __tablename__ = "cad_call_type_maps"

    id: Mapped[int] = mapped_column(primary_key=True)
    cad_code: Mapped[str] = mapped_column(sa.String(80), unique=True)
    call_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("call_types.id"))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    calls_seen: Mapped[int] = mapped_column(default=0)
    mapped_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    mapped_at: Mapped[datetime | None]
