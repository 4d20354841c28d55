"""The triage rules' data beside the eligibility table (call_type_eligibility): the areas a
program serves and its hours, editable as the program grows (from 5 days in a third of the
city to 7 days x 12 h citywide)."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.models_base import Base, str_enum
from server.units.models import Program


class ServiceAreaRow(Base):
    """A polygon ring of [lon, lat] pairs (GeoJSON's order)."""

    __tablename__ = "service_areas"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    ring: Mapped[list[list[float]]] = mapped_column(sa.JSON)


class ProgramServiceRow(Base):
    """When and where a program takes calls: weekdays (0 Monday .. 6 Sunday), local hours in
    `timezone` (an end at or before the start runs past midnight), and its areas."""

    __tablename__ = "program_services"

    program: Mapped[Program] = mapped_column(str_enum(Program, 32), primary_key=True)
    weekdays: Mapped[list[int]] = mapped_column(sa.JSON)
    starts: Mapped[time]
    ends: Mapped[time]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    area_ids: Mapped[list[str]] = mapped_column(sa.JSON)
