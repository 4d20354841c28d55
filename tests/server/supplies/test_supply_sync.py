"""The supplies through sync: tablets see their kit's stock, transfers and alerts, and push
counts and receipts; a supply manager's pull holds supplies and nothing about people."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from server.auth.models import User
from server.extensions import db
from server.models_base import utcnow
from server.supplies.models import (
    KitCount,
    LedgerReason,
    StockLedgerEntry,
    TransferReceipt,
    TransferState,
)
from server.supplies.services import (
    NewEntry,
    compute_alerts,
    post_entries,
    resolve_discrepancy,
    send_transfer,
    stock_on_hand,
)
from server.units.models import Unit
from tests.fixtures.people import Session
from tests.fixtures.sync import PULL, PUSH, Tablet, new_id, outcomes


@pytest.fixture
def crew(create_unit: Callable[..., Unit], create_location: Callable[..., Any],
         tablet: Callable[..., Tablet]) -> Any:
    """A unit with its kit, two tablets on it, and a warehouse."""
    unit = create_unit()

    class Crew:
        kit = create_location(unit)
        warehouse = create_location()
        first = tablet(unit)
        second = tablet(unit)
    return Crew


@pytest.fixture
def lot(create_item: Callable[..., Any], create_lot: Callable[..., Any]) -> Any:
    return create_lot(create_item(), timedelta(days=90), lot_number="NX-204")


def records(changes: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any] | None]:
    """record id -> its data (None for a removal) for one kind."""
    return {c["id"]: c.get("data") if c["op"] == "put" else None
            for c in changes if c["kind"] == kind}


def kit_on_hand(kit: Any) -> dict[int, int]:
    db.session.expire_all()
    return {row.lot_id: row.on_hand for row in stock_on_hand(db.session, [kit.id])}


def test_a_tablet_sees_its_kit_stock_move_after_its_cursor(crew: Any, lot: Any,
                                                            put_stock: Any) -> None:
    put_stock(crew.kit, lot, 6)
    changes, cursor = crew.first.pull_all()
    key = f"{crew.kit.id}:{lot.id}"
    assert records(changes, "kit_stock")[key] == {
        "id": key, "location_id": crew.kit.id, "item_id": lot.item_id, "lot_id": lot.id,
        "lot_number": "NX-204", "expires_on": lot.expires_on.isoformat(), "on_hand": 6}

    post_entries(db.session, [NewEntry(crew.kit.id, lot.id, -2, LedgerReason.DISTRIBUTE)], None)
    db.session.commit()
    changes, _ = crew.first.pull_all(cursor)

    stock = records(changes, "kit_stock")
    assert stock[key] is not None
    assert stock[key]["on_hand"] == 4  # type: ignore[index]


def test_another_units_kit_moves_are_not_in_a_tablets_feed(
        crew: Any, lot: Any, put_stock: Any, create_unit: Callable[..., Unit],
        create_location: Callable[..., Any]) -> None:
    _, cursor = crew.first.pull_all()
    put_stock(create_location(create_unit()), lot, 3)
    changes, _ = crew.first.pull_all(cursor)
    assert records(changes, "kit_stock") == {}


def test_a_transfer_in_transit_reaches_the_kit_and_leaves_once_received(
        crew: Any, lot: Any, manager: User, put_stock: Any) -> None:
    put_stock(crew.warehouse, lot, 10)
    _, cursor = crew.first.pull_all()
    transfer = send_transfer(db.session, manager, crew.warehouse.id, crew.kit.id,
                             [{"item_id": lot.item_id, "quantity": 4}])
    db.session.commit()

    changes, cursor = crew.first.pull_all(cursor)
    pulled = records(changes, "supply_transfer")[str(transfer.id)]
    assert pulled is not None
    assert pulled["from_location_name"] == crew.warehouse.name
    assert pulled["state"] == "in_transit"
    assert pulled["lines"] == [{"item_id": lot.item_id, "lot_id": lot.id, "lot_number": "NX-204",
                                "expires_on": lot.expires_on.isoformat(), "quantity": 4}]

    receipt = crew.first.op("transfer_receipt", {"transfer_id": str(transfer.id)})
    assert outcomes(crew.first.push([receipt])) == ["applied"]
    changes, _ = crew.first.pull_all(cursor)
    assert records(changes, "supply_transfer") == {str(transfer.id): None}
    assert records(changes, "kit_stock")[f"{crew.kit.id}:{lot.id}"]["on_hand"] == 4  # type: ignore[index]


def test_a_transfer_sent_through_the_supply_api_reaches_the_kits_tablets(
        crew: Any, lot: Any, manager: User, put_stock: Any,
        sign_in: Callable[..., Session]) -> None:
    put_stock(crew.warehouse, lot, 10)
    _, cursor = crew.first.pull_all()
    sent = sign_in(manager).post("/api/v1/supplies/transfers", json={
        "from_location_id": crew.warehouse.id, "to_location_id": crew.kit.id,
        "lines": [{"item_id": lot.item_id, "quantity": 3}]})
    assert sent.status_code == 201, sent.json
    changes, _ = crew.first.pull_all(cursor)
    assert records(changes, "supply_transfer").keys() == {sent.json["id"]}


def test_two_tablets_offline_receive_one_transfer_and_it_is_received_once(
        crew: Any, lot: Any, manager: User, put_stock: Any) -> None:
    put_stock(crew.warehouse, lot, 10)
    transfer = send_transfer(db.session, manager, crew.warehouse.id, crew.kit.id,
                             [{"item_id": lot.item_id, "quantity": 4}])
    db.session.commit()
    first = crew.first.op("transfer_receipt", {"transfer_id": str(transfer.id)})
    second = crew.second.op("transfer_receipt", {"transfer_id": str(transfer.id)})

    answer_one = crew.first.push([first]).json["results"][0]
    answer_two = crew.second.push([second]).json["results"][0]
    replay = crew.second.push([second]).json["results"][0]

    assert (answer_one["outcome"], answer_two["outcome"]) == ("applied", "applied")
    assert answer_two["message"] == "already received"
    assert replay["outcome"] == "applied"
    db.session.expire_all()
    assert transfer.state == TransferState.RECEIVED
    assert str(transfer.received_device_id) == crew.first.session.device_id
    assert kit_on_hand(crew.kit) == {lot.id: 4}
    entries_in = db.session.scalar(sa.select(sa.func.count()).where(
        StockLedgerEntry.reason == LedgerReason.TRANSFER_IN))
    assert entries_in == 1
    assert sorted(o.value for o in db.session.scalars(sa.select(TransferReceipt.outcome))) == [
        "already_received", "received"]


def test_a_receipt_of_a_transfer_to_another_kit_is_rejected(
        crew: Any, lot: Any, manager: User, put_stock: Any,
        create_location: Callable[..., Any]) -> None:
    put_stock(crew.warehouse, lot, 10)
    elsewhere = send_transfer(db.session, manager, crew.warehouse.id, create_location().id,
                              [{"item_id": lot.item_id, "quantity": 1}])
    db.session.commit()
    answer = crew.first.push([crew.first.op("transfer_receipt",
                                            {"transfer_id": str(elsewhere.id)})])
    assert answer.json["results"][0]["errors"] == {
        "transfer_id": ["no such transfer to your unit's kit"]}


def test_two_tablets_offline_count_the_same_lot_and_the_kit_holds_what_was_counted(
        crew: Any, lot: Any, put_stock: Any) -> None:
    put_stock(crew.kit, lot, 8)
    line = {"location_id": crew.kit.id, "item_id": lot.item_id, "lot_id": lot.id, "counted": 5}
    first = crew.first.op("kit_count", {"count_id": new_id(), **line})
    second = crew.second.op("kit_count", {"count_id": new_id(), **line})

    assert outcomes(crew.first.push([first])) == ["applied"]
    assert outcomes(crew.second.push([second])) == ["applied"]

    assert kit_on_hand(crew.kit) == {lot.id: 5}
    adjustments = db.session.execute(
        sa.select(StockLedgerEntry.delta, StockLedgerEntry.source_kind, StockLedgerEntry.source_id)
        .where(StockLedgerEntry.reason == LedgerReason.COUNT_ADJUST)).all()
    assert [(d, k, str(i)) for d, k, i in adjustments] == [(-3, "kit_count", first["record_id"])]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KitCount)) == 2


def test_a_count_by_item_spreads_over_the_kits_lots(
        crew: Any, lot: Any, create_lot: Callable[..., Any], put_stock: Any) -> None:
    later = create_lot(lot.item, timedelta(days=300))
    put_stock(crew.kit, lot, 2)
    put_stock(crew.kit, later, 2)
    count = crew.first.op("kit_count", {"count_id": new_id(), "location_id": crew.kit.id,
                                        "item_id": lot.item_id, "counted": 3})
    assert outcomes(crew.first.push([count])) == ["applied"]
    assert kit_on_hand(crew.kit) == {lot.id: 1, later.id: 2}


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"location_id": -1}, "location_id", "must be your unit's vehicle kit"),
    ({"item_id": 999_999}, "item_id", "no such item"),
    ({"lot_id": 999_999}, "lot_id", "no such lot of this item"),
])
def test_a_count_of_something_not_in_the_units_kit_is_rejected(
        crew: Any, lot: Any, create_location: Callable[..., Any], change: dict[str, Any],
        field: str, message: str) -> None:
    data = {"count_id": new_id(), "location_id": crew.kit.id, "item_id": lot.item_id,
            "lot_id": lot.id, "counted": 1}
    if change.get("location_id") == -1:
        change = {"location_id": create_location().id}
    answer = crew.first.push([crew.first.op("kit_count", {**data, **change})])
    assert answer.json["results"][0]["errors"] == {field: [message]}
    assert kit_on_hand(crew.kit) == {}


def test_a_kit_alert_reaches_the_units_tablets(crew: Any, create_lot: Callable[..., Any],
                                               lot: Any, put_stock: Any) -> None:
    expired = create_lot(lot.item, timedelta(days=-3))
    put_stock(crew.kit, expired, 1)
    _, cursor = crew.first.pull_all()
    compute_alerts(db.session, utcnow(), 30)
    db.session.commit()

    changes, _ = crew.first.pull_all(cursor)
    [alert] = [d for d in records(changes, "supply_alert").values() if d]
    assert (alert["kind"], alert["lot_id"], alert["on_hand"], alert["location_name"]) == (
        "expired", expired.id, 1, crew.kit.name)


def test_a_supply_managers_pull_holds_supplies_and_nothing_about_people(
        crew: Any, lot: Any, manager: User, put_stock: Any, sign_in: Callable[..., Session],
        create_call: Callable[..., Any], create_lot: Callable[..., Any]) -> None:
    call = create_call(crew.first.unit)
    crew.first.push([crew.first.status(call, "en_route"), crew.first.note(call, "Sat with him."),
                     crew.first.point()])
    put_stock(crew.warehouse, lot, 10)
    put_stock(crew.kit, create_lot(lot.item, timedelta(days=-1)), 2)
    transfer = send_transfer(db.session, manager, crew.warehouse.id, crew.kit.id,
                             [{"item_id": lot.item_id, "quantity": 4}])
    short = create_lot(lot.item)
    post_entries(db.session, [NewEntry(crew.kit.id, short.id, -1, LedgerReason.DISTRIBUTE)], None)
    compute_alerts(db.session, utcnow(), 30)
    db.session.commit()

    session = sign_in(manager)
    response = session.get(PULL, query_string={"limit": 1000})
    assert response.status_code == 200, response.json
    changes = response.json["changes"]

    assert {c["kind"] for c in changes} == {"supply_item", "supply_transfer", "supply_alert",
                                            "supply_discrepancy"}
    assert records(changes, "supply_transfer").keys() == {str(transfer.id)}
    assert {d["kind"] for d in records(changes, "supply_alert").values() if d} == {"expired"}
    [found] = [d for d in records(changes, "supply_discrepancy").values() if d]
    assert found.keys() == {"id", "location_id", "location_name", "item_id", "item_name",
                            "lot_id", "lot_number", "on_hand_when_found", "state", "opened_at"}
    assert (found["lot_id"], found["on_hand_when_found"]) == (short.id, -1)
    assert session.post(PUSH, json={"protocol_version": 2, "device_time": utcnow().isoformat(),
                                    "ops": []}).status_code == 403


def test_a_resolved_discrepancy_leaves_the_supply_managers_and_never_reaches_tablets(
        crew: Any, lot: Any, manager: User, sign_in: Callable[..., Session]) -> None:
    session = sign_in(manager)
    _, manager_cursor = pull_as(session)
    _, tablet_cursor = crew.first.pull_all()
    post_entries(db.session, [NewEntry(crew.kit.id, lot.id, -2, LedgerReason.DISTRIBUTE)], None)
    db.session.commit()
    changes, manager_cursor = pull_as(session, manager_cursor)
    [opened] = records(changes, "supply_discrepancy")

    resolve_discrepancy(db.session, manager, int(opened), "Two sprays given, logged late.")
    db.session.commit()

    changes, _ = pull_as(session, manager_cursor)
    assert records(changes, "supply_discrepancy") == {opened: None}
    tablet_changes, _ = crew.first.pull_all(tablet_cursor)
    assert records(tablet_changes, "supply_discrepancy") == {}


def pull_as(session: Session, cursor: str | None = None) -> tuple[list[dict[str, Any]], str]:
    params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
    response = session.get(PULL, query_string=params)
    assert response.status_code == 200, response.json
    assert not response.json["has_more"]
    return response.json["changes"], response.json["cursor"]


def test_a_count_of_an_item_never_received_is_rejected_naming_the_item(
        crew: Any, create_item: Callable[..., Any]) -> None:
    never = create_item()
    count = crew.first.op("kit_count", {"count_id": new_id(), "location_id": crew.kit.id,
                                        "item_id": never.id, "counted": 2})
    answer = crew.first.push([count]).json["results"][0]
    assert (answer["outcome"], answer["errors"]) == (
        "rejected", {"item_id": ["this item has no lot yet: receive it first"]})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(KitCount)) == 0
