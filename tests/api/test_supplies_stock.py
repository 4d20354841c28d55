"""A supply manager's day through the REST API: receiving by scan or by hand, sending stock to
a kit and receiving it, counting, writing off, reading the stock card, settling discrepancies
and alerts, and keeping the catalog and par levels."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.extensions import db
from server.models_base import utcnow
from server.supplies.models import (
    AlertKind,
    AlertState,
    LedgerReason,
    StockLedgerEntry,
    SupplyAlert,
)
from server.units.models import Unit
from tests.fixtures.people import Session
from tests.fixtures.supplies import NALOXONE_GTIN, Stockroom

SCAN = f"]d201{NALOXONE_GTIN}17290630\x1d10NEWLOT7"


@pytest.fixture
def manager(signed_in: Callable[..., Session]) -> Session:
    return signed_in(Role.SUPPLY_MANAGER)


def put_par(session: Session, body: dict[str, int]) -> Any:
    return session.client.put("/api/v1/supplies/par-levels", headers=session.headers, json=body)


def stock(session: Session, **query: int) -> dict[str, int]:
    """lot number -> on hand, as GET /supplies/stock answers."""
    answer = session.get("/api/v1/supplies/stock", query_string=query)
    assert answer.status_code == 200, answer.json
    return {row["lot_number"]: row["on_hand"] for row in answer.json}


def test_a_scanned_receipt_makes_the_lot_and_adds_packs_as_units(room: Stockroom, manager: Session) -> None:
    parsed = manager.post("/api/v1/supplies/gs1", {"code": SCAN})
    assert parsed.status_code == 200, parsed.json
    assert parsed.json["lot_number"] == "NEWLOT7"
    assert parsed.json["expires_on"] == "2029-06-30"
    assert parsed.json["item"]["id"] == room.naloxone.id
    unknown = manager.post("/api/v1/supplies/gs1", {"code": "(01)04012345678901(10)X1"})
    assert (unknown.status_code, unknown.json["item"], unknown.json["lot_number"]) == (200, None, "X1")

    received = manager.post("/api/v1/supplies/receipts", {
        "location_id": room.warehouse.id, "gs1": SCAN, "quantity": 12, "quantity_in": "packs"})
    assert received.status_code == 201, received.json
    assert received.json["units"] == 24  # 12 packs of 2 devices
    assert received.json["expires_on"] == "2029-06-30"
    assert stock(manager, location_id=room.warehouse.id) == {"NEWLOT7": 24}


def test_a_typed_receipt_in_units_adds_to_an_existing_lot(room: Stockroom, manager: Session) -> None:
    for quantity in (5, 3):
        answer = manager.post("/api/v1/supplies/receipts", {
            "location_id": room.warehouse.id, "item_id": room.naloxone.id, "lot_number": "LATE1",
            "expires_on": "2028-06-30", "quantity": quantity, "quantity_in": "units"})
        assert answer.status_code == 201, answer.json
    assert answer.json["lot_id"] == room.late_lot.id
    assert stock(manager, location_id=room.warehouse.id, item_id=room.naloxone.id) == {"LATE1": 8}


def test_a_receipt_whose_gtin_no_item_has_is_refused_naming_gs1(room: Stockroom, manager: Session) -> None:
    answer = manager.post("/api/v1/supplies/receipts", {
        "location_id": room.warehouse.id, "gs1": "(01)04012345678901(10)X1", "quantity": 1,
        "quantity_in": "units"})
    assert answer.status_code == 422
    assert "04012345678901" in answer.json["errors"]["json"]["gs1"][0]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockLedgerEntry)) == 0


def test_a_receipt_that_disagrees_with_the_lots_expiry_is_refused(room: Stockroom, manager: Session) -> None:
    answer = manager.post("/api/v1/supplies/receipts", {
        "location_id": room.warehouse.id, "gs1": f"(01){NALOXONE_GTIN}(17)300101(10)EARLY1",
        "quantity": 1, "quantity_in": "units"})
    assert answer.status_code == 422
    assert "2027-01-31" in answer.json["errors"]["json"]["gs1"][0]


def test_a_transfer_leaves_at_once_travels_and_lands_at_the_kit_once(
        room: Stockroom, manager: Session) -> None:
    room.move(room.warehouse, room.late_lot, 10, LedgerReason.RECEIVE)
    room.move(room.warehouse, room.early_lot, 4, LedgerReason.RECEIVE)
    sent = manager.post("/api/v1/supplies/transfers", {
        "from_location_id": room.warehouse.id, "to_location_id": room.kit.id,
        "lines": [{"item_id": room.naloxone.id, "quantity": 6}]})
    assert sent.status_code == 201, sent.json
    # First expiry first: all 4 of the early lot, then 2 of the late one.
    assert sorted((line["lot_number"], line["quantity"]) for line in sent.json["lines"]) == [
        ("EARLY1", 4), ("LATE1", 2)]
    assert stock(manager, location_id=room.warehouse.id) == {"LATE1": 8}  # none left of EARLY1
    assert stock(manager, location_id=room.kit.id) == {}

    in_transit = manager.get("/api/v1/supplies/transfers", query_string={"state": "in_transit"})
    assert [t["id"] for t in in_transit.json] == [sent.json["id"]]

    received = manager.post(f"/api/v1/supplies/transfers/{sent.json['id']}/receipt")
    assert received.status_code == 200, received.json
    assert received.json["state"] == "received"
    assert stock(manager, location_id=room.kit.id) == {"EARLY1": 4, "LATE1": 2}
    again = manager.post(f"/api/v1/supplies/transfers/{sent.json['id']}/receipt")
    assert again.status_code == 409
    assert stock(manager, location_id=room.kit.id) == {"EARLY1": 4, "LATE1": 2}
    assert manager.get("/api/v1/supplies/transfers", query_string={"state": "in_transit"}).json == []


def test_a_transfer_of_more_than_the_source_holds_is_refused_naming_the_line(
        room: Stockroom, manager: Session) -> None:
    room.move(room.warehouse, room.late_lot, 3, LedgerReason.RECEIVE)
    answer = manager.post("/api/v1/supplies/transfers", {
        "from_location_id": room.warehouse.id, "to_location_id": room.kit.id,
        "lines": [{"item_id": room.strips.id, "quantity": 1},
                  {"item_id": room.naloxone.id, "lot_id": room.late_lot.id, "quantity": 4}]})
    assert answer.status_code == 422
    errors = answer.json["errors"]["json"]["lines"]
    assert set(errors) == {"0", "1"}
    assert "quantity" in errors["0"]  # no strips there at all
    assert "3" in errors["1"]["lot_id"][0]  # the lot named holds 3
    assert stock(manager, location_id=room.warehouse.id) == {"LATE1": 3}


def test_a_count_posts_the_difference_as_adjustments(room: Stockroom, manager: Session) -> None:
    room.move(room.kit, room.late_lot, 6, LedgerReason.RECEIVE)
    room.move(room.kit, room.strips_lot, 20, LedgerReason.RECEIVE)
    answer = manager.post("/api/v1/supplies/counts", {"location_id": room.kit.id, "lines": [
        {"gs1": f"(01){NALOXONE_GTIN}(10)LATE1", "counted": 4},
        {"lot_id": room.strips_lot.id, "counted": 20},
        {"lot_id": room.early_lot.id, "counted": 1}]})
    assert answer.status_code == 201, answer.json
    # The strips were right: no adjustment for them.
    assert sorted((a["lot_number"], a["delta"], a["on_hand"]) for a in answer.json["adjustments"]) == [
        ("EARLY1", 1, 1), ("LATE1", -2, 4)]
    assert stock(manager, location_id=room.kit.id) == {"EARLY1": 1, "LATE1": 4, "FTS-A": 20}
    reasons = db.session.scalars(sa.select(StockLedgerEntry.reason).where(
        StockLedgerEntry.reason == LedgerReason.COUNT_ADJUST)).all()
    assert len(reasons) == 2


def test_a_write_off_takes_expired_stock_out_but_never_more_than_is_there(
        room: Stockroom, manager: Session) -> None:
    room.move(room.warehouse, room.early_lot, 5, LedgerReason.RECEIVE)
    body = {"location_id": room.warehouse.id, "lot_id": room.early_lot.id, "reason": "expire"}
    assert manager.post("/api/v1/supplies/adjustments", {**body, "quantity": 6}).status_code == 422
    done = manager.post("/api/v1/supplies/adjustments", {**body, "quantity": 5})
    assert done.status_code == 201, done.json
    assert done.json["on_hand"] == 0
    refused = manager.post("/api/v1/supplies/adjustments", {**body, "quantity": 1, "reason": "receive"})
    assert refused.status_code == 422
    assert "reason" in refused.json["errors"]["json"]


def test_the_stock_card_runs_a_balance_with_who_and_which_device(
        room: Stockroom, manager: Session) -> None:
    manager.post("/api/v1/supplies/receipts", {
        "location_id": room.warehouse.id, "item_id": room.naloxone.id, "lot_number": "LATE1",
        "quantity": 5, "quantity_in": "packs"})
    manager.post("/api/v1/supplies/adjustments", {
        "location_id": room.warehouse.id, "lot_id": room.late_lot.id, "quantity": 3,
        "reason": "damage"})
    room.move(room.warehouse, room.strips_lot, 9, LedgerReason.RECEIVE)  # another item: not on it
    card = manager.get("/api/v1/supplies/stock-card", query_string={
        "location_id": room.warehouse.id, "item_id": room.naloxone.id})
    assert card.status_code == 200, card.json
    assert card.json["balance"] == 7
    entries = card.json["entries"]
    assert [(e["reason"], e["delta"], e["balance_after"]) for e in entries] == [
        ("receive", 10, 10), ("damage", -3, 7)]
    assert {e["user_name"] for e in entries} == {manager.user.full_name}
    assert all(e["device_name"] for e in entries)
    assert set(entries[0]) == {"id", "at", "reason", "lot_number", "delta", "balance_after",
                               "user_name", "device_name"}


def test_a_discrepancy_found_by_the_ledger_is_listed_and_resolved_once(
        room: Stockroom, manager: Session) -> None:
    room.move(room.kit, room.late_lot, -2, LedgerReason.DISTRIBUTE)
    open_ = manager.get("/api/v1/supplies/discrepancies", query_string={"state": "open"})
    assert [(d["lot_number"], d["on_hand_when_found"]) for d in open_.json] == [("LATE1", -2)]
    url = f"/api/v1/supplies/discrepancies/{open_.json[0]['id']}/resolution"
    assert manager.post(url, {"note": ""}).status_code == 422
    resolved = manager.post(url, {"note": "Two sprays handed out before the kit was restocked."})
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["resolved_by_name"] == manager.user.full_name
    assert manager.post(url, {"note": "again"}).status_code == 409
    assert manager.get("/api/v1/supplies/discrepancies", query_string={"state": "open"}).json == []


def test_an_open_alert_is_acknowledged_and_leaves_the_open_list(room: Stockroom, manager: Session) -> None:
    now = utcnow()
    alert = SupplyAlert(kind=AlertKind.NEAR_EXPIRY, location_id=room.kit.id, item_id=room.naloxone.id,
                        lot_id=room.early_lot.id, on_hand=2, par=None,
                        expires_on=room.early_lot.expires_on, first_seen=now - timedelta(days=1),
                        last_seen=now)
    db.session.add(alert)
    db.session.commit()
    listed = manager.get("/api/v1/supplies/alerts", query_string={"state": "open"})
    assert [a["id"] for a in listed.json] == [alert.id]
    answer = manager.post(f"/api/v1/supplies/alerts/{alert.id}/acknowledgement")
    assert answer.status_code == 200, answer.json
    assert answer.json["state"] == "acknowledged"
    assert db.session.get(SupplyAlert, alert.id).state == AlertState.ACKNOWLEDGED  # type: ignore[union-attr]
    assert manager.get("/api/v1/supplies/alerts", query_string={"state": "open"}).json == []


def test_the_catalog_takes_new_items_and_edits_but_no_duplicate_gtin(
        room: Stockroom, manager: Session) -> None:
    made = manager.post("/api/v1/supplies/catalog", {
        "sku": "KIT-HYG", "name": "Hygiene kit", "category": "hygiene_kit", "unit_of_measure": "kit",
        "pack_size": 10, "gtin": "19506000134359"})
    assert made.status_code == 201, made.json
    clash = manager.patch(f"/api/v1/supplies/catalog/{made.json['id']}", {"gtin": NALOXONE_GTIN})
    assert clash.status_code == 422
    assert "gtin" in clash.json["errors"]["json"]
    bad_digit = manager.patch(f"/api/v1/supplies/catalog/{made.json['id']}", {"gtin": "19506000134358"})
    assert "check digit" in bad_digit.json["errors"]["json"]["gtin"][0]
    edited = manager.patch(f"/api/v1/supplies/catalog/{made.json['id']}", {"pack_size": 12})
    assert edited.json["pack_size"] == 12
    assert edited.json["gtin"] == "19506000134359"


def test_par_levels_are_set_and_reset_per_location_and_item(room: Stockroom, manager: Session) -> None:
    body = {"location_id": room.kit.id, "item_id": room.naloxone.id, "par": 8}
    assert put_par(manager, body).status_code == 200
    assert put_par(manager, {**body, "par": 6}).status_code == 200
    listed = manager.get("/api/v1/supplies/par-levels", query_string={"location_id": room.kit.id})
    assert listed.json == [{**body, "par": 6}]


def test_a_responder_reads_their_own_kit_and_no_other_location(
        room: Stockroom, unit: Unit, signed_in: Callable[..., Session]) -> None:
    room.move(room.kit, room.late_lot, 4, LedgerReason.RECEIVE)
    room.move(room.warehouse, room.early_lot, 50, LedgerReason.RECEIVE)
    responder = signed_in(Role.RESPONDER_EMT, unit=unit)
    assert stock(responder) == {"LATE1": 4}
    assert stock(responder, location_id=room.kit.id) == {"LATE1": 4}
    assert responder.get("/api/v1/supplies/stock",
                         query_string={"location_id": room.warehouse.id}).status_code == 403
    card = responder.get("/api/v1/supplies/stock-card",
                         query_string={"location_id": room.kit.id, "item_id": room.naloxone.id})
    assert card.json["balance"] == 4
    off_shift = signed_in(Role.RESPONDER_PEER)
    assert stock(off_shift) == {}
    assert off_shift.get("/api/v1/supplies/stock",
                         query_string={"location_id": room.kit.id}).status_code == 403


def test_a_supervisor_reads_stock_but_moves_none(room: Stockroom, signed_in: Callable[..., Session]) -> None:
    room.move(room.warehouse, room.early_lot, 5, LedgerReason.RECEIVE)
    supervisor = signed_in(Role.SUPERVISOR)
    assert stock(supervisor) == {"EARLY1": 5}
    assert supervisor.get("/api/v1/supplies/reorder-report").status_code == 200
    answer = supervisor.post("/api/v1/supplies/adjustments", {
        "location_id": room.warehouse.id, "lot_id": room.early_lot.id, "quantity": 1, "reason": "damage"})
    assert answer.status_code == 403
