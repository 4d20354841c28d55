"""Response units, their program, and the shift roster that puts people on them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models_base import Base, str_enum


class Program(enum.StrEnum):
    COMMUNITY_RESPONSE = "community_response"
    CO_RESPONSE = "co_response"
    CRISIS_CALL_DIVERSION = "crisis_call_diversion"
    CARE_NAVIGATION = "care_navigation"


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sign: Mapped[str] = mapped_column(sa.String(32), unique=True)
    program: Mapped[Program] = mapped_column(str_enum(Program, 32))
    active: Mapped[bool] = mapped_column(default=True)
    # The service area it covers (server/dispatch); None: every area of its program.
    service_area_id: Mapped[str | None] = mapped_column(sa.String(40))

    shifts: Mapped[list[Shift]] = relationship(back_populates="unit")


class Shift(Base):
    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("units.id"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # Where the unit takes calls during this shift; None: the unit's own area (or its program's).
    service_area_id: Mapped[str | None] = mapped_column(sa.ForeignKey("service_areas.id"))

    unit: Mapped[Unit] = relationship(back_populates="shifts")
    members: Mapped[list[ShiftMember]] = relationship(
        back_populates="shift", cascade="all, delete-orphan"
    )


class ShiftMember(Base):
    __tablename__ = "shift_members"
    __table_args__ = (sa.UniqueConstraint("shift_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(sa.ForeignKey("shifts.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)

    shift: Mapped[Shift] = relationship(back_populates="members")
