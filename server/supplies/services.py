"""Supply catalog and stock on hand (a sum of signed ledger entries)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.supplies.models import StockLedgerEntry, StockLocation, SupplyItem, SupplyLot


def list_catalog(session: Session) -> list[SupplyItem]:
    return list(session.scalars(sa.select(SupplyItem).order_by(SupplyItem.name)))


def stock_on_hand(session: Session, location_ids: list[int]) -> list[tuple[int, int, int]]:
    """(location_id, item_id, quantity) for each item held at the given locations."""
    rows = session.execute(
        sa.select(StockLedgerEntry.location_id, SupplyLot.item_id, sa.func.sum(StockLedgerEntry.delta))
        .join(SupplyLot, SupplyLot.id == StockLedgerEntry.lot_id)
        .where(StockLedgerEntry.location_id.in_(location_ids))
        .group_by(StockLedgerEntry.location_id, SupplyLot.item_id)
    )
    return [(loc, item, int(qty)) for loc, item, qty in rows]


def kit_locations(session: Session, unit_id: int) -> list[int]:
    return list(session.scalars(sa.select(StockLocation.id).where(StockLocation.unit_id == unit_id)))
