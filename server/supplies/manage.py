"""What a supply manager does by REST, on top of the ledger's services: the catalog, GS1 codes
resolved to items and lots (receipts and counts by scan), packs converted to units, and the
answers the screens show. Every stock move is the ledger service's; nothing here commits."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import User
from server.changes import ALL_SCOPE, note_change
from server.errors import DomainError
from server.supplies import services
from server.supplies.gs1 import Gs1Error, Gs1Reading, parse_gs1
from server.supplies.models import StockBalance, SupplyItem, SupplyLot, SupplyTransfer
from server.supplies.schemas import MAX_UNITS, QuantityUnit

ITEM_KIND = "supply_item"  # tablets pull the catalog: each change reaches every device


def _fields(errors: dict[str, Any]) -> DomainError:
    return DomainError(422, "Check " + ", ".join(sorted(errors)) + ".", {"json": errors})


def _gtin_problem(gtin: str) -> str | None:
    try:
        parse_gs1(f"(01){gtin}")
    except Gs1Error as exc:
        return str(exc)
    return None


def _check_unique(session: Session, data: dict[str, Any], item_id: int | None) -> None:
    """A GTIN with a right check digit, and no SKU or GTIN another item has."""
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
    note_change(session, ITEM_KIND, item.id, [ALL_SCOPE])
    return item


def update_item(session: Session, item_id: int, data: dict[str, Any]) -> SupplyItem:
    item = session.get(SupplyItem, item_id)
    if item is None:
        raise DomainError(404, "No such item.")
    _check_unique(session, data, item_id)
    for name, value in data.items():
        setattr(item, name, value)
    session.flush()
    note_change(session, ITEM_KIND, item.id, [ALL_SCOPE])
    return item


def read_code(session: Session, code: str, field: str) -> tuple[Gs1Reading, SupplyItem | None]:
    """A scanned code and the catalog item with its GTIN (None if no item has it); an
    unreadable code is a 422 naming `field`."""
    try:
        reading = parse_gs1(code)
    except Gs1Error as exc:
        raise _fields({field: [str(exc)]}) from exc
    return reading, session.scalar(sa.select(SupplyItem).where(SupplyItem.gtin == reading.gtin))


def _on_hand(session: Session, location_id: int, lot_id: int) -> int:
    balance = session.get(StockBalance, (location_id, lot_id))
    return balance.on_hand if balance else 0


def _receipt_lot(session: Session, data: dict[str, Any]) -> tuple[SupplyItem, str, Any]:
    """(item, lot number, expiry) of a receipt: from the scanned code (the body fills in
    what the code lacks), or as typed."""
    if "gs1" not in data:
        item = session.get(SupplyItem, data["item_id"])
        if item is None:
            raise _fields({"item_id": ["No such item."]})
        return item, data["lot_number"], data.get("expires_on")
    reading, item = read_code(session, data["gs1"], "gs1")
    if item is None:
        raise _fields({"gs1": [f"No catalog item has GTIN {reading.gtin}."]})
    lot_number = reading.lot_number or data.get("lot_number")
    if lot_number is None:
        raise _fields({"lot_number": ["The code carries no lot number: type it in."]})
    return item, lot_number, reading.expires_on or data.get("expires_on")


def receive(session: Session, actor: User, data: dict[str, Any],
            device_id: uuid.UUID | None) -> dict[str, Any]:
    """Stock arrived at a location, scanned or typed in, in packs (times the item's pack
    size) or in units of measure."""
    item, lot_number, expires_on = _receipt_lot(session, data)
    if expires_on is None:  # a lot received before: its expiry stands
        expires_on = session.scalar(sa.select(SupplyLot.expires_on).where(
            SupplyLot.item_id == item.id, SupplyLot.lot_number == lot_number))
    units = data["quantity"] * (item.pack_size if data["quantity_in"] == QuantityUnit.PACKS else 1)
    if units > MAX_UNITS:
        raise _fields({"quantity": [f"{units} units is more than one receipt may bring ({MAX_UNITS})."]})
    try:
        entry = services.record_receipt(session, actor, data["location_id"], item.id, lot_number,
                                        expires_on, units, device_id=device_id)
    except DomainError as refused:
        scanned = refused.errors.get("json", {})
        if "gs1" in data and "expires_on" in scanned:  # the expiry came from the code
            raise _fields({"gs1": scanned["expires_on"]}) from refused
        raise
    lot = session.get(SupplyLot, entry.lot_id)
    assert lot is not None
    return {"entry_id": entry.id, "location_id": entry.location_id, "item_id": item.id,
            "lot_id": lot.id, "lot_number": lot.lot_number, "expires_on": lot.expires_on,
            "units": units, "on_hand": _on_hand(session, entry.location_id, lot.id)}


def send(session: Session, actor: User, data: dict[str, Any],
         device_id: uuid.UUID | None) -> SupplyTransfer:
    return services.send_transfer(session, actor, data["from_location_id"], data["to_location_id"],
                                  data["lines"], device_id=device_id)


def receive_transfer(session: Session, actor: User, transfer_id: uuid.UUID,
                     device_id: uuid.UUID | None) -> SupplyTransfer:
    """Received here by hand; one received before (a tablet was first) is a 409 saying so."""
    result = services.receive_transfer(session, actor, transfer_id, device_id)
    if result.already_received:
        raise DomainError(409, "This transfer was received already.",
                          {"json": {"transfer_id": ["already received"]}})
    return result.transfer


def _lot_scanned(session: Session, code: str, field: str) -> int:
    try:
        reading = parse_gs1(code)
    except Gs1Error as exc:
        raise _fields({"lines": {field: {"gs1": [str(exc)]}}}) from exc
    lot_id = session.scalar(sa.select(SupplyLot.id).join(SupplyItem, SupplyItem.id == SupplyLot.item_id)
                            .where(SupplyItem.gtin == reading.gtin,
                                   SupplyLot.lot_number == reading.lot_number))
    if lot_id is None:
        raise _fields({"lines": {field: {"gs1": [
            f"No lot {reading.lot_number} of an item with GTIN {reading.gtin}: receive it first."]}}})
    return lot_id


def count(session: Session, actor: User, data: dict[str, Any],
          device_id: uuid.UUID | None) -> dict[str, Any]:
    """A shelf count, each line a lot or a scanned code: the differences as adjustments."""
    lines = [{"lot_id": line["lot_id"] if "lot_id" in line else _lot_scanned(session, line["gs1"], str(n)),
              "counted": line["counted"]} for n, line in enumerate(data["lines"])]
    entries = services.record_count(session, actor, data["location_id"], lines, device_id=device_id)
    lots = {lot.id: lot for lot in session.scalars(
        sa.select(SupplyLot).where(SupplyLot.id.in_({e.lot_id for e in entries})))}
    return {"adjustments": [{"entry_id": e.id, "lot_id": e.lot_id,
                             "lot_number": lots[e.lot_id].lot_number,
                             "item_id": lots[e.lot_id].item_id, "delta": e.delta,
                             "on_hand": _on_hand(session, e.location_id, e.lot_id)}
                            for e in entries]}


def adjust(session: Session, actor: User, data: dict[str, Any],
           device_id: uuid.UUID | None) -> dict[str, Any]:
    entry = services.adjust(session, actor, data["location_id"], data["lot_id"], data["quantity"],
                            data["reason"], device_id=device_id)
    return {"entry_id": entry.id, "on_hand": _on_hand(session, entry.location_id, entry.lot_id)}
