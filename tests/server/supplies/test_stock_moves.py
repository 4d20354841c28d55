"""Transfers, counts, adjustments and receipts as the warehouse and the kits make them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from server.auth.models import User
from server.errors import DomainError
from server.extensions import db
from server.supplies.models import (
    DiscrepancyState,
    LedgerReason,
    StockDiscrepancy,
    StockLedgerEntry,
    TransferState,
)
from server.supplies.services import (
    NewEntry,
    adjust,
    cancel_transfer,
    post_entries,
    receive_transfer,
    record_count,
    record_receipt,
    resolve_discrepancy,
    send_transfer,
    stock_on_hand,
)
from server.units.models import Unit


@pytest.fixture
def places(create_unit: Callable[..., Unit], create_location: Callable[..., Any]) -> Any:
    class Places:
        warehouse = create_location()
        kit = create_location(create_unit())
    return Places


def on_hand(location: Any) -> dict[int, int]:
    """lot id -> on hand at the location."""
    return {row.lot_id: row.on_hand for row in stock_on_hand(db.session, [location.id])}


def entries_of(reason: LedgerReason) -> list[tuple[int, int, int]]:
    return [tuple(r) for r in db.session.execute(  # type: ignore[misc]
        sa.select(StockLedgerEntry.location_id, StockLedgerEntry.lot_id, StockLedgerEntry.delta)
        .where(StockLedgerEntry.reason == reason).order_by(StockLedgerEntry.lot_id))]


def test_a_transfer_without_lots_sends_the_first_to_expire_first(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item = create_item()
    late, soon = create_lot(item, timedelta(days=200)), create_lot(item, timedelta(days=20))
    put_stock(places.warehouse, late, 10)
    put_stock(places.warehouse, soon, 4)

    transfer = send_transfer(db.session, manager, places.warehouse.id, places.kit.id,
                             [{"item_id": item.id, "quantity": 6}])
    db.session.commit()

    assert [(line.lot_id, line.quantity) for line in transfer.lines] == [(soon.id, 4),
                                                                         (late.id, 2)]
    assert transfer.state == TransferState.IN_TRANSIT
    assert on_hand(places.warehouse) == {late.id: 8}
    assert on_hand(places.kit) == {}


def test_a_transfer_asking_more_than_the_source_holds_is_refused_naming_the_line(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item = create_item()
    lot = create_lot(item)
    put_stock(places.warehouse, lot, 3)

    with pytest.raises(DomainError) as refused:
        send_transfer(db.session, manager, places.warehouse.id, places.kit.id,
                      [{"item_id": item.id, "quantity": 2},
                       {"item_id": item.id, "lot_id": lot.id, "quantity": 2}])
    db.session.rollback()

    assert refused.value.status == 422
    assert refused.value.errors == {"json": {"lines": {"1": {
        "lot_id": ["the source holds 1 of this lot"]}}}}
    assert on_hand(places.warehouse) == {lot.id: 3}
    assert entries_of(LedgerReason.TRANSFER_OUT) == []


def test_a_transfer_naming_an_unknown_item_or_another_items_lot_is_refused_naming_each_line(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item, other = create_item(), create_item()
    lot, others_lot = create_lot(item), create_lot(other)
    put_stock(places.warehouse, lot, 3)

    with pytest.raises(DomainError) as refused:
        send_transfer(db.session, manager, places.warehouse.id, places.kit.id,
                      [{"item_id": 999_999, "quantity": 1},
                       {"item_id": item.id, "lot_id": others_lot.id, "quantity": 1},
                       {"item_id": item.id, "quantity": 1}])
    db.session.rollback()

    assert refused.value.errors == {"json": {"lines": {
        "0": {"item_id": ["no such item"]}, "1": {"lot_id": ["no such lot of this item"]}}}}
    assert on_hand(places.warehouse) == {lot.id: 3}


def test_a_transfer_is_received_once_and_a_second_receipt_changes_nothing(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item = create_item()
    lot = create_lot(item)
    put_stock(places.warehouse, lot, 5)
    transfer = send_transfer(db.session, manager, places.warehouse.id, places.kit.id,
                             [{"item_id": item.id, "quantity": 5}])
    db.session.commit()

    first = receive_transfer(db.session, manager, transfer.id)
    second = receive_transfer(db.session, manager, transfer.id)
    db.session.commit()

    assert (first.already_received, second.already_received) == (False, True)
    assert first.transfer.state == TransferState.RECEIVED
    assert entries_of(LedgerReason.TRANSFER_IN) == [(places.kit.id, lot.id, 5)]
    assert on_hand(places.kit) == {lot.id: 5}


def test_a_cancelled_transfer_returns_its_stock_and_cannot_be_received(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item = create_item()
    lot = create_lot(item)
    put_stock(places.warehouse, lot, 5)
    transfer = send_transfer(db.session, manager, places.warehouse.id, places.kit.id,
                             [{"item_id": item.id, "quantity": 2}])
    cancel_transfer(db.session, manager, transfer.id)
    db.session.commit()

    assert on_hand(places.warehouse) == {lot.id: 5}
    with pytest.raises(DomainError, match="cancelled"):
        receive_transfer(db.session, manager, transfer.id)
    assert on_hand(places.kit) == {}


def test_a_lot_count_posts_the_difference_from_on_hand(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item = create_item()
    short, over, right = create_lot(item), create_lot(item), create_lot(item)
    put_stock(places.kit, short, 10)
    put_stock(places.kit, over, 1)
    put_stock(places.kit, right, 4)

    made = record_count(db.session, manager, places.kit.id,
                        [{"lot_id": short.id, "counted": 7}, {"lot_id": over.id, "counted": 3},
                         {"lot_id": right.id, "counted": 4}])
    db.session.commit()

    assert sorted((e.lot_id, e.delta) for e in made) == [(short.id, -3), (over.id, 2)]
    assert all(e.reason == LedgerReason.COUNT_ADJUST for e in made)
    assert on_hand(places.kit) == {short.id: 7, over.id: 3, right.id: 4}


def test_an_item_count_takes_a_shortfall_off_the_first_lots_to_expire(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item = create_item()
    first, second, last = (create_lot(item, timedelta(days=d)) for d in (10, 20, 30))
    for lot in (first, second, last):
        put_stock(places.kit, lot, 4)

    record_count(db.session, manager, places.kit.id, [{"item_id": item.id, "counted": 6}])
    db.session.commit()

    assert on_hand(places.kit) == {second.id: 2, last.id: 4}


def test_an_item_count_above_what_is_held_puts_the_surplus_on_the_first_lot(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item = create_item()
    first, last = create_lot(item, timedelta(days=10)), create_lot(item, timedelta(days=30))
    put_stock(places.kit, first, 1)
    put_stock(places.kit, last, 2)

    record_count(db.session, manager, places.kit.id, [{"item_id": item.id, "counted": 5}])
    db.session.commit()

    assert on_hand(places.kit) == {first.id: 3, last.id: 2}


def test_a_count_that_reconciles_a_negative_lot_resolves_its_discrepancy(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    item = create_item()
    lot = create_lot(item)
    put_stock(places.kit, lot, 1)
    post_entries(db.session, [NewEntry(places.kit.id, lot.id, -3, LedgerReason.DISTRIBUTE)], None)
    db.session.commit()

    record_count(db.session, manager, places.kit.id, [{"lot_id": lot.id, "counted": 0}])
    db.session.commit()

    discrepancy = db.session.scalars(sa.select(StockDiscrepancy)).one()
    assert discrepancy.state == DiscrepancyState.RESOLVED
    assert discrepancy.resolved_by == manager.id
    assert discrepancy.resolution is not None
    assert discrepancy.resolution.startswith("Reconciled by the count of")
    assert on_hand(places.kit) == {}


def test_a_discrepancy_is_resolved_once_with_a_note(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any]) -> None:
    lot = create_lot(create_item())
    post_entries(db.session, [NewEntry(places.kit.id, lot.id, -1, LedgerReason.DISTRIBUTE)], None)
    discrepancy = db.session.scalars(sa.select(StockDiscrepancy)).one()

    resolve_discrepancy(db.session, manager, discrepancy.id, "Two kits handed out unlogged.")
    with pytest.raises(DomainError, match="already resolved"):
        resolve_discrepancy(db.session, manager, discrepancy.id, "again")
    assert discrepancy.resolution == "Two kits handed out unlogged."


def test_an_adjustment_takes_expired_stock_out_but_no_more_than_held(
        manager: User, places: Any, create_item: Callable[..., Any],
        create_lot: Callable[..., Any], put_stock: Any) -> None:
    lot = create_lot(create_item(), timedelta(days=-1))
    put_stock(places.warehouse, lot, 3)

    with pytest.raises(DomainError) as refused:
        adjust(db.session, manager, places.warehouse.id, lot.id, 4, LedgerReason.EXPIRE)
    assert refused.value.errors == {"json": {"quantity": ["the location holds 3 of this lot"]}}
    with pytest.raises(DomainError, match="reason"):
        adjust(db.session, manager, places.warehouse.id, lot.id, 1, LedgerReason.DISTRIBUTE)
    adjust(db.session, manager, places.warehouse.id, lot.id, 3, LedgerReason.EXPIRE)
    db.session.commit()

    assert entries_of(LedgerReason.EXPIRE) == [(places.warehouse.id, lot.id, -3)]
    assert on_hand(places.warehouse) == {}


def test_a_receipt_makes_a_new_lot_and_adds_to_a_known_one(
        manager: User, places: Any, create_item: Callable[..., Any]) -> None:
    item = create_item()
    expires = date(2027, 6, 30)
    first = record_receipt(db.session, manager, places.warehouse.id, item.id, "A1", expires, 24)
    again = record_receipt(db.session, manager, places.warehouse.id, item.id, "A1", expires, 12)
    db.session.commit()

    assert first.lot_id == again.lot_id
    assert first.lot.expires_on == expires
    assert on_hand(places.warehouse) == {first.lot_id: 36}
    without_date = record_receipt(db.session, manager, places.warehouse.id, item.id, "A1", None, 1)
    assert without_date.lot_id == first.lot_id
    with pytest.raises(DomainError) as refused:
        record_receipt(db.session, manager, places.warehouse.id, item.id, "A1", date(2027, 7, 1), 1)
    assert refused.value.errors == {"json": {"expires_on": [
        "lot A1 of this item expires on 2027-06-30"]}}


def test_a_lot_received_without_an_expiry_takes_the_first_one_given(
        manager: User, places: Any, create_item: Callable[..., Any]) -> None:
    item = create_item()
    first = record_receipt(db.session, manager, places.warehouse.id, item.id, "B2", None, 1)
    record_receipt(db.session, manager, places.warehouse.id, item.id, "B2", date(2028, 1, 31), 1)
    assert first.lot.expires_on == date(2028, 1, 31)
