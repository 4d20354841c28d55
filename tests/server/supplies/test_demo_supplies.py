"""The demo city's supplies: a catalog a scanner can read, stock that is the sum of its
ledger, par levels on every kit, and alerts to look at."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from server.demo import gtin_with_check_digit
from server.extensions import db
from server.supplies.models import (
    AlertKind,
    AlertState,
    LocationKind,
    ParLevel,
    StockBalance,
    StockDiscrepancy,
    StockLedgerEntry,
    StockLocation,
    SupplyAlert,
    SupplyCategory,
    SupplyItem,
    SupplyTransfer,
    TransferState,
)


@pytest.fixture
def demo(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()


def gs1_valid(gtin: str) -> bool:
    """GS1's check: the digits weighted 1, 3, 1, ... from the right sum to a multiple of 10."""
    return sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(reversed(gtin))) % 10 == 0


def test_the_check_digit_is_gs1s() -> None:
    assert gtin_with_check_digit("0001234560001") == "00012345600012"


def test_every_demo_item_has_a_category_pack_size_unit_and_a_valid_gtin(demo: None) -> None:
    items = db.session.scalars(sa.select(SupplyItem)).all()
    assert {i.category for i in items} == set(SupplyCategory)
    for item in items:
        assert item.gtin is not None
        assert len(item.gtin) == 14
        assert gs1_valid(item.gtin), item.gtin
        assert item.pack_size >= 1
        assert item.unit_of_measure


def test_demo_balances_are_the_sums_of_their_ledger_and_never_negative(demo: None) -> None:
    sums = {(location, lot): total for location, lot, total in db.session.execute(
        sa.select(StockLedgerEntry.location_id, StockLedgerEntry.lot_id,
                  sa.func.sum(StockLedgerEntry.delta))
        .group_by(StockLedgerEntry.location_id, StockLedgerEntry.lot_id))}
    balances = {(b.location_id, b.lot_id): b.on_hand
                for b in db.session.scalars(sa.select(StockBalance))}
    assert balances == sums
    assert min(balances.values()) >= 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StockDiscrepancy)) == 0


def test_every_kit_has_a_par_level_for_every_item_and_one_transfer_is_on_its_way(
        demo: None) -> None:
    kits = db.session.scalars(sa.select(StockLocation.id).where(
        StockLocation.kind == LocationKind.VEHICLE_KIT)).all()
    items = db.session.scalars(sa.select(SupplyItem.id)).all()
    levels = set(db.session.execute(sa.select(ParLevel.location_id, ParLevel.item_id)).all())
    assert {(k, i) for k in kits for i in items} <= levels
    states = db.session.scalars(sa.select(SupplyTransfer.state)).all()
    assert states.count(TransferState.IN_TRANSIT) == 1


def test_the_demo_opens_expired_near_expiry_and_low_stock_alerts(demo: None) -> None:
    kinds = set(db.session.scalars(sa.select(SupplyAlert.kind).where(
        SupplyAlert.state == AlertState.OPEN)))
    assert kinds == set(AlertKind)
