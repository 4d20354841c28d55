"""The supply ledger's rules: entries posted with their balances (and the discrepancies and
feed changes they make), stock on hand, lots first expiry first, each unit's vehicle kit;
transfers, counts, write-offs, receipts, par levels and alerts built on them. Every move
locks its location first (`lock_locations`). Nothing here commits."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import Role, User
from server.changes import note_change, role_scope, unit_scope
from server.database import dialect_insert
from server.errors import DomainError, field_error, not_found
from server.locking import lock_row, lock_rows
from server.models_base import utcnow
from server.supplies.models import (
    AlertKind,
    AlertState,
    DiscrepancyState,
    LedgerReason,
    LocationKind,
    ParLevel,
    StockBalance,
    StockDiscrepancy,
    StockLedgerEntry,
    StockLocation,
    SupplyAlert,
    SupplyItem,
    SupplyLot,
    SupplyTransfer,
    SupplyTransferLine,
    TransferState,
)

# Feed kinds of the records devices pull (server.supplies.sync).
KIT_STOCK_KIND = "kit_stock"
TRANSFER_KIND = "supply_transfer"
ALERT_KIND = "supply_alert"
DISCREPANCY_KIND = "supply_discrepancy"
# The source_kind of the entries a transfer posts.
TRANSFER_SOURCE = "supply_transfer"
SUPPLY_MANAGER_ROLE = Role.SUPPLY_MANAGER.value
# What an adjustment takes out of stock for (a count corrects with count_adjust).
ADJUST_REASONS = (LedgerReason.EXPIRE, LedgerReason.DAMAGE)
# Longest resolution note kept (the column's size).
RESOLUTION_LENGTH = 500


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


def _add_to_balance(session: Session, location_id: int, lot_id: int, item_id: int,
                    delta: int) -> int:
    """Add delta to the (location, lot) balance, made if new; returns the new on hand.
    Additive, so two transactions moving the same lot both count, whichever commits first."""
    table: sa.Table = StockBalance.__table__  # type: ignore[assignment]
    stmt = dialect_insert(session, table).values(location_id=location_id, lot_id=lot_id,
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
    stmt = dialect_insert(session, table).values(
        location_id=location_id, lot_id=lot_id, item_id=item_id, on_hand_when_found=on_hand,
        state=DiscrepancyState.OPEN.value, opened_at=utcnow(),
    # The index's predicate as literal SQL: a bound value there stops PostgreSQL finding the
    # partial index once it plans the prepared statement generically.
    ).on_conflict_do_nothing(index_elements=[table.c.location_id, table.c.lot_id],
                             index_where=sa.text("state = 'open'")).returning(table.c.id)
    opened = session.execute(stmt).scalar_one_or_none()
    if opened is not None:
        note_change(session, DISCREPANCY_KIND, opened, [role_scope(SUPPLY_MANAGER_ROLE)])


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


def lock_locations(session: Session, location_ids: Iterable[int]) -> None:
    """Hold these stock locations until the transaction ends, in id order: each stock move
    at a location waits for the one before it to commit. Every move takes it first (before a
    transfer's row, before any balance), so two transactions moving stock over several calls
    never deadlock, and a count or a transfer reads the balances the last move left."""
    lock_rows(session, StockLocation, location_ids)


def post_entries(session: Session, entries: list[NewEntry],
                 actor: User | None) -> list[StockLedgerEntry]:
    """Write the entries and add them to the balances, in one transaction. Never refuses:
    a lot that goes below zero at a location opens a discrepancy for the supply manager.
    Locations are locked first and balances touched in (location, lot) order, so two
    pushes never deadlock."""
    if not entries:
        return []
    lock_locations(session, {e.location_id for e in entries})
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
    if unknown := {lot for _loc, lot in totals} - items.keys():
        raise field_error("lot_id", f"no such lot: {min(unknown)}")
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
    """Each lot held at these locations (nonzero balances: below 0 when more was recorded
    out than in), in (location, lot) order."""
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


def unit_kit(session: Session, unit_id: int | None) -> StockLocation | None:
    """The unit's vehicle kit (the first made, should a unit have several); none without a
    unit (a responder off shift)."""
    if unit_id is None:
        return None
    return session.scalar(
        sa.select(StockLocation)
        .where(StockLocation.unit_id == unit_id, StockLocation.kind == LocationKind.VEHICLE_KIT)
        .order_by(StockLocation.id).limit(1))


# --- transfers ------------------------------------------------------------------------------

class ReceiveResult(NamedTuple):
    transfer: SupplyTransfer
    already_received: bool


def _location(session: Session, location_id: int, field: str) -> StockLocation:
    """The location a request names (an unknown one is a bad field, 422)."""
    location = session.get(StockLocation, location_id)
    if location is None:
        raise field_error(field, "no such stock location")
    return location


def _balances(session: Session, location_id: int,
              item_ids: Iterable[int]) -> dict[int, StockBalance]:
    """The location's balances of these items, as committed now (taken after the location's
    lock, they stay so until the transaction ends): lot id -> balance."""
    stmt = (sa.select(StockBalance)
            .where(StockBalance.location_id == location_id,
                   StockBalance.item_id.in_(set(item_ids)))
            .execution_options(populate_existing=True))
    return {b.lot_id: b for b in session.scalars(stmt)}


def _fefo_order(session: Session, lot_ids: Iterable[int]) -> list[SupplyLot]:
    return list(session.scalars(
        sa.select(SupplyLot).where(SupplyLot.id.in_(set(lot_ids)))
        .order_by(SupplyLot.expires_on.is_(None), SupplyLot.expires_on, SupplyLot.id)))


def _transfer_scopes(session: Session, transfer: SupplyTransfer) -> list[str]:
    """Who sees a transfer in transit: the supply managers and the destination kit's unit."""
    kit = session.get(StockLocation, transfer.to_location_id)
    units = [unit_scope(kit.unit_id)] if kit is not None and kit.unit_id is not None else []
    return [role_scope(SUPPLY_MANAGER_ROLE), *units]


def unknown_item_or_lot(session: Session, item_id: int,
                        lot_id: int | None) -> tuple[str, str] | None:
    """(field, why) of a line naming an item that does not exist, or a lot not of that item."""
    if session.get(SupplyItem, item_id) is None:
        return "item_id", "no such item"
    if lot_id is not None and session.scalar(
            sa.select(SupplyLot.item_id).where(SupplyLot.id == lot_id)) != item_id:
        return "lot_id", "no such lot of this item"
    return None


def _pick_lots(session: Session, item_id: int, lot_id: int | None, quantity: int,
               held: dict[int, StockBalance], taken: dict[int, int]) -> list[tuple[int, int]] | str:
    """(lot, quantity) to send for one line, or why not: the named lot, else the lots with
    stock first expiry first. `taken` counts what earlier lines of the transfer took."""
    def left(lot: int) -> int:
        balance = held.get(lot)
        return (balance.on_hand if balance and balance.item_id == item_id else 0) - taken[lot]

    if lot_id is not None:
        if left(lot_id) < quantity:
            return f"the source holds {max(left(lot_id), 0)} of this lot"
        return [(lot_id, quantity)]
    picked: list[tuple[int, int]] = []
    wanted = quantity
    for lot in _fefo_order(session, [b.lot_id for b in held.values() if b.item_id == item_id]):
        if wanted and (n := min(left(lot.id), wanted)) > 0:
            picked.append((lot.id, n))
            wanted -= n
    if wanted:
        return f"the source holds {quantity - wanted} of this item"
    return picked


def send_transfer(session: Session, actor: User, from_location_id: int, to_location_id: int,
                  lines: Sequence[Mapping[str, Any]], *,
                  device_id: uuid.UUID | None = None) -> SupplyTransfer:
    """Send stock: transfer_out entries at the source now. Lines name an item, a quantity
    and maybe a lot (else lots first expiry first). A warehouse act made online: a line
    asking more than the source holds is refused, naming the line's field."""
    source = _location(session, from_location_id, "from_location_id")
    _location(session, to_location_id, "to_location_id")
    if to_location_id == from_location_id:
        raise field_error("to_location_id", "the destination is the source")
    lock_locations(session, [source.id])
    held = _balances(session, source.id, {int(line["item_id"]) for line in lines})
    taken: dict[int, int] = defaultdict(int)
    transfer = SupplyTransfer(id=uuid.uuid4(), from_location_id=source.id,
                              to_location_id=to_location_id, state=TransferState.IN_TRANSIT,
                              sent_at=utcnow(), sent_by=actor.id)
    errors: dict[str, dict[str, list[str]]] = {}
    for n, line in enumerate(lines):
        item_id, lot_id = int(line["item_id"]), line.get("lot_id")
        if (unknown := unknown_item_or_lot(session, item_id, lot_id)) is not None:
            field, why = unknown
            errors[str(n)] = {field: [why]}
            continue
        picked = _pick_lots(session, item_id, lot_id, int(line["quantity"]), held, taken)
        if isinstance(picked, str):
            errors[str(n)] = {"lot_id" if lot_id is not None else "quantity": [picked]}
            continue
        for lot, quantity in picked:
            taken[lot] += quantity
            transfer.lines.append(SupplyTransferLine(item_id=item_id, lot_id=lot,
                                                     quantity=quantity))
    if errors or not transfer.lines:
        raise DomainError(422, "The source cannot send these lines.",
                          {"json": {"lines": errors or {"_schema": ["no lines to send"]}}})
    session.add(transfer)
    session.flush()
    post_entries(session, [NewEntry(source.id, line.lot_id, -line.quantity,
                                    LedgerReason.TRANSFER_OUT, device_id=device_id,
                                    source_kind=TRANSFER_SOURCE, source_id=transfer.id)
                           for line in transfer.lines], actor)
    note_change(session, TRANSFER_KIND, transfer.id, _transfer_scopes(session, transfer))
    return transfer


def _lock_transfer(session: Session, transfer_id: uuid.UUID, at: str) -> SupplyTransfer:
    """The transfer locked, after the location its stock moves at (`at`: "to" or "from")."""
    ends = session.execute(sa.select(SupplyTransfer.from_location_id,
                                     SupplyTransfer.to_location_id)
                           .where(SupplyTransfer.id == transfer_id)).first()
    if ends is None:
        raise field_error("transfer_id", "no such transfer", 404)
    lock_locations(session, [ends.to_location_id if at == "to" else ends.from_location_id])
    transfer = lock_row(session, SupplyTransfer, transfer_id)
    assert transfer is not None, "transfers are never deleted"
    return transfer


def receive_transfer(session: Session, actor: User, transfer_id: uuid.UUID,
                     device_id: uuid.UUID | None = None) -> ReceiveResult:
    """Receive a transfer at its destination, once: transfer_in entries there. Received
    before (by another tablet, or by the warehouse): nothing new, already_received."""
    transfer = _lock_transfer(session, transfer_id, "to")
    if transfer.state == TransferState.RECEIVED:
        return ReceiveResult(transfer, already_received=True)
    if transfer.state == TransferState.CANCELLED:
        raise field_error("transfer_id", "this transfer was cancelled", 409)
    transfer.state = TransferState.RECEIVED
    transfer.received_at = utcnow()
    transfer.received_by = actor.id
    transfer.received_device_id = device_id
    post_entries(session, [NewEntry(transfer.to_location_id, line.lot_id, line.quantity,
                                    LedgerReason.TRANSFER_IN, device_id=device_id,
                                    source_kind=TRANSFER_SOURCE, source_id=transfer.id)
                           for line in transfer.lines], actor)
    # No longer in transit: it leaves the devices that showed it.
    note_change(session, TRANSFER_KIND, transfer.id, _transfer_scopes(session, transfer), "remove")
    return ReceiveResult(transfer, already_received=False)


def cancel_transfer(session: Session, actor: User, transfer_id: uuid.UUID, *,
                    device_id: uuid.UUID | None = None) -> SupplyTransfer:
    """Call back a transfer still in transit: its stock returns to the source."""
    transfer = _lock_transfer(session, transfer_id, "from")
    if transfer.state != TransferState.IN_TRANSIT:
        raise field_error("transfer_id", f"this transfer is {transfer.state.value}", 409)
    transfer.state = TransferState.CANCELLED
    transfer.cancelled_at = utcnow()
    transfer.cancelled_by = actor.id
    post_entries(session, [NewEntry(transfer.from_location_id, line.lot_id, line.quantity,
                                    LedgerReason.TRANSFER_IN, device_id=device_id,
                                    source_kind=TRANSFER_SOURCE, source_id=transfer.id)
                           for line in transfer.lines], actor)
    # No longer in transit: it leaves the devices that showed it.
    note_change(session, TRANSFER_KIND, transfer.id, _transfer_scopes(session, transfer), "remove")
    return transfer


# --- counts, adjustments, receipts, discrepancies -------------------------------------------

def _count_targets(lots: list[SupplyLot], on_hand: dict[int, int], counted: int) -> dict[int, int]:
    """What each lot holds after an item-level count of `counted`, lots in FEFO order:
    the first to expire are the first given out, so a shortfall comes off them and the
    later lots keep what they hold; no lot stays below zero; more than held goes on the
    first lot."""
    targets: dict[int, int] = {}
    left = counted
    for lot in reversed(lots):
        targets[lot.id] = min(max(on_hand[lot.id], 0), left)
        left -= targets[lot.id]
    targets[lots[0].id] += left
    return targets


def _resolve_reconciled(session: Session, actor: User | None, location_id: int,
                        lot_ids: Iterable[int], note: str) -> None:
    """Open discrepancies at the location whose lot is back at or above zero: resolved."""
    open_ones = session.scalars(
        sa.select(StockDiscrepancy)
        .join(StockBalance, sa.and_(StockBalance.location_id == StockDiscrepancy.location_id,
                                    StockBalance.lot_id == StockDiscrepancy.lot_id))
        .where(StockDiscrepancy.location_id == location_id,
               StockDiscrepancy.lot_id.in_(set(lot_ids)),
               StockDiscrepancy.state == DiscrepancyState.OPEN, StockBalance.on_hand >= 0))
    for discrepancy in open_ones:
        _settle(session, discrepancy, actor, note)


def _settle(session: Session, discrepancy: StockDiscrepancy, actor: User | None,
            note: str) -> None:
    """Resolved with a note: it leaves the supply managers' open list."""
    note_change(session, DISCREPANCY_KIND, discrepancy.id, [role_scope(SUPPLY_MANAGER_ROLE)],
                "remove")
    discrepancy.state = DiscrepancyState.RESOLVED
    discrepancy.resolved_at = utcnow()
    discrepancy.resolved_by = actor.id if actor else None
    discrepancy.resolution = note[:RESOLUTION_LENGTH]


def record_count(session: Session, actor: User | None, location_id: int,
                 lines: Sequence[Mapping[str, Any]], *, device_id: uuid.UUID | None = None,
                 at: datetime | None = None, source_kind: str | None = None,
                 source_id: uuid.UUID | None = None) -> list[StockLedgerEntry]:
    """A physical count: each line is {lot_id, counted} or {item_id, counted} (the item's
    lots at the location together, the difference spread FEFO). Posts count_adjust =
    counted - on hand now, per lot; returns those adjustments. A lot that was below zero
    and is reconciled by the count has its open discrepancy resolved."""
    _location(session, location_id, "location_id")
    lot_items = dict(session.execute(sa.select(SupplyLot.id, SupplyLot.item_id).where(
        SupplyLot.id.in_({int(li["lot_id"]) for li in lines if li.get("lot_id") is not None}))
    ).all())
    item_ids = {int(li["item_id"]) for li in lines if li.get("lot_id") is None} | set(
        lot_items.values())
    lock_locations(session, [location_id])
    balances = _balances(session, location_id, item_ids)
    held = {lot: b.on_hand for lot, b in balances.items()}
    targets: dict[int, int] = {}
    for line in lines:
        if (lot_id := line.get("lot_id")) is not None:
            if int(lot_id) not in lot_items:
                raise field_error("lot_id", "no such lot")
            targets[int(lot_id)] = int(line["counted"])
            continue
        item_id = int(line["item_id"])
        lots = _fefo_order(session, [b.lot_id for b in balances.values() if b.item_id == item_id])
        if not lots:  # none ever held here: what was found goes on the item's first lot
            lots = _fefo_order(session, session.scalars(
                sa.select(SupplyLot.id).where(SupplyLot.item_id == item_id)))
            if not lots:
                raise field_error("item_id", "this item has no lot yet: receive it first")
        targets.update(_count_targets(lots, {lot.id: held.get(lot.id, 0) for lot in lots},
                                      int(line["counted"])))
    entries = [NewEntry(location_id, lot, target - held.get(lot, 0), LedgerReason.COUNT_ADJUST,
                        at=at, device_id=device_id, source_kind=source_kind, source_id=source_id)
               for lot, target in sorted(targets.items()) if target != held.get(lot, 0)]
    posted = post_entries(session, entries, actor)
    _resolve_reconciled(session, actor, location_id, targets,
                        f"Reconciled by the count of {(at or utcnow()).date().isoformat()}.")
    return posted


def adjust(session: Session, actor: User, location_id: int, lot_id: int, quantity: int,
           reason: LedgerReason, *, device_id: uuid.UUID | None = None) -> StockLedgerEntry:
    """Take `quantity` of a lot out of stock as expired or damaged (an online act at a
    location: no more than it holds)."""
    if reason not in ADJUST_REASONS:
        raise field_error("reason", "one of: " + ", ".join(r.value for r in ADJUST_REASONS))
    if quantity < 1:
        raise field_error("quantity", "at least 1")
    _location(session, location_id, "location_id")
    lot = session.get(SupplyLot, lot_id)
    if lot is None:
        raise field_error("lot_id", "no such lot")
    lock_locations(session, [location_id])
    balance = _balances(session, location_id, [lot.item_id]).get(lot_id)
    on_hand = balance.on_hand if balance else 0
    if quantity > on_hand:
        raise field_error("quantity", f"the location holds {max(on_hand, 0)} of this lot")
    return post_entries(session, [NewEntry(location_id, lot_id, -quantity, reason,
                                           device_id=device_id)], actor)[0]


def record_receipt(session: Session, actor: User, location_id: int, item_id: int,
                   lot_number: str, expires_on: date | None, quantity: int, *,
                   device_id: uuid.UUID | None = None,
                   expiry_field: str = "expires_on") -> StockLedgerEntry:
    """Stock received at a location: `quantity` units of measure of the lot, made on its
    first receipt. A lot keeps one expiry: a receipt without one takes the lot's, a lot
    without one takes the receipt's, two different ones are refused (on `expiry_field`)."""
    if quantity < 1:
        raise field_error("quantity", "at least 1")
    _location(session, location_id, "location_id")
    if session.get(SupplyItem, item_id) is None:
        raise field_error("item_id", "no such item")
    lots: sa.Table = SupplyLot.__table__  # type: ignore[assignment]
    session.execute(dialect_insert(session, lots).values(
        item_id=item_id, lot_number=lot_number, expires_on=expires_on,
    ).on_conflict_do_nothing(index_elements=[lots.c.item_id, lots.c.lot_number]))
    lot = session.scalars(sa.select(SupplyLot).where(
        SupplyLot.item_id == item_id, SupplyLot.lot_number == lot_number)
        .execution_options(populate_existing=True)).one()
    if lot.expires_on is None:
        lot.expires_on = expires_on
    elif expires_on is not None and expires_on != lot.expires_on:
        raise field_error(expiry_field,
                          f"lot {lot_number} of this item expires on {lot.expires_on.isoformat()}")
    return post_entries(session, [NewEntry(location_id, lot.id, quantity, LedgerReason.RECEIVE,
                                           device_id=device_id)], actor)[0]


def resolve_discrepancy(session: Session, actor: User, discrepancy_id: int,
                        note: str) -> StockDiscrepancy:
    discrepancy = lock_row(session, StockDiscrepancy, discrepancy_id)
    if discrepancy is None:
        raise not_found("discrepancy")
    if discrepancy.state != DiscrepancyState.OPEN:
        raise field_error("discrepancy_id", "this discrepancy is already resolved", 409)
    _settle(session, discrepancy, actor, note)
    session.flush()
    return discrepancy


# --- par levels and alerts ------------------------------------------------------------------

def set_par_level(session: Session, actor: User, location_id: int, item_id: int,
                  par: int) -> ParLevel:
    if par < 0:
        raise field_error("par", "0 or more")
    _location(session, location_id, "location_id")
    if session.get(SupplyItem, item_id) is None:
        raise field_error("item_id", "no such item")
    level = session.get(ParLevel, (location_id, item_id)) or ParLevel(
        location_id=location_id, item_id=item_id)
    level.par = par
    session.add(level)
    session.flush()
    return level


AlertKey = tuple[AlertKind, int, int, int | None]  # kind, location, item, lot


@dataclass(frozen=True)
class AlertFigures:
    on_hand: int
    par: int | None = None
    expires_on: date | None = None


def _alerts_due(session: Session, today: date, near_expiry_days: int) -> dict[AlertKey, AlertFigures]:
    """What should be alerted now: an item below its par at a location (the sum of its
    lots); a lot with stock there past its expiry (expired: `expires_on` before today, the
    label's date still counting as usable) or expiring within `near_expiry_days`."""
    due: dict[AlertKey, AlertFigures] = {}
    held = (sa.select(StockBalance.location_id, StockBalance.item_id,
                      sa.func.sum(StockBalance.on_hand).label("on_hand"))
            .group_by(StockBalance.location_id, StockBalance.item_id).subquery())
    low = session.execute(
        sa.select(ParLevel.location_id, ParLevel.item_id, ParLevel.par,
                  sa.func.coalesce(held.c.on_hand, 0))
        .outerjoin(held, sa.and_(held.c.location_id == ParLevel.location_id,
                                 held.c.item_id == ParLevel.item_id))
        .where(sa.func.coalesce(held.c.on_hand, 0) < ParLevel.par))
    for location_id, item_id, par, on_hand in low:
        due[(AlertKind.LOW_STOCK, location_id, item_id, None)] = AlertFigures(int(on_hand), par)
    soon = today + timedelta(days=near_expiry_days)
    lots = session.execute(
        sa.select(StockBalance.location_id, StockBalance.item_id, StockBalance.lot_id,
                  StockBalance.on_hand, SupplyLot.expires_on)
        .join(SupplyLot, SupplyLot.id == StockBalance.lot_id)
        .where(StockBalance.on_hand > 0, SupplyLot.expires_on <= soon))
    for location_id, item_id, lot_id, on_hand, expires_on in lots:
        assert expires_on is not None  # lots that never expire compare as NULL: not here
        kind = AlertKind.EXPIRED if expires_on < today else AlertKind.NEAR_EXPIRY
        due[(kind, location_id, item_id, lot_id)] = AlertFigures(on_hand, None, expires_on)
    return due


def _alert_scopes(session: Session, location_id: int) -> list[str]:
    location = session.get(StockLocation, location_id)
    units = ([unit_scope(location.unit_id)] if location is not None
             and location.kind == LocationKind.VEHICLE_KIT and location.unit_id is not None else [])
    return [role_scope(SUPPLY_MANAGER_ROLE), *units]


def compute_alerts(session: Session, now: datetime, near_expiry_days: int) -> dict[str, int]:
    """Open alerts newly due, refresh the figures of those still due, clear those no longer
    due; each change is a supply_alert feed change for the supply managers (and the kit's
    unit). Returns how many were opened, refreshed and cleared."""
    due = _alerts_due(session, now.date(), near_expiry_days)
    live = session.scalars(sa.select(SupplyAlert).where(
        SupplyAlert.state != AlertState.CLEARED).order_by(SupplyAlert.id)).all()
    summary = {"opened": 0, "refreshed": 0, "cleared": 0}
    seen: set[AlertKey] = set()
    for alert in live:
        key: AlertKey = (alert.kind, alert.location_id, alert.item_id, alert.lot_id)
        figures = due.get(key)
        if figures is None or key in seen:
            alert.state, alert.cleared_at = AlertState.CLEARED, now
            note_change(session, ALERT_KIND, alert.id, _alert_scopes(session, alert.location_id),
                        "remove")
            summary["cleared"] += 1
            continue
        seen.add(key)
        alert.last_seen = now
        if (alert.on_hand, alert.par, alert.expires_on) != (figures.on_hand, figures.par,
                                                            figures.expires_on):
            alert.on_hand, alert.par, alert.expires_on = (figures.on_hand, figures.par,
                                                          figures.expires_on)
            note_change(session, ALERT_KIND, alert.id, _alert_scopes(session, alert.location_id))
            summary["refreshed"] += 1
    for key in sorted(set(due) - seen, key=lambda k: (k[1], k[2], k[3] or 0, k[0].value)):
        kind, location_id, item_id, lot_id = key
        figures = due[key]
        alert = SupplyAlert(kind=kind, location_id=location_id, item_id=item_id, lot_id=lot_id,
                            on_hand=figures.on_hand, par=figures.par,
                            expires_on=figures.expires_on, state=AlertState.OPEN,
                            first_seen=now, last_seen=now)
        session.add(alert)
        session.flush()
        note_change(session, ALERT_KIND, alert.id, _alert_scopes(session, location_id))
        summary["opened"] += 1
    session.flush()
    return summary


def acknowledge_alert(session: Session, actor: User, alert_id: int) -> SupplyAlert:
    """Someone has seen to it: it stays (acknowledged) until its condition clears."""
    alert = lock_row(session, SupplyAlert, alert_id)
    if alert is None:
        raise not_found("alert")
    if alert.state == AlertState.CLEARED:
        raise field_error("alert_id", "this alert has cleared", 409)
    if alert.state == AlertState.OPEN:
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by = actor.id
        note_change(session, ALERT_KIND, alert.id, _alert_scopes(session, alert.location_id))
    session.flush()
    return alert

