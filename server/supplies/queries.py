"""What the supply screens read: locations, stock rows with names, the stock card, transfers,
discrepancies, alerts and par levels. Who may read which location is decided here too: the
supply manager, an admin and a supervisor every location; a responder only their unit's kit.

The stock card says who moved stock, on which device and why, never what produced the move
(a harm-reduction entry, a call, a contact): source ids never leave this module.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import FIELD_ROLES, Device, User
from server.errors import DomainError, not_found
from server.supplies import services
from server.supplies.models import (
    AlertState,
    DiscrepancyState,
    ParLevel,
    StockBalance,
    StockDiscrepancy,
    StockLedgerEntry,
    StockLocation,
    SupplyAlert,
    SupplyItem,
    SupplyLot,
    SupplyTransfer,
    TransferState,
)


def readable_locations(session: Session, actor: User, unit_id: int | None,
                       location_id: int | None) -> list[int]:
    """The locations `actor` reads stock of, narrowed to `location_id` when given: a field
    responder's own unit's kit only (none off shift; 403 for any other location)."""
    if actor.role in FIELD_ROLES:
        kit = services.unit_kit(session, unit_id)
        mine = [kit.id] if kit is not None else []
        if location_id is not None and location_id not in mine:
            raise DomainError(403, "You may read your own unit's kit only.")
        return mine
    if location_id is not None:
        if session.get(StockLocation, location_id) is None:
            raise not_found("location")
        return [location_id]
    return list(session.scalars(sa.select(StockLocation.id)))


def list_locations(session: Session) -> list[StockLocation]:
    return list(session.scalars(sa.select(StockLocation).order_by(StockLocation.kind,
                                                                  StockLocation.name)))


def stock_rows(session: Session, location_ids: list[int], item_id: int | None) -> list[dict[str, Any]]:
    """Stock on hand per location and lot (the ledger service's figures), with names."""
    held = [r for r in services.stock_on_hand(session, location_ids)
            if item_id is None or r.item_id == item_id]
    lots = {lot.id: lot for lot in session.scalars(
        sa.select(SupplyLot).where(SupplyLot.id.in_({r.lot_id for r in held})))}
    items = {i.id: i for i in session.scalars(
        sa.select(SupplyItem).where(SupplyItem.id.in_({r.item_id for r in held})))}
    places = {p.id: p.name for p in session.scalars(
        sa.select(StockLocation).where(StockLocation.id.in_({r.location_id for r in held})))}
    rows = [{"location_id": r.location_id, "location_name": places[r.location_id],
             "item_id": r.item_id, "item_name": items[r.item_id].name, "sku": items[r.item_id].sku,
             "lot_id": r.lot_id, "lot_number": lots[r.lot_id].lot_number,
             "expires_on": lots[r.lot_id].expires_on, "on_hand": r.on_hand} for r in held]
    return sorted(rows, key=lambda r: (r["location_name"], r["item_name"],
                                       r["expires_on"] is None, r["expires_on"] or 0, r["lot_id"]))


def stock_card(session: Session, location_id: int, item_id: int) -> dict[str, Any]:
    """Every move of an item at a location in time order, with the balance after each."""
    if session.get(SupplyItem, item_id) is None:
        raise not_found("item")
    moves = session.execute(
        sa.select(StockLedgerEntry.id, StockLedgerEntry.at, StockLedgerEntry.reason,
                  SupplyLot.lot_number, StockLedgerEntry.delta, User.full_name, Device.name)
        .join(SupplyLot, SupplyLot.id == StockLedgerEntry.lot_id)
        .outerjoin(User, User.id == StockLedgerEntry.user_id)
        .outerjoin(Device, Device.id == StockLedgerEntry.device_id)
        .where(StockLedgerEntry.location_id == location_id, SupplyLot.item_id == item_id)
        .order_by(StockLedgerEntry.at, StockLedgerEntry.id))
    balance, entries = 0, []
    for entry_id, at, reason, lot_number, delta, user_name, device_name in moves:
        balance += delta
        entries.append({"id": entry_id, "at": at, "reason": reason, "lot_number": lot_number,
                        "delta": delta, "balance_after": balance, "user_name": user_name,
                        "device_name": device_name})
    return {"balance": balance, "entries": entries}


def transfer_dict(transfer: SupplyTransfer) -> dict[str, Any]:
    return {"id": transfer.id, "from_location_id": transfer.from_location_id,
            "from_location_name": transfer.from_location.name,
            "to_location_id": transfer.to_location_id, "to_location_name": transfer.to_location.name,
            "state": transfer.state, "sent_at": transfer.sent_at, "received_at": transfer.received_at,
            "lines": [{"item_id": line.item_id, "item_name": line.lot.item.name,
                       "lot_id": line.lot_id, "lot_number": line.lot.lot_number,
                       "expires_on": line.lot.expires_on, "quantity": line.quantity}
                      for line in transfer.lines]}


def list_transfers(session: Session, state: TransferState | None) -> list[dict[str, Any]]:
    stmt = sa.select(SupplyTransfer).order_by(SupplyTransfer.sent_at.desc())
    if state is not None:
        stmt = stmt.where(SupplyTransfer.state == state)
    return [transfer_dict(t) for t in session.scalars(stmt)]


def discrepancy_dict(session: Session, found: StockDiscrepancy) -> dict[str, Any]:
    lot = session.get(SupplyLot, found.lot_id)
    place = session.get(StockLocation, found.location_id)
    balance = session.get(StockBalance, (found.location_id, found.lot_id))
    resolver = session.get(User, found.resolved_by) if found.resolved_by else None
    assert lot is not None
    assert place is not None
    return {"id": found.id, "location_id": found.location_id, "location_name": place.name,
            "lot_id": found.lot_id, "lot_number": lot.lot_number, "item_id": found.item_id,
            "item_name": lot.item.name, "on_hand_when_found": found.on_hand_when_found,
            "on_hand": balance.on_hand if balance else 0, "state": found.state,
            "opened_at": found.opened_at, "resolved_at": found.resolved_at,
            "resolved_by_name": resolver.full_name if resolver else None,
            "resolution": found.resolution}


def list_discrepancies(session: Session, state: DiscrepancyState | None) -> list[dict[str, Any]]:
    stmt = sa.select(StockDiscrepancy).order_by(StockDiscrepancy.opened_at.desc())
    if state is not None:
        stmt = stmt.where(StockDiscrepancy.state == state)
    return [discrepancy_dict(session, d) for d in session.scalars(stmt)]


def alert_dict(session: Session, alert: SupplyAlert) -> dict[str, Any]:
    place = session.get(StockLocation, alert.location_id)
    item = session.get(SupplyItem, alert.item_id)
    lot = session.get(SupplyLot, alert.lot_id) if alert.lot_id else None
    assert place is not None
    assert item is not None
    return {"id": alert.id, "kind": alert.kind, "location_id": alert.location_id,
            "location_name": place.name, "item_id": alert.item_id, "item_name": item.name,
            "lot_id": alert.lot_id, "lot_number": lot.lot_number if lot else None,
            "on_hand": alert.on_hand, "par": alert.par, "expires_on": alert.expires_on,
            "state": alert.state, "first_seen": alert.first_seen, "last_seen": alert.last_seen}


def list_alerts(session: Session, state: AlertState | None) -> list[dict[str, Any]]:
    stmt = sa.select(SupplyAlert).order_by(SupplyAlert.last_seen.desc(), SupplyAlert.id)
    if state is not None:
        stmt = stmt.where(SupplyAlert.state == state)
    return [alert_dict(session, a) for a in session.scalars(stmt)]


def list_par_levels(session: Session, location_id: int | None) -> list[ParLevel]:
    stmt = sa.select(ParLevel).order_by(ParLevel.location_id, ParLevel.item_id)
    if location_id is not None:
        stmt = stmt.where(ParLevel.location_id == location_id)
    return list(session.scalars(stmt))
