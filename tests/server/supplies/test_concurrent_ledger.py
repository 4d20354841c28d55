"""Two pushes moving the same kit's lots at the same moment: both moves count, neither
waits forever on the other, and a lot they take below zero opens one discrepancy.

Two threads, each in an app context of its own (its own session and connection), are
released together by a barrier for each trial and post entries on the same three lots,
one thread naming them in the opposite order of the other. Balances are touched in
(location, lot) order whatever the order given, so the second transaction waits for the
first instead of the two deadlocking (PostgreSQL would abort one); the additive upsert
adds to the committed balance, so nothing is lost. SQLite runs the same scenario with its
one writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.extensions import db
from server.supplies.models import (
    LedgerReason,
    LocationKind,
    StockDiscrepancy,
    StockLedgerEntry,
    StockLocation,
    SupplyItem,
    SupplyLot,
)
from server.supplies.services import NewEntry, post_entries, stock_on_hand
from tests.conftest import _truncate_all, make_app

WRITERS = 2
LOTS = 3
# 30 trials of two simultaneous posts: a lock taken out of order deadlocks within a few
# trials on PostgreSQL; a few seconds in all.
TRIALS = 30
# A safety net only: a barrier or thread that never returns fails the test instead of hanging it.
STUCK_AFTER_SECONDS = 60


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def race_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    if request.param == "sqlite":
        app = make_app(f"sqlite:///{tmp_path / 'race.sqlite'}")
        with app.app_context():
            db.create_all()
    else:
        url = request.getfixturevalue("pg_database")
        _truncate_all(url)
        app = make_app(url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": WRITERS + 2})
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def kit_lots(race_app: Flask) -> tuple[int, list[int]]:
    with race_app.app_context():
        item = SupplyItem(sku="NX-4", name="Naloxone 4 mg", unit_of_measure="device")
        kit = StockLocation(kind=LocationKind.VEHICLE_KIT, name="Race kit")
        db.session.add_all([item, kit])
        db.session.flush()
        lots = [SupplyLot(item_id=item.id, lot_number=f"L{n}") for n in range(LOTS)]
        db.session.add_all(lots)
        db.session.commit()
        return kit.id, [lot.id for lot in lots]


def test_two_pushes_moving_the_same_lots_at_once_both_count_and_never_deadlock(
        race_app: Flask, kit_lots: tuple[int, list[int]]) -> None:
    kit_id, lot_ids = kit_lots
    barrier = threading.Barrier(WRITERS, timeout=STUCK_AFTER_SECONDS)
    failures: list[BaseException] = []

    def writer(order: list[int]) -> None:
        with race_app.app_context():
            for _ in range(TRIALS):
                barrier.wait()
                try:
                    post_entries(db.session, [NewEntry(kit_id, lot, -1, LedgerReason.DISTRIBUTE)
                                              for lot in order], None)
                    db.session.commit()
                except Exception as failed:  # any failure is the finding, kept for the assertion
                    db.session.rollback()
                    failures.append(failed)

    threads = [threading.Thread(target=writer, args=(order,))
               for order in (lot_ids, list(reversed(lot_ids)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(STUCK_AFTER_SECONDS * TRIALS)

    assert failures == []
    with race_app.app_context():
        balances = {row.lot_id: row.on_hand for row in stock_on_hand(db.session, [kit_id])}
        assert balances == dict.fromkeys(lot_ids, -WRITERS * TRIALS)
        sums = dict(db.session.execute(
            sa.select(StockLedgerEntry.lot_id, sa.func.sum(StockLedgerEntry.delta))
            .group_by(StockLedgerEntry.lot_id)).all())
        assert sums == balances
        opened: list[Any] = db.session.execute(
            sa.select(StockDiscrepancy.lot_id, sa.func.count())
            .group_by(StockDiscrepancy.lot_id)).all()
        assert dict(opened) == dict.fromkeys(lot_ids, 1)
