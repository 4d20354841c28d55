"""Location history: positions a unit's tablet recorded on duty, synced as facts."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.calls.models import FactColumns
from server.models_base import Base


class LocationPoint(FactColumns, Base):
    __tablename__ = "location_points"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)
    lat: Mapped[float]
    lon: Mapped[float]
    accuracy_m: Mapped[float | None]
    # The points one push brought for a unit share a batch id: the change feed notes the
    # batch once (kind "location_batch"), and the pull expands it into the points.
    batch_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
