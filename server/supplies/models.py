"""Supply catalog, stock locations (warehouse, vehicle kits), lots and the signed stock ledger."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models_base import Base, str_enum, utcnow


class LocationKind(enum.StrEnum):
    WAREHOUSE = "warehouse"
    VEHICLE_KIT = "vehicle_kit"


class LedgerReason(enum.StrEnum):
    RECEIVE = "receive"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    DISTRIBUTE = "distribute"
    COUNT_ADJUST = "count_adjust"
    EXPIRED = "expired"


class SupplyItem(Base):
    __tablename__ = "supply_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    unit_of_issue: Mapped[str] = mapped_column(sa.String(32))
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    harm_reduction: Mapped[bool] = mapped_column(default=True)


class StockLocation(Base):
    __tablename__ = "stock_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LocationKind] = mapped_column(str_enum(LocationKind, 16))
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("units.id"), index=True)


class SupplyLot(Base):
    __tablename__ = "supply_lots"
    __table_args__ = (sa.UniqueConstraint("item_id", "lot_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    lot_number: Mapped[str] = mapped_column(sa.String(40))
    expires_on: Mapped[date | None]

    item: Mapped[SupplyItem] = relationship()


class StockLedgerEntry(Base):
    """A signed movement of one lot at one location; stock on hand is the sum (derived)."""

    __tablename__ = "stock_ledger"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_lots.id"), index=True)
    delta: Mapped[int]
    reason: Mapped[LedgerReason] = mapped_column(str_enum(LedgerReason, 16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)

    lot: Mapped[SupplyLot] = relationship()
