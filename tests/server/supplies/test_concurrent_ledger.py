"""Two pushes moving the same kit's lots at the same moment: both moves count, neither
waits forever on the other, and a lot they take below zero opens one discrepancy.

Two threads, each in an app context of its own (its own session and connection), are
released together by a barrier for each trial and post entries on the same three lots, one
call per lot as a push applies one op after another, one thread in the opposite lot order
of the other. Each move locks its location first, so the second transaction waits for the
first instead of the two deadlocking over the balances each took (PostgreSQL would abort
one); the additive upsert adds to the committed balance, so nothing is lost. SQLite runs
the same scenario with its one writer.
"""

from __future__ import annotations

from functools import partial
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
    SupplyCategory,
)
from server.supplies.services import NewEntry, post_entries, record_count, stock_on_hand
from tests.fixtures.concurrency import together
from tests.fixtures.supplies import new_item, new_lot

WRITERS = 2
LOTS = 3
# 30 trials of two simultaneous posts: a lock taken out of order deadlocks within a few
# trials on PostgreSQL; a few seconds in all.
TRIALS = 30


@pytest.fixture
def kit_lots(race_app: Flask) -> tuple[int, list[int]]:
    with race_app.app_context():
        item = new_item(SupplyCategory.OTHER, sku="NX-4", name="Naloxone 4 mg")
        kit = StockLocation(kind=LocationKind.VEHICLE_KIT, name="Race kit")
        db.session.add(kit)
        db.session.commit()
        return kit.id, [new_lot(item, None, f"L{n}").id for n in range(LOTS)]


def _push_moves(app: Flask, kit_id: int, order: list[int]) -> None:
    """One push: an entry per op, each posted on its own, in the push's order."""
    with app.app_context():
        for lot in order:
            post_entries(db.session, [NewEntry(kit_id, lot, -1, LedgerReason.DISTRIBUTE)], None)
        db.session.commit()


def _count(app: Flask, kit_id: int, lot_id: int, counted: int) -> None:
    """A tablet's count of the lot."""
    with app.app_context():
        record_count(db.session, None, kit_id, [{"lot_id": lot_id, "counted": counted}])
        db.session.commit()


def test_two_pushes_moving_the_same_lots_at_once_both_count_and_never_deadlock(
        race_app: Flask, kit_lots: tuple[int, list[int]]) -> None:
    kit_id, lot_ids = kit_lots
    for _ in range(TRIALS):
        together([partial(_push_moves, race_app, kit_id, order)
                  for order in (lot_ids, list(reversed(lot_ids)))])

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


def test_two_counts_of_one_lot_at_once_leave_what_was_counted(
        race_app: Flask, kit_lots: tuple[int, list[int]]) -> None:
    # Two tablets' counts of the same lot arrive together: each reads on hand after the
    # other's adjustment, so the kit holds the count, not the count less both differences.
    kit_id, [lot_id, *_] = kit_lots
    with race_app.app_context():
        post_entries(db.session, [NewEntry(kit_id, lot_id, 8, LedgerReason.RECEIVE)], None)
        db.session.commit()
    for trial in range(TRIALS):
        together([partial(_count, race_app, kit_id, lot_id, 5 + trial % 2)] * WRITERS)

    with race_app.app_context():
        assert stock_on_hand(db.session, [kit_id])[0].on_hand == 5 + (TRIALS - 1) % 2
