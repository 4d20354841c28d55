"""The supplies' synced kinds. Pulled: the item catalog, the unit's kit stock per lot,
transfers in transit to the kit, alerts (the kit's for its unit, all of them for supply
managers) and, for supply managers, open discrepancies. Pushed: kit counts and transfer
receipts, facts that post ledger entries at apply time. Registered into the app's synced
kinds (`server.sync.kinds`) from SYNC_KINDS.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from server.errors import DomainError
from server.supplies.kinds import KIT_COUNT, TRANSFER_RECEIPT
from server.supplies.models import (
    AlertState,
    DiscrepancyState,
    KitCount,
    LocationKind,
    ReceiptOutcome,
    StockBalance,
    StockDiscrepancy,
    StockLocation,
    SupplyAlert,
    SupplyItem,
    SupplyLot,
    SupplyTransfer,
    SupplyTransferLine,
    TransferReceipt,
    TransferState,
)
from server.supplies.services import (
    ALERT_KIND,
    DISCREPANCY_KIND,
    KIT_STOCK_KIND,
    SUPPLY_MANAGER_ROLE,
    TRANSFER_KIND,
    kit_stock_id,
    receive_transfer,
    record_count,
    unit_kit,
    unknown_item_or_lot,
)
from server.sync.kinds import KindRegistry, SyncedKind, fact_row, rejected
from server.sync.scope import PullScope
from server.sync.sources import Record, Source, count_of, page
from server.sync.store import SqlPushStore
from sync.ops import Operation, OpResult, Outcome
from sync.push import Actor
from sync.registry import RecordKind

# A kit holds a few dozen lots and has a few transfers on the way: one snapshot page.
ALL_AT_ONCE = 100_000


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# --- the catalog ----------------------------------------------------------------------------

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


# --- the unit's kit stock -------------------------------------------------------------------

def _kit_stock(session: Session, scope: PullScope) -> list[Record]:
    """The unit's kit stock per lot (zero balances too: a lot given out to nothing shows 0)."""
    if scope.unit_id is None:
        return []
    rows = session.execute(
        sa.select(StockBalance, SupplyLot.lot_number, SupplyLot.expires_on)
        .join(SupplyLot, SupplyLot.id == StockBalance.lot_id)
        .join(StockLocation, StockLocation.id == StockBalance.location_id)
        .where(StockLocation.unit_id == scope.unit_id,
               StockLocation.kind == LocationKind.VEHICLE_KIT)
        .order_by(StockBalance.location_id, StockBalance.lot_id))
    records: list[Record] = []
    for balance, lot_number, expires_on in rows:
        record_id = kit_stock_id(balance.location_id, balance.lot_id)
        records.append((record_id, {
            "id": record_id, "location_id": balance.location_id, "item_id": balance.item_id,
            "lot_id": balance.lot_id, "lot_number": lot_number, "expires_on": _iso(expires_on),
            "on_hand": balance.on_hand}))
    return records


def snapshot_kit(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    return [] if after is not None else _kit_stock(session, scope)


def load_kit(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    wanted = set(ids)
    return [r for r in _kit_stock(session, scope) if r[0] in wanted]


# --- transfers in transit -------------------------------------------------------------------

def _manages_supplies(scope: PullScope) -> bool:
    return scope.role == SUPPLY_MANAGER_ROLE


def _unit_kits(scope: PullScope) -> sa.Select[int]:
    return sa.select(StockLocation.id).where(StockLocation.unit_id == (scope.unit_id or -1),
                                             StockLocation.kind == LocationKind.VEHICLE_KIT)


def _transfers_in_scope(scope: PullScope) -> sa.Select[SupplyTransfer]:
    """In transit: to the unit's kit, or anywhere for a supply manager."""
    stmt = sa.select(SupplyTransfer).where(SupplyTransfer.state == TransferState.IN_TRANSIT)
    if not _manages_supplies(scope):
        stmt = stmt.where(SupplyTransfer.to_location_id.in_(_unit_kits(scope)))
    return stmt


def _transfer_records(transfers: Iterable[SupplyTransfer]) -> list[Record]:
    return [(str(t.id), {
        "id": str(t.id), "from_location_id": t.from_location_id,
        "from_location_name": t.from_location.name, "to_location_id": t.to_location_id,
        "to_location_name": t.to_location.name, "state": t.state.value,
        "sent_at": _iso(t.sent_at),
        "lines": [{"item_id": line.item_id, "lot_id": line.lot_id,
                   "lot_number": line.lot.lot_number, "expires_on": _iso(line.lot.expires_on),
                   "quantity": line.quantity} for line in t.lines]}) for t in transfers]


_TRANSFER_LOADS = (selectinload(SupplyTransfer.from_location),
                   selectinload(SupplyTransfer.to_location),
                   selectinload(SupplyTransfer.lines).selectinload(SupplyTransferLine.lot))


def snapshot_transfers(session: Session, scope: PullScope, after: str | None,
                       limit: int) -> list[Record]:
    stmt = page(_transfers_in_scope(scope), SupplyTransfer.id, after, limit)
    return _transfer_records(session.scalars(stmt.options(*_TRANSFER_LOADS)))


def load_transfers(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = _transfers_in_scope(scope).where(SupplyTransfer.id.in_([uuid.UUID(i) for i in ids]))
    return _transfer_records(session.scalars(stmt.options(*_TRANSFER_LOADS)))


# --- alerts ---------------------------------------------------------------------------------

def _alerts_in_scope(scope: PullScope) -> sa.Select[SupplyAlert]:
    """Alerts not cleared: at the unit's kit, or everywhere for a supply manager."""
    stmt = sa.select(SupplyAlert).where(SupplyAlert.state != AlertState.CLEARED)
    if not _manages_supplies(scope):
        stmt = stmt.where(SupplyAlert.location_id.in_(_unit_kits(scope)))
    return stmt


_ALERT_LOADS = (selectinload(SupplyAlert.location), selectinload(SupplyAlert.item),
                selectinload(SupplyAlert.lot))


def _alert_records(alerts: Iterable[SupplyAlert]) -> list[Record]:
    return [(str(a.id), {
        "id": a.id, "kind": a.kind.value, "location_id": a.location_id,
        "location_name": a.location.name, "item_id": a.item_id, "item_name": a.item.name,
        "lot_id": a.lot_id, "lot_number": a.lot.lot_number if a.lot else None,
        "on_hand": a.on_hand, "par": a.par, "expires_on": _iso(a.expires_on),
        "state": a.state.value, "first_seen": _iso(a.first_seen),
        "last_seen": _iso(a.last_seen)}) for a in alerts]


def snapshot_alerts(session: Session, scope: PullScope, after: str | None,
                    limit: int) -> list[Record]:
    stmt = page(_alerts_in_scope(scope), SupplyAlert.id, after, limit, int)
    return _alert_records(session.scalars(stmt.options(*_ALERT_LOADS)))


def load_alerts(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = _alerts_in_scope(scope).where(SupplyAlert.id.in_(map(int, ids)))
    return _alert_records(session.scalars(stmt.options(*_ALERT_LOADS)))


# --- discrepancies (supply managers) -------------------------------------------------------

def _discrepancies_in_scope(scope: PullScope) -> sa.Select[StockDiscrepancy]:
    """Open discrepancies, for supply managers only."""
    stmt = sa.select(StockDiscrepancy).where(StockDiscrepancy.state == DiscrepancyState.OPEN)
    return stmt if _manages_supplies(scope) else stmt.where(sa.false())


_DISCREPANCY_LOADS = (selectinload(StockDiscrepancy.location),
                      selectinload(StockDiscrepancy.lot).selectinload(SupplyLot.item))


def _discrepancy_records(found: Iterable[StockDiscrepancy]) -> list[Record]:
    # Where and what only: never the entries (nor what a harm-reduction entry was for).
    return [(str(d.id), {
        "id": d.id, "location_id": d.location_id, "location_name": d.location.name,
        "item_id": d.item_id, "item_name": d.lot.item.name, "lot_id": d.lot_id,
        "lot_number": d.lot.lot_number, "on_hand_when_found": d.on_hand_when_found,
        "state": d.state.value, "opened_at": _iso(d.opened_at)}) for d in found]


def snapshot_discrepancies(session: Session, scope: PullScope, after: str | None,
                           limit: int) -> list[Record]:
    stmt = page(_discrepancies_in_scope(scope), StockDiscrepancy.id, after, limit, int)
    return _discrepancy_records(session.scalars(stmt.options(*_DISCREPANCY_LOADS)))


def load_discrepancies(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = _discrepancies_in_scope(scope).where(StockDiscrepancy.id.in_(map(int, ids)))
    return _discrepancy_records(session.scalars(stmt.options(*_DISCREPANCY_LOADS)))


# --- pushed facts ---------------------------------------------------------------------------

def _applied(op: Operation, message: str = "") -> OpResult:
    return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, 1, message=message)


def apply_kit_count(store: SqlPushStore, kind: RecordKind, op: Operation,
                    actor: Actor) -> OpResult:
    """One line of a count of the unit's kit: count_adjust = counted - on hand now."""
    if store.fact_exists(op.kind, op.record_id):
        return rejected(op, "record_id", "a record with this id already exists")
    data = op.data
    session = store.session
    kit = unit_kit(session, store.unit_id)
    if kit is None or data["location_id"] != kit.id:
        return rejected(op, "location_id", "must be your unit's vehicle kit")
    lot_id = data.get("lot_id")
    if (unknown := unknown_item_or_lot(session, data["item_id"], lot_id)) is not None:
        return rejected(op, *unknown)
    row = fact_row(store, op, actor, None)
    line = {"lot_id": lot_id} if lot_id is not None else {"item_id": data["item_id"]}
    try:
        record_count(session, store.author(actor), kit.id, [{**line, "counted": data["counted"]}],
                     device_id=uuid.UUID(actor.device_id), at=row["corrected_time"],
                     source_kind=op.kind, source_id=uuid.UUID(op.record_id))
    except DomainError as refused:  # an item never received anywhere has no lot to count
        return rejected(op, "item_id", refused.message.partition(": ")[2] or refused.message)
    row.update(count_id=data["count_id"], location_id=kit.id, item_id=data["item_id"],
               lot_id=lot_id, counted=data["counted"])
    store.queue_row(KitCount.__table__, row)
    store.mark_fact(op.kind, op.record_id)
    return _applied(op)


def apply_transfer_receipt(store: SqlPushStore, kind: RecordKind, op: Operation,
                           actor: Actor) -> OpResult:
    """The unit's kit received a transfer: once; a second tablet's receipt changes nothing."""
    if store.fact_exists(op.kind, op.record_id):
        return rejected(op, "record_id", "a record with this id already exists")
    session = store.session
    transfer_id = uuid.UUID(op.data["transfer_id"])
    transfer = session.get(SupplyTransfer, transfer_id)
    kit = unit_kit(session, store.unit_id)
    if transfer is None or kit is None or transfer.to_location_id != kit.id:
        return rejected(op, "transfer_id", "no such transfer to your unit's kit")
    try:
        received = receive_transfer(session, store.author(actor), transfer_id,
                                    uuid.UUID(actor.device_id))
    except DomainError:
        return rejected(op, "transfer_id", "this transfer was cancelled")
    outcome = ReceiptOutcome.ALREADY_RECEIVED if received.already_received \
        else ReceiptOutcome.RECEIVED
    row = {**fact_row(store, op, actor, None), "transfer_id": op.data["transfer_id"],
           "outcome": outcome.value}
    store.queue_row(TransferReceipt.__table__, row)
    store.mark_fact(op.kind, op.record_id)
    return _applied(op, "already received" if received.already_received else "")


def register(kinds: KindRegistry) -> None:
    kinds.register(SyncedKind(None, source=Source(
        "supply_item", snapshot_items, lambda s, scope: count_of(s, sa.select(SupplyItem.id)),
        load_items)))
    kinds.register(SyncedKind(None, source=Source(
        KIT_STOCK_KIND, snapshot_kit, lambda s, scope: len(_kit_stock(s, scope)), load_kit)))
    kinds.register(SyncedKind(None, source=Source(
        TRANSFER_KIND, snapshot_transfers,
        lambda s, scope: count_of(s, _transfers_in_scope(scope)), load_transfers)))
    kinds.register(SyncedKind(None, source=Source(
        ALERT_KIND, snapshot_alerts, lambda s, scope: count_of(s, _alerts_in_scope(scope)),
        load_alerts)))
    kinds.register(SyncedKind(None, source=Source(
        DISCREPANCY_KIND, snapshot_discrepancies,
        lambda s, scope: count_of(s, _discrepancies_in_scope(scope)), load_discrepancies)))
    kinds.register(SyncedKind(KIT_COUNT, applier=apply_kit_count, table=KitCount.__table__))
    kinds.register(SyncedKind(TRANSFER_RECEIPT, applier=apply_transfer_receipt,
                              table=TransferReceipt.__table__))
