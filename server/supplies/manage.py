"""What a supply manager does: the catalog, receipts (typed or scanned), transfers, counts,
write-offs, par levels, and settling discrepancies and alerts. Every stock move goes through
the ledger service (`services.post_entries`); nothing here commits."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import User
from server.errors import DomainError, not_found
from server.models_base import utcnow
from server.supplies import services
from server.supplies.gs1 import Gs1Error, Gs1Reading, parse_gs1
from server.supplies.models import (
    AlertState,
    DiscrepancyState,
    LedgerReason,
    ParLevel,
    StockBalance,
    StockDiscrepancy,
    StockLocation,
    SupplyAlert,
    SupplyItem,
    SupplyLot,
    SupplyTransfer,
    SupplyTransferLine,
)
from server.supplies.schemas import QuantityUnit

TRANSFER_SOURCE = "supply_transfer"


def _fields(errors: dict[str, Any]) -> DomainError:
    names = ", ".join(sorted(errors))
    return DomainError(422, f"Check {names}.", {"json": errors})


def _gtin_problem(gtin: str) -> str | None:
    try:
        parse_gs1(f"(01){gtin}")
    except Gs1Error as exc:
        return str(exc)
    return None


def _check_unique(session: Session, data: dict[str, Any], item_id: int | None) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("sku", "gtin"):
        value = data.get(name)
        if value is None:
            continue
        if name == "gtin" and (problem := _gtin_problem(value)):
            errors[name] = [problem]
            continue
        other = session.scalar(sa.select(SupplyItem.id).where(getattr(SupplyItem, name) == value))
        if other is not None and other != item_id:
            errors[name] = [f"Item {other} already has this {name}."]
    if errors:
        raise _fields(errors)


def create_item(session: Session, data: dict[str, Any]) -> SupplyItem:
    _check_unique(session, data, None)
    item = SupplyItem(**data)
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, item_id: int, data: dict[str, Any]) -> SupplyItem:
    item = session.get(SupplyItem, item_id)
    if item is None:
        raise not_found("item")
    _check_unique(session, data, item_id)
    for name, value in data.items():
        setattr(item, name, value)
    session.flush()
    return item


def read_code(session: Session, code: str, field: str = "gs1") -> tuple[Gs1Reading, SupplyItem | None]:
    """A scanned code and the catalog item with its GTIN (None if none has it)."""
    try:
        reading = parse_gs1(code)
    except Gs1Error as exc:
        raise _fields({field: [str(exc)]}) from exc
    item = session.scalar(sa.select(SupplyItem).where(SupplyItem.gtin == reading.gtin))
    return reading, item


def _location(session: Session, location_id: int, field: str = "location_id") -> StockLocation:
    place = session.get(StockLocation, location_id)
    if place is None:
        raise _fields({field: ["No such location."]})
    return place


def _lot_for(session: Session, item: SupplyItem, lot_number: str,
             expires_on: Any, field: str) -> SupplyLot:
    """The item's lot of that number, made on first receipt; its expiry must agree."""
    lot = session.scalar(sa.select(SupplyLot).where(SupplyLot.item_id == item.id,
                                                    SupplyLot.lot_number == lot_number))
    if lot is None:
        lot = SupplyLot(item_id=item.id, lot_number=lot_number, expires_on=expires_on)
        session.add(lot)
        session.flush()
    elif lot.expires_on is None:
        lot.expires_on = expires_on
    elif expires_on is not None and expires_on != lot.expires_on:
        raise _fields({field: [f"Lot {lot_number} of this item expires on {lot.expires_on}."]})
    return lot


def _on_hand(session: Session, location_id: int, lot_id: int) -> int:
    balance = session.get(StockBalance, (location_id, lot_id))
    return balance.on_hand if balance else 0


def receive(session: Session, actor: User, data: dict[str, Any],
            device_id: uuid.UUID | None) -> dict[str, Any]:
    """Stock arrived at a location, typed in or scanned (the GTIN names the catalog item)."""
    _location(session, data["location_id"])
    if "gs1" in data:
        reading, item = read_code(session, data["gs1"])
        if item is None:
            raise _fields({"gs1": [f"No catalog item has GTIN {reading.gtin}."]})
        lot_number = reading.lot_number or data.get("lot_number")
        if lot_number is None:
            raise _fields({"lot_number": ["The code carries no lot: type it in."]})
        expires_on = reading.expires_on or data.get("expires_on")
        field = "gs1"
    else:
        item = session.get(SupplyItem, data["item_id"])
        if item is None:
            raise _fields({"item_id": ["No such item."]})
        lot_number, expires_on, field = data["lot_number"], data.get("expires_on"), "expires_on"
    lot = _lot_for(session, item, lot_number, expires_on, field)
    units = data["quantity"] * (item.pack_size if data["quantity_in"] == QuantityUnit.PACKS else 1)
    [entry] = services.post_entries(session, [services.NewEntry(
        location_id=data["location_id"], lot_id=lot.id, delta=units, reason=LedgerReason.RECEIVE,
        at=utcnow(), device_id=device_id, source_kind=None, source_id=None)], actor)
    return {"entry_id": entry.id, "location_id": data["location_id"], "item_id": item.id,
            "lot_id": lot.id, "lot_number": lot.lot_number, "expires_on": lot.expires_on,
            "units": units, "on_hand": _on_hand(session, data["location_id"], lot.id)}


def _transfer_lines(session: Session, source: int, lines: list[dict[str, Any]]
                    ) -> list[tuple[int, int, int]]:
    """(item, lot, quantity) to send: named lots as given, first-expiry lots otherwise; each
    refused (naming the line) past the stock at the source."""
    chosen: list[tuple[int, int, int]] = []
    errors: dict[str, Any] = {}
    for n, line in enumerate(lines):
        item_id, wanted = line["item_id"], line["quantity"]
        if session.get(SupplyItem, item_id) is None:
            errors[str(n)] = {"item_id": ["No such item."]}
            continue
        if "lot_id" in line:
            lot = session.get(SupplyLot, line["lot_id"])
            if lot is None or lot.item_id != item_id:
                errors[str(n)] = {"lot_id": ["No such lot of this item."]}
                continue
            held = [(lot, _on_hand(session, source, lot.id))]
        else:
            held = services.fefo_lots(session, source, item_id)
        if sum(qty for _, qty in held) < wanted:
            errors[str(n)] = {"quantity": [f"Only {sum(q for _, q in held)} on hand to send."]}
            continue
        for lot, qty in held:
            take = min(qty, wanted)
            if take > 0:
                chosen.append((item_id, lot.id, take))
                wanted -= take
    if errors:
        raise _fields({"lines": errors})
    return chosen


def create_transfer(session: Session, actor: User, data: dict[str, Any],
                    device_id: uuid.UUID | None) -> SupplyTransfer:
    """Stock leaves its location at once (transfer_out) and is in transit until received."""
    source = _location(session, data["from_location_id"], "from_location_id")
    _location(session, data["to_location_id"], "to_location_id")
    lines = _transfer_lines(session, source.id, data["lines"])
    transfer = SupplyTransfer(id=uuid.uuid4(), from_location_id=source.id,
                              to_location_id=data["to_location_id"], sent_at=utcnow(),
                              sent_by=actor.id, lines=[
                                  SupplyTransferLine(item_id=i, lot_id=lot, quantity=q)
                                  for i, lot, q in lines])
    session.add(transfer)
    session.flush()
    services.post_entries(session, [services.NewEntry(
        location_id=source.id, lot_id=lot, delta=-q, reason=LedgerReason.TRANSFER_OUT, at=utcnow(),
        device_id=device_id, source_kind=TRANSFER_SOURCE, source_id=transfer.id)
        for _, lot, q in lines], actor)
    return transfer


def receive_transfer(session: Session, actor: User, transfer_id: uuid.UUID,
                     device_id: uuid.UUID | None) -> SupplyTransfer:
    transfer = session.get(SupplyTransfer, transfer_id)
    if transfer is None:
        raise not_found("transfer")
    if not services.receive_transfer(session, transfer, actor, device_id):
        raise DomainError(409, f"This transfer is {transfer.state.value.replace('_', ' ')}.")
    session.flush()
    return transfer


def _count_lot(session: Session, line: dict[str, Any], field: str) -> SupplyLot:
    if "lot_id" in line:
        lot = session.get(SupplyLot, line["lot_id"])
        if lot is None:
            raise _fields({"lines": {field: {"lot_id": ["No such lot."]}}})
        return lot
    try:
        reading = parse_gs1(line["gs1"])
    except Gs1Error as exc:
        raise _fields({"lines": {field: {"gs1": [str(exc)]}}}) from exc
    lot = session.scalar(sa.select(SupplyLot).join(SupplyItem, SupplyItem.id == SupplyLot.item_id)
                         .where(SupplyItem.gtin == reading.gtin,
                                SupplyLot.lot_number == reading.lot_number))
    if lot is None:
        raise _fields({"lines": {field: {"gs1": [
            f"No lot {reading.lot_number} of an item with GTIN {reading.gtin}."]}}})
    return lot


def count(session: Session, actor: User, data: dict[str, Any],
          device_id: uuid.UUID | None) -> dict[str, Any]:
    """A shelf count: each lot counted is set to the count by a count_adjust entry."""
    _location(session, data["location_id"])
    lots = [_count_lot(session, line, str(n)) for n, line in enumerate(data["lines"])]
    made = []
    for lot, line in zip(lots, data["lines"], strict=True):
        before = _on_hand(session, data["location_id"], lot.id)
        delta = line["counted"] - before
        entry_id = None
        if delta:
            [entry] = services.post_entries(session, [services.NewEntry(
                location_id=data["location_id"], lot_id=lot.id, delta=delta,
                reason=LedgerReason.COUNT_ADJUST, at=utcnow(), device_id=device_id,
                source_kind=None, source_id=None)], actor)
            entry_id = entry.id
        made.append({"entry_id": entry_id, "lot_id": lot.id, "lot_number": lot.lot_number,
                     "item_id": lot.item_id, "on_hand_before": before,
                     "counted": line["counted"], "delta": delta})
    return {"adjustments": made}


def adjust(session: Session, actor: User, data: dict[str, Any],
           device_id: uuid.UUID | None) -> dict[str, Any]:
    """Stock written off as expired or damaged."""
    _location(session, data["location_id"])
    if session.get(SupplyLot, data["lot_id"]) is None:
        raise _fields({"lot_id": ["No such lot."]})
    held = _on_hand(session, data["location_id"], data["lot_id"])
    if data["quantity"] > held:
        raise _fields({"quantity": [f"Only {held} of this lot on hand here."]})
    [entry] = services.post_entries(session, [services.NewEntry(
        location_id=data["location_id"], lot_id=data["lot_id"], delta=-data["quantity"],
        reason=data["reason"], at=utcnow(), device_id=device_id, source_kind=None,
        source_id=None)], actor)
    return {"entry_id": entry.id, "on_hand": held - data["quantity"]}


def resolve_discrepancy(session: Session, actor: User, discrepancy_id: int,
                        note: str) -> StockDiscrepancy:
    found = session.get(StockDiscrepancy, discrepancy_id)
    if found is None:
        raise not_found("discrepancy")
    if found.state != DiscrepancyState.OPEN:
        raise DomainError(409, "This discrepancy is already resolved.")
    found.state, found.resolution = DiscrepancyState.RESOLVED, note
    found.resolved_at, found.resolved_by = utcnow(), actor.id
    session.flush()
    return found


def acknowledge_alert(session: Session, actor: User, alert_id: int) -> SupplyAlert:
    alert = session.get(SupplyAlert, alert_id)
    if alert is None:
        raise not_found("alert")
    if alert.state == AlertState.CLEARED:
        raise DomainError(409, "This alert has cleared.")
    if alert.state == AlertState.OPEN:
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_at, alert.acknowledged_by = utcnow(), actor.id
    session.flush()
    return alert


def set_par(session: Session, data: dict[str, Any]) -> ParLevel:
    _location(session, data["location_id"])
    if session.get(SupplyItem, data["item_id"]) is None:
        raise _fields({"item_id": ["No such item."]})
    level = session.get(ParLevel, (data["location_id"], data["item_id"]))
    if level is None:
        level = ParLevel(**data)
        session.add(level)
    level.par = data["par"]
    session.flush()
    return level
