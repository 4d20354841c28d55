"""A disposition code: how a call ended, as the program counts it, with its labels."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.models_base import Base, utcnow

# A code is a short slug (`transported_ed`); calls keep it, so it never changes once made.
MAX_CODE_LENGTH = 40
# A label is a line on a tablet's select: a few words.
MAX_LABEL_LENGTH = 120


class Disposition(Base):
    """One entry of the list. Inactive entries are no longer offered on the tablet; calls that
    hold their code keep it (and its labels)."""

    __tablename__ = "dispositions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(MAX_CODE_LENGTH), unique=True)
    label_en: Mapped[str] = mapped_column(sa.String(MAX_LABEL_LENGTH))
    label_es: Mapped[str] = mapped_column(sa.String(MAX_LABEL_LENGTH))
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
