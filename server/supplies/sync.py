"""The supply kinds devices pull: the item catalog and their unit's kit stock on hand.
Registered into the app's synced kinds (`server.sync.kinds`) from SYNC_KINDS.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.supplies.models import SupplyItem
from server.supplies.services import kit_locations, stock_on_hand
from server.sync.kinds import KindRegistry, SyncedKind
from server.sync.scope import PullScope
from server.sync.sources import Record, Source, count_of, page


def _item_records(items: Iterable[SupplyItem]) -> list[Record]:
    return [(str(i.id), {"id": i.id, "sku": i.sku, "name": i.name, "unit_of_issue": i.unit_of_issue,
                         "low_stock_threshold": i.low_stock_threshold}) for i in items]


def snapshot_items(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    stmt = page(sa.select(SupplyItem), SupplyItem.id, after, limit, int)
    return _item_records(session.scalars(stmt))


def load_items(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    return _item_records(session.scalars(sa.select(SupplyItem).where(SupplyItem.id.in_(map(int, ids)))))


def _kit_records(session: Session, scope: PullScope) -> list[Record]:
    if scope.unit_id is None:
        return []
    rows = stock_on_hand(session, kit_locations(session, scope.unit_id))
    return [(f"{loc}:{item}", {"id": f"{loc}:{item}", "location_id": loc, "item_id": item,
                               "on_hand": qty}) for loc, item, qty in sorted(rows)]


def snapshot_kit(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    # A kit holds a few dozen items: one page, whatever the limit.
    return [] if after is not None else _kit_records(session, scope)


def load_kit(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    wanted = set(ids)
    return [r for r in _kit_records(session, scope) if r[0] in wanted]


def register(kinds: KindRegistry) -> None:
    kinds.register(SyncedKind(None, source=Source(
        "supply_item", snapshot_items, lambda s, scope: count_of(s, sa.select(SupplyItem.id)),
        load_items)))
    kinds.register(SyncedKind(None, source=Source(
        "kit_stock", snapshot_kit, lambda s, scope: len(_kit_records(s, scope)), load_kit)))
