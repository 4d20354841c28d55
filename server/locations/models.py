"""Location history: positions a unit's tablet recorded on duty, synced as facts."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.models_base import Base, FactColumns


class LocationPoint(FactColumns, Base):
    __tablename__ = "location_points"
    # A unit's points by time: its last known position, its track for a day, its shift's
    # points in the pull, each one index range (this replaces an index on unit_id alone).
    __table_args__ = (sa.Index("ix_location_points_unit_id_corrected_time", "unit_id",
                               "corrected_time"),)

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    # No foreign keys on unit_id and user_id, unlike the other facts: a tablet sends a point
    # every few seconds all shift, the server (not the device) fills both from the signed-in
    # person and their unit, and units and people are deactivated, never deleted. A key
    # would check each row against two tables on the busiest insert path: measured, it
    # doubled PostgreSQL's CPU per point (5.7 -> 11.4 us).
    user_id: Mapped[int | None] = mapped_column(sa.Integer)
    unit_id: Mapped[int | None] = mapped_column(sa.Integer)
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy_m: Mapped[float | None]
    # The points one push brought for a unit share a batch id: the change feed notes the
    # batch once (kind "location_batch"), and the pull expands it into the points.
    batch_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
