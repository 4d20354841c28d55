"""The supply ledger's rules: entries posted with their balances, stock on hand, lots in
first-expiry-first-out order, and each unit's vehicle kit. Nothing here commits."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.auth.models import User
from server.changes import note_change, unit_scope
from server.models_base import utcnow
from server.supplies.models import (
    DiscrepancyState,
    LedgerReason,
    LocationKind,
    StockBalance,
    StockDiscrepancy,
    StockLedgerEntry,
    StockLocation,
    SupplyItem,
    SupplyLot,
)

KIT_STOCK_KIND = "kit_stock"


@dataclass(frozen=True)
class NewEntry:
    """One movement to post: `delta` units of measure of a lot at a location."""

    location_id: int
    lot_id: int
    delta: int
    reason: LedgerReason
    at: datetime | None = None  # when it happened; the server clock when not given
    device_id: uuid.UUID | None = None
    source_kind: str | None = None
    source_id: uuid.UUID | None = None


class StockRow(NamedTuple):
    location_id: int
    item_id: int
    lot_id: int
    on_hand: int


class LotOnHand(NamedTuple):
    lot: SupplyLot
    on_hand: int


def list_catalog(session: Session) -> list[SupplyItem]:
    return list(session.scalars(sa.select(SupplyItem).order_by(SupplyItem.name)))


def kit_stock_id(location_id: int, lot_id: int) -> str:
    """The synced record id of one lot's stock in a kit."""
    return f"{location_id}:{lot_id}"


def _insert(session: Session, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT, in the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _add_to_balance(session: Session, location_id: int, lot_id: int, item_id: int,
                    delta: int) -> int:
    """Add delta to the (location, lot) balance, made if new; returns the new on hand.
    Additive, so two transactions moving the same lot both count, whichever commits first."""
    table: sa.Table = StockBalance.__table__  # type: ignore[assignment]
    stmt = _insert(session, table).values(location_id=location_id, lot_id=lot_id,
                                           item_id=item_id, on_hand=delta)
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.location_id, table.c.lot_id],
        set_={"on_hand": table.c.on_hand + stmt.excluded.on_hand},
    ).returning(table.c.on_hand)
    return int(session.execute(upsert).scalar_one())


def _open_discrepancy(session: Session, location_id: int, lot_id: int, item_id: int,
                      on_hand: int) -> None:
    """Open a discrepancy for a lot below zero, unless one is already open for it."""
    table: sa.Table = StockDiscrepancy.__table__  # type: ignore[assignment]
    stmt = _insert(session, table).values(
        location_id=location_id, lot_id=lot_id, item_id=item_id, on_hand_when_found=on_hand,
        state=DiscrepancyState.OPEN.value, opened_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=[table.c.location_id, table.c.lot_id],
                             index_where=table.c.state == DiscrepancyState.OPEN.value)
    session.execute(stmt)


def _note_kit_moves(session: Session, keys: list[tuple[int, int]]) -> None:
    """Each (kit, lot) that moved is a kit_stock change for the kit's unit."""
    units = dict(session.execute(
        sa.select(StockLocation.id, StockLocation.unit_id).where(
            StockLocation.id.in_({loc for loc, _lot in keys}),
            StockLocation.kind == LocationKind.VEHICLE_KIT,
            StockLocation.unit_id.is_not(None))).all())
    for location_id, lot_id in keys:
        if (unit_id := units.get(location_id)) is not None:
            note_change(session, KIT_STOCK_KIND, kit_stock_id(location_id, lot_id),
                        [unit_scope(unit_id)])


def post_entries(session: Session, entries: list[NewEntry],
                 actor: User | None) -> list[StockLedgerEntry]:
    """Write the entries and add them to the balances, in one transaction. Never refuses:
    a lot that goes below zero at a location opens a discrepancy for the supply manager.
    Balances are touched in (location, lot) order, so two pushes never deadlock."""
    if not entries:
        return []
    now = utcnow()
    rows = [StockLedgerEntry(
        id=uuid.uuid4(), location_id=e.location_id, lot_id=e.lot_id, delta=e.delta,
        reason=e.reason, at=e.at or now, user_id=actor.id if actor else None,
        device_id=e.device_id, source_kind=e.source_kind, source_id=e.source_id)
        for e in entries]
    session.add_all(rows)
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for e in entries:
        totals[(e.location_id, e.lot_id)] += e.delta
    items = dict(session.execute(sa.select(SupplyLot.id, SupplyLot.item_id).where(
        SupplyLot.id.in_({lot for _loc, lot in totals}))).all())
    keys = sorted(totals)
    for location_id, lot_id in keys:
        on_hand = _add_to_balance(session, location_id, lot_id, items[lot_id],
                                  totals[(location_id, lot_id)])
        if on_hand < 0:
            _open_discrepancy(session, location_id, lot_id, items[lot_id], on_hand)
    _note_kit_moves(session, keys)
    session.flush()
    return rows


def stock_on_hand(session: Session, location_ids: list[int]) -> list[StockRow]:
    """Each lot held at these locations (nonzero balances, negative ones included), in
    (location, lot) order."""
    rows = session.execute(
        sa.select(StockBalance.location_id, StockBalance.item_id, StockBalance.lot_id,
                  StockBalance.on_hand)
        .where(StockBalance.location_id.in_(location_ids), StockBalance.on_hand != 0)
        .order_by(StockBalance.location_id, StockBalance.lot_id))
    return [StockRow(*row) for row in rows]


def fefo_lots(session: Session, location_id: int, item_id: int) -> list[LotOnHand]:
    """The item's lots with stock at the location, first expiry first (lots that never
    expire last, then oldest lot first)."""
    rows = session.execute(
        sa.select(SupplyLot, StockBalance.on_hand)
        .join(StockBalance, StockBalance.lot_id == SupplyLot.id)
        .where(StockBalance.location_id == location_id, StockBalance.item_id == item_id,
               StockBalance.on_hand > 0)
        .order_by(SupplyLot.expires_on.is_(None), SupplyLot.expires_on, SupplyLot.id))
    return [LotOnHand(lot, on_hand) for lot, on_hand in rows]


def unit_kit(session: Session, unit_id: int) -> StockLocation | None:
    """The unit's vehicle kit (the first made, should a unit have several)."""
    return session.scalar(
        sa.select(StockLocation)
        .where(StockLocation.unit_id == unit_id, StockLocation.kind == LocationKind.VEHICLE_KIT)
        .order_by(StockLocation.id).limit(1))

