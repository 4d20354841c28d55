"""Many lots going below zero at once each open their discrepancy, on both databases: the
one-open-per-lot rule's upsert names its partial index by a literal predicate, which
PostgreSQL still matches once the driver prepares the statement (after a few runs)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from server.extensions import db
from server.supplies import services
from server.supplies.models import LedgerReason, StockDiscrepancy
from server.units.models import Unit
from tests.fixtures.supplies import make_stockroom

# psycopg prepares a statement run this many times on one connection (its default is 5).
PREPARED_AFTER = 5


def test_a_push_taking_many_lots_below_zero_opens_one_discrepancy_each(
        create_unit: Callable[..., Unit]) -> None:
    room = make_stockroom(create_unit())
    lots = [room.early_lot, room.late_lot, room.strips_lot]
    for round_ in range(PREPARED_AFTER + 2):
        services.post_entries(db.session, [services.NewEntry(
            location_id=place.id, lot_id=lot.id, delta=-1, reason=LedgerReason.DISTRIBUTE)
            for place in (room.kit, room.warehouse) for lot in lots], None)
        db.session.commit()
        opened = db.session.scalar(sa.select(sa.func.count()).select_from(StockDiscrepancy))
        assert opened == 6, f"after round {round_}"
