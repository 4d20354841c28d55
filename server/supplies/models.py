"""Supply catalog, stock locations (warehouse, vehicle kits), lots, the append-only stock
ledger, the stock balances it keeps, transfers, discrepancies, alerts and par levels."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from server.models_base import Base, FactColumns, str_enum, utcnow

# A GTIN-14 (GS1 application identifier 01): shorter GTINs are zero-padded to it.
GTIN_LENGTH = 14


class LocationKind(enum.StrEnum):
    WAREHOUSE = "warehouse"
    VEHICLE_KIT = "vehicle_kit"


class SupplyCategory(enum.StrEnum):
    NALOXONE = "naloxone"
    NALOXONE_KIT = "naloxone_kit"
    FENTANYL_TEST_STRIPS = "fentanyl_test_strips"
    SAFER_SEX_KIT = "safer_sex_kit"
    WOUND_CARE = "wound_care"
    HYGIENE_KIT = "hygiene_kit"
    SYRINGES = "syringes"
    OTHER = "other"


class LedgerReason(enum.StrEnum):
    RECEIVE = "receive"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    DISTRIBUTE = "distribute"
    ADMINISTER = "administer"
    EXPIRE = "expire"
    DAMAGE = "damage"
    COUNT_ADJUST = "count_adjust"


class TransferState(enum.StrEnum):
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class DiscrepancyState(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class AlertKind(enum.StrEnum):
    LOW_STOCK = "low_stock"
    NEAR_EXPIRY = "near_expiry"
    EXPIRED = "expired"


class AlertState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"


class SupplyItem(Base):
    __tablename__ = "supply_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[SupplyCategory] = mapped_column(str_enum(SupplyCategory, 32),
                                                     default=SupplyCategory.OTHER)
    # What one unit on hand is ("device", "kit", "box"): every quantity counts these.
    unit_of_measure: Mapped[str] = mapped_column(sa.String(32))
    # Units of measure in one pack as received (a case of 24 kits has 24).
    pack_size: Mapped[int] = mapped_column(default=1)
    gtin: Mapped[str | None] = mapped_column(sa.String(GTIN_LENGTH), unique=True)
    # The tablets' own warning level (kept for the app versions in the field); the supply
    # manager's alerts use each location's par level instead.
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
    """A signed movement of one lot at one location, never changed once written: stock on
    hand is the sum (derived), kept in `stock_balances` by the same transaction."""

    __tablename__ = "stock_ledger"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_lots.id"), index=True)
    delta: Mapped[int]
    reason: Mapped[LedgerReason] = mapped_column(str_enum(LedgerReason, 16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    # What produced it: a fact's kind and id ("harm_reduction_entry", "kit_count") or a
    # transfer ("supply_transfer").
    source_kind: Mapped[str | None] = mapped_column(sa.String(40))
    source_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)

    lot: Mapped[SupplyLot] = relationship()


class StockBalance(Base):
    """On hand per (location, lot): the running sum of the ledger, for fast reads."""

    __tablename__ = "stock_balances"

    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), primary_key=True)
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_lots.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)


class SupplyTransfer(Base):
    """Stock sent from one location to another: out at the source when sent, in at the
    destination once, when received."""

    __tablename__ = "supply_transfers"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    from_location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"))
    to_location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    state: Mapped[TransferState] = mapped_column(str_enum(TransferState, 16), index=True,
                                                 default=TransferState.IN_TRANSIT)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    received_at: Mapped[datetime | None]
    received_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    received_device_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    cancelled_at: Mapped[datetime | None]
    cancelled_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    from_location: Mapped[StockLocation] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[StockLocation] = relationship(foreign_keys=[to_location_id])
    lines: Mapped[list[SupplyTransferLine]] = relationship(
        back_populates="transfer", order_by="SupplyTransferLine.id", cascade="all, delete-orphan")


class SupplyTransferLine(Base):
    __tablename__ = "supply_transfer_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("supply_transfers.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"))
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_lots.id"))
    quantity: Mapped[int]

    transfer: Mapped[SupplyTransfer] = relationship(back_populates="lines")
    lot: Mapped[SupplyLot] = relationship()


class StockDiscrepancy(Base):
    """A lot that went below zero at a location: one open at a time per (location, lot)."""

    __tablename__ = "stock_discrepancies"
    __table_args__ = (
        sa.Index("ix_stock_discrepancies_one_open", "location_id", "lot_id", unique=True,
                 sqlite_where=sa.text("state = 'open'"),
                 postgresql_where=sa.text("state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"))
    lot_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_lots.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"))
    on_hand_when_found: Mapped[int]
    state: Mapped[DiscrepancyState] = mapped_column(str_enum(DiscrepancyState, 16), index=True,
                                                    default=DiscrepancyState.OPEN)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(sa.String(500))

    location: Mapped[StockLocation] = relationship()
    lot: Mapped[SupplyLot] = relationship()


class SupplyAlert(Base):
    """Low stock at a location, or a lot with stock near or past its expiry."""

    __tablename__ = "supply_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AlertKind] = mapped_column(str_enum(AlertKind, 16))
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"))
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supply_lots.id"))
    # The figures when last seen: stock on hand, the par (low stock), the expiry (lots).
    on_hand: Mapped[int]
    par: Mapped[int | None]
    expires_on: Mapped[date | None]
    state: Mapped[AlertState] = mapped_column(str_enum(AlertState, 16), index=True,
                                              default=AlertState.OPEN)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cleared_at: Mapped[datetime | None]

    location: Mapped[StockLocation] = relationship()
    item: Mapped[SupplyItem] = relationship()
    lot: Mapped[SupplyLot | None] = relationship()


class ParLevel(Base):
    """The stock a location should hold of an item; below it is low stock."""

    __tablename__ = "par_levels"
    __table_args__ = (sa.CheckConstraint("par >= 0", name="par_not_negative"),)

    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"), primary_key=True)
    par: Mapped[int]


class KitCount(FactColumns, Base):
    """One line of a count a tablet made of its kit (the count_adjust entries it posted
    have it as their source)."""

    __tablename__ = "kit_counts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    count_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, index=True)
    location_id: Mapped[int] = mapped_column(sa.ForeignKey("stock_locations.id"))
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("supply_items.id"))
    lot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supply_lots.id"))
    counted: Mapped[int]


class ReceiptOutcome(enum.StrEnum):
    RECEIVED = "received"
    ALREADY_RECEIVED = "already_received"


class TransferReceipt(FactColumns, Base):
    """A tablet's receipt of a transfer to its kit; the first one receives it."""

    __tablename__ = "transfer_receipts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    transfer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("supply_transfers.id"),
                                                   index=True)
    outcome: Mapped[ReceiptOutcome] = mapped_column(str_enum(ReceiptOutcome, 16))


class LedgerAppendOnlyError(RuntimeError):
    """A ledger entry was changed or deleted: a correction is a new entry instead."""


@sa.event.listens_for(Session, "before_flush")
def _refuse_ledger_edits(session: Session, flush_context: object, instances: object) -> None:
    for obj in session.deleted:
        if isinstance(obj, StockLedgerEntry):
            raise LedgerAppendOnlyError(f"stock ledger entry {obj.id} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, StockLedgerEntry) and session.is_modified(obj, include_collections=False):
            raise LedgerAppendOnlyError(f"stock ledger entry {obj.id} cannot be changed")


@sa.event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_ledger_edits(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
            mapper.class_ is StockLedgerEntry for mapper in state.all_mappers):
        raise LedgerAppendOnlyError("stock ledger entries cannot be changed or deleted")


# The same rule in the database itself, for SQL that bypasses the ORM (also in the migration).
LEDGER_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION stock_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'stock ledger entries are append-only';
END;
$$ LANGUAGE plpgsql
"""
LEDGER_TRIGGER = """
CREATE TRIGGER stock_ledger_append_only BEFORE UPDATE OR DELETE ON stock_ledger
FOR EACH ROW EXECUTE FUNCTION stock_ledger_append_only()
"""
for _ddl in (LEDGER_TRIGGER_FUNCTION, LEDGER_TRIGGER):
    sa.event.listen(StockLedgerEntry.__table__, "after_create",
                    sa.DDL(_ddl).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]
