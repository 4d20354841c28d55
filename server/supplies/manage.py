"""What a supply manager does: the catalog, receipts (typed or scanned), transfers, counts,
write-offs, par levels, and settling discrepancies and alerts. The rules of each stock move
are the ledger's services (`server.supplies.services`: balances, discrepancies, the devices'
feeds); this module reads the requests' forms (packs, GS1 codes) and shapes the answers.
Nothing here commits."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import User
from server.errors import DomainError, not_found
from server.supplies import services
from server.supplies.gs1 import Gs1Error, Gs1Reading, parse_gs1
from server.supplies.models import (
    ParLevel,
    StockBalance,
    StockDiscrepancy,
    StockLocation,
    SupplyAlert,
    SupplyItem,
    SupplyLot,
    SupplyTransfer,
)
from server.supplies.schemas import QuantityUnit


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
    units = data["quantity"] * (item.pack_size if data["quantity_in"] == QuantityUnit.PACKS else 1)
    entry = services.record_receipt(session, actor, data["location_id"], item.id, lot_number,
                                    expires_on, units, device_id=device_id, expiry_field=field)
    lot = entry.lot
    return {"entry_id": entry.id, "location_id": data["location_id"], "item_id": item.id,
            "lot_id": lot.id, "lot_number": lot.lot_number, "expires_on": lot.expires_on,
            "units": units, "on_hand": _on_hand(session, data["location_id"], lot.id)}


def create_transfer(session: Session, actor: User, data: dict[str, Any],
                    device_id: uuid.UUID | None) -> SupplyTransfer:
    """Stock leaves its location at once (transfer_out) and is in transit until received."""
    return services.send_transfer(session, actor, data["from_location_id"],
                                  data["to_location_id"], data["lines"], device_id=device_id)


def receive_transfer(session: Session, actor: User, transfer_id: uuid.UUID,
                     device_id: uuid.UUID | None) -> SupplyTransfer:
    received = services.receive_transfer(session, actor, transfer_id, device_id)
    if received.already_received:
        raise DomainError(409, "This transfer is received.")
    session.flush()
    return received.transfer


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
    entries = services.record_count(
        session, actor, data["location_id"],
        [{"lot_id": lot.id, "counted": line["counted"]}
         for lot, line in zip(lots, data["lines"], strict=True)], device_id=device_id)
    by_lot = {entry.lot_id: entry for entry in entries}
    made = []
    for lot, line in zip(lots, data["lines"], strict=True):
        entry = by_lot.get(lot.id)
        delta = entry.delta if entry else 0
        made.append({"entry_id": entry.id if entry else None, "lot_id": lot.id,
                     "lot_number": lot.lot_number, "item_id": lot.item_id,
                     "on_hand_before": line["counted"] - delta, "counted": line["counted"],
                     "delta": delta})
    return {"adjustments": made}


def adjust(session: Session, actor: User, data: dict[str, Any],
           device_id: uuid.UUID | None) -> dict[str, Any]:
    """Stock written off as expired or damaged."""
    entry = services.adjust(session, actor, data["location_id"], data["lot_id"],
                            data["quantity"], data["reason"], device_id=device_id)
    return {"entry_id": entry.id, "on_hand": _on_hand(session, data["location_id"], data["lot_id"])}


def resolve_discrepancy(session: Session, actor: User, discrepancy_id: int,
                        note: str) -> StockDiscrepancy:
    return services.resolve_discrepancy(session, actor, discrepancy_id, note)


def acknowledge_alert(session: Session, actor: User, alert_id: int) -> SupplyAlert:
    return services.acknowledge_alert(session, actor, alert_id)


def set_par(session: Session, data: dict[str, Any]) -> ParLevel:
    return services.set_par_level(session, data["location_id"], data["item_id"], data["par"])
