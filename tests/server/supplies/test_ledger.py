"""The stock ledger: entries and their balances, discrepancies, FEFO, append-only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.extensions import db
from server.supplies.models import (
    DiscrepancyState,
    LedgerAppendOnlyError,
    LedgerReason,
    StockDiscrepancy,
    StockLedgerEntry,
)
from server.supplies.services import NewEntry, fefo_lots, post_entries, stock_on_hand, unit_kit
from server.units.models import Unit

# Executions of one statement after which PostgreSQL may use a generic plan of it (psycopg's
# prepare threshold 5, then the server's 5 custom plans), with a margin.
PREPARED_AFTER = 15


@pytest.fixture
def kit_with_lot(create_unit: Callable[..., Unit], create_location: Callable[..., Any],
                 create_item: Callable[..., Any], create_lot: Callable[..., Any]) -> tuple[Any, Any]:
    kit = create_location(create_unit())
    return kit, create_lot(create_item())


def give_out(kit: Any, lot: Any, quantity: int) -> NewEntry:
    return NewEntry(kit.id, lot.id, -quantity, LedgerReason.DISTRIBUTE)


def test_entries_add_up_in_the_balance_of_each_lot(
        kit_with_lot: tuple[Any, Any], create_lot: Callable[..., Any], put_stock: Any) -> None:
    kit, lot = kit_with_lot
    other = create_lot(lot.item)
    put_stock(kit, lot, 10)
    put_stock(kit, other, 4)

    written = post_entries(db.session, [give_out(kit, lot, 3), give_out(kit, lot, 2),
                                        give_out(kit, other, 1)], None)
    db.session.commit()

    assert [e.delta for e in written] == [-3, -2, -1]
    assert stock_on_hand(db.session, [kit.id]) == [(kit.id, lot.item_id, lot.id, 5),
                                                    (kit.id, lot.item_id, other.id, 3)]
    ledger_sum = db.session.scalar(sa.select(sa.func.sum(StockLedgerEntry.delta))
                                   .where(StockLedgerEntry.lot_id == lot.id))
    assert ledger_sum == 5


def test_a_lot_going_below_zero_opens_one_discrepancy_while_it_stays_open(
        kit_with_lot: tuple[Any, Any], put_stock: Any) -> None:
    kit, lot = kit_with_lot
    put_stock(kit, lot, 2)

    post_entries(db.session, [give_out(kit, lot, 3)], None)
    post_entries(db.session, [give_out(kit, lot, 1)], None)
    db.session.commit()

    found = db.session.scalars(sa.select(StockDiscrepancy)).all()
    assert [(d.location_id, d.lot_id, d.item_id, d.on_hand_when_found, d.state)
            for d in found] == [(kit.id, lot.id, lot.item_id, -1, DiscrepancyState.OPEN)]
    assert stock_on_hand(db.session, [kit.id])[0].on_hand == -2


def test_a_lot_used_up_leaves_stock_on_hand_and_opens_no_discrepancy(
        kit_with_lot: tuple[Any, Any], put_stock: Any) -> None:
    kit, lot = kit_with_lot
    put_stock(kit, lot, 2)
    post_entries(db.session, [give_out(kit, lot, 2)], None)
    db.session.commit()
    assert stock_on_hand(db.session, [kit.id]) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockDiscrepancy)) == 0


def test_fefo_lots_give_the_first_expiry_first_and_never_expiring_lots_last(
        kit_with_lot: tuple[Any, Any], create_lot: Callable[..., Any], put_stock: Any) -> None:
    kit, _ = kit_with_lot
    item = _.item
    late = create_lot(item, expires_in=timedelta(days=300))
    never = create_lot(item, expires_in=None)
    soon = create_lot(item, expires_in=timedelta(days=10))
    empty = create_lot(item, expires_in=timedelta(days=1))
    for lot in (late, never, soon):
        put_stock(kit, lot, 1)
    put_stock(kit, empty, 0)

    assert [row.lot.id for row in fefo_lots(db.session, kit.id, item.id)] == [
        soon.id, late.id, never.id]


def test_unit_kit_is_the_units_vehicle_kit(create_unit: Callable[..., Unit],
                                           create_location: Callable[..., Any]) -> None:
    unit, other = create_unit(), create_unit()
    create_location()
    kit = create_location(unit)
    assert unit_kit(db.session, unit.id) == kit
    assert unit_kit(db.session, other.id) is None
    assert unit_kit(db.session, None) is None  # a responder off shift has no kit


def test_ledger_entries_cannot_be_changed_or_deleted_through_the_orm(
        kit_with_lot: tuple[Any, Any], put_stock: Any) -> None:
    kit, lot = kit_with_lot
    put_stock(kit, lot, 5)
    entry = db.session.scalars(sa.select(StockLedgerEntry)).one()

    entry.delta = 50
    with pytest.raises(LedgerAppendOnlyError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()

    db.session.delete(entry)
    with pytest.raises(LedgerAppendOnlyError, match="cannot be deleted"):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalars(sa.select(StockLedgerEntry.delta)).all() == [5]


def test_ledger_entries_cannot_be_changed_or_deleted_by_a_bulk_statement(
        kit_with_lot: tuple[Any, Any], put_stock: Any) -> None:
    kit, lot = kit_with_lot
    put_stock(kit, lot, 5)
    for statement in (sa.update(StockLedgerEntry).values(delta=50), sa.delete(StockLedgerEntry)):
        with pytest.raises(LedgerAppendOnlyError, match="cannot be changed or deleted"):
            db.session.execute(statement)
        db.session.rollback()
    assert db.session.scalars(sa.select(StockLedgerEntry.delta)).all() == [5]


# The database trigger is PostgreSQL's (SQLite's guard is the ORM's, above).
@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_postgres_refuses_ledger_updates_made_in_plain_sql(
        app: Flask, kit_with_lot: tuple[Any, Any], put_stock: Any) -> None:
    assert db.engine.dialect.name == "postgresql"
    kit, lot = kit_with_lot
    put_stock(kit, lot, 5)
    for statement in ("UPDATE stock_ledger SET delta = 50", "DELETE FROM stock_ledger"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert db.session.scalars(sa.select(StockLedgerEntry.delta)).all() == [5]


def test_lot_after_lot_going_below_zero_each_opens_its_discrepancy(
        kit_with_lot: tuple[Any, Any], create_lot: Callable[..., Any]) -> None:
    # psycopg prepares a statement run 5 times, and PostgreSQL plans a prepared one generically
    # after 5 more: an ON CONFLICT with a bound value in its index predicate then finds no
    # index. Enough lots to get there; the predicate is literal SQL.
    kit, first = kit_with_lot
    lots = [first, *(create_lot(first.item) for _ in range(PREPARED_AFTER))]
    for lot in lots:
        post_entries(db.session, [give_out(kit, lot, 1)], None)
    db.session.commit()
    opened = db.session.scalars(sa.select(StockDiscrepancy.lot_id)).all()
    assert sorted(opened) == sorted(lot.id for lot in lots)
