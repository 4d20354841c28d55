"""The supply kinds devices pull: the item catalog and their unit's kit stock per lot.
Registered into the app's synced kinds (`server.sync.kinds`) from SYNC_KINDS.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.supplies.models import LocationKind, StockBalance, StockLocation, SupplyItem, SupplyLot
from server.supplies.services import KIT_STOCK_KIND, kit_stock_id
from server.sync.kinds import KindRegistry, SyncedKind
from server.sync.scope import PullScope
from server.sync.sources import Record, Source, count_of, page


def _item_records(items: Iterable[SupplyItem]) -> list[Record]:
    return [(str(i.id), {"id": i.id, "sku": i.sku, "name": i.name, "category": i.category.value,
                         "unit_of_measure": i.unit_of_measure, "pack_size": i.pack_size,
                         "gtin": i.gtin, "low_stock_threshold": i.low_stock_threshold,
                         # The name app versions before units of measure read.
                         "unit_of_issue": i.unit_of_measure}) for i in items]


def snapshot_items(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    stmt = page(sa.select(SupplyItem), SupplyItem.id, after, limit, int)
    return _item_records(session.scalars(stmt))


def load_items(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    return _item_records(session.scalars(sa.select(SupplyItem).where(SupplyItem.id.in_(map(int, ids)))))


def _kit_stock(session: Session, scope: PullScope, *where: sa.ColumnElement[bool]) -> list[Record]:
    """The unit's kit stock per lot (zero balances too: a lot given out to nothing shows 0)."""
    if scope.unit_id is None:
        return []
    rows = session.execute(
        sa.select(StockBalance, SupplyLot.lot_number, SupplyLot.expires_on)
        .join(SupplyLot, SupplyLot.id == StockBalance.lot_id)
        .join(StockLocation, StockLocation.id == StockBalance.location_id)
        .where(StockLocation.unit_id == scope.unit_id,
               StockLocation.kind == LocationKind.VEHICLE_KIT, *where)
        .order_by(StockBalance.location_id, StockBalance.lot_id))
    records: list[Record] = []
    for balance, lot_number, expires_on in rows:
        record_id = kit_stock_id(balance.location_id, balance.lot_id)
        records.append((record_id, {
            "id": record_id, "location_id": balance.location_id, "item_id": balance.item_id,
            "lot_id": balance.lot_id, "lot_number": lot_number,
            "expires_on": expires_on.isoformat() if expires_on else None,
            "on_hand": balance.on_hand}))
    return records


def snapshot_kit(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    # A kit holds a few dozen lots: one page, whatever the limit.
    return [] if after is not None else _kit_stock(session, scope)


def load_kit(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    wanted = set(ids)
    return [r for r in _kit_stock(session, scope) if r[0] in wanted]


def register(kinds: KindRegistry) -> None:
    kinds.register(SyncedKind(None, source=Source(
        "supply_item", snapshot_items, lambda s, scope: count_of(s, sa.select(SupplyItem.id)),
        load_items)))
    kinds.register(SyncedKind(None, source=Source(
        KIT_STOCK_KIND, snapshot_kit, lambda s, scope: len(_kit_stock(s, scope)), load_kit)))
