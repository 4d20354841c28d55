"""Stock on hand for every location and item from the balances the ledger keeps, against
summing the ledger itself: 1,000,000 entries over 60 locations and 40 items (4 lots each).

The entries go in by COPY; their balances are built with one INSERT .. SELECT SUM (what
post_entries' additive upserts add up to), checked equal to the ledger's sums everywhere, and
then moved by the app's own `post_entries` on a sample of (location, lot) pairs, checked again.
Timed: the app's `stock_on_hand` service for all locations (median of --runs) against, in the
same run, one SQL query summing all entries per location and lot.

Usage: .venv/bin/python bench/stock.py [--entries 1000000] [--runs 15]
Last line: {"bench": "stock", "seconds": ..., "baseline_seconds": ..., "speedup": ...}
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import app_for, bench_database, dsn, emit

LOCATIONS = 60
ITEMS = 40
LOTS_PER_ITEM = 4
SAMPLE_PAIRS = 50  # (location, lot) pairs moved through post_entries and checked
# The ledger's sums per (location, lot) with the lot's item: what stock_on_hand answers.
BASELINE_SQL = """
SELECT e.location_id, l.item_id, e.lot_id, SUM(e.delta) AS on_hand
FROM stock_ledger e JOIN supply_lots l ON l.id = e.lot_id
GROUP BY e.location_id, l.item_id, e.lot_id
HAVING SUM(e.delta) <> 0
ORDER BY e.location_id, e.lot_id
"""
BALANCES_FROM_LEDGER = """
INSERT INTO stock_balances (location_id, lot_id, item_id, on_hand)
SELECT e.location_id, e.lot_id, l.item_id, SUM(e.delta)
FROM stock_ledger e JOIN supply_lots l ON l.id = e.lot_id
GROUP BY e.location_id, e.lot_id, l.item_id
"""
MISMATCHES = """
SELECT count(*) FROM stock_balances b
FULL JOIN (SELECT location_id, lot_id, SUM(delta) AS total FROM stock_ledger
           GROUP BY location_id, lot_id) s
  ON s.location_id = b.location_id AND s.lot_id = b.lot_id
WHERE b.on_hand IS DISTINCT FROM s.total
"""


def seed_catalog(app: Any) -> tuple[list[int], list[int]]:
    """The locations (a warehouse, then vehicle kits) and the lots; their ids."""
    from server.extensions import db
    from server.supplies.models import LocationKind, StockLocation, SupplyItem, SupplyLot

    with app.app_context():
        session = db.session
        places = [StockLocation(kind=LocationKind.WAREHOUSE if n == 0 else LocationKind.VEHICLE_KIT,
                                name=f"Bench location {n}") for n in range(LOCATIONS)]
        items = [SupplyItem(sku=f"BENCH-{n}", name=f"Bench item {n}", unit_of_measure="kit")
                 for n in range(ITEMS)]
        session.add_all(places + items)
        session.flush()
        today = datetime.now(UTC).date()
        lots = [SupplyLot(item_id=item.id, lot_number=f"L{item.id}-{n}",
                          expires_on=today + timedelta(days=90 * (n + 1)))
                for item in items for n in range(LOTS_PER_ITEM)]
        session.add_all(lots)
        session.commit()
        return [p.id for p in places], [lot.id for lot in lots]


def copy_entries(db: str, n: int, locations: list[int], lots: list[int]) -> float:
    """n ledger entries by COPY (receipts, hand-outs, doses, counts, write-offs); seconds."""
    rng = random.Random(11)
    reasons = (["receive"] * 2 + ["distribute"] * 5 + ["administer"] * 2
               + ["count_adjust", "expire", "damage"])
    start = datetime.now(UTC) - timedelta(days=365)
    t0 = time.perf_counter()
    with psycopg.connect(dsn(db)) as conn, conn.cursor() as cur, cur.copy(
            "COPY stock_ledger (id, location_id, lot_id, delta, reason, at) FROM STDIN") as copy:
        for i in range(n):
            reason = rng.choice(reasons)
            size = rng.randint(20, 60) if reason == "receive" else rng.randint(1, 4)
            delta = size if reason == "receive" else -size
            if reason == "count_adjust":
                delta = rng.randint(-2, 2)
            copy.write_row((uuid.uuid4(), rng.choice(locations), rng.choice(lots), delta, reason,
                            start + timedelta(seconds=i * 31)))
    return time.perf_counter() - t0


def build_balances(db: str) -> float:
    t0 = time.perf_counter()
    with psycopg.connect(dsn(db)) as conn:
        conn.execute(BALANCES_FROM_LEDGER)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE stock_ledger")
        conn.execute("VACUUM ANALYZE stock_balances")
    return time.perf_counter() - t0


def mismatches(db: str) -> int:
    with psycopg.connect(dsn(db)) as conn:
        row = conn.execute(MISMATCHES).fetchone()
        return int(row[0]) if row else -1


def move_sample_through_the_service(app: Any, locations: list[int], lots: list[int]) -> int:
    """post_entries on SAMPLE_PAIRS (location, lot) pairs, two entries each (one batch, so a
    pair's entries add up in one upsert); the entries posted."""
    from server.extensions import db
    from server.supplies.models import LedgerReason
    from server.supplies.services import NewEntry, post_entries

    rng = random.Random(5)
    pairs = {(rng.choice(locations), rng.choice(lots)) for _ in range(SAMPLE_PAIRS)}
    entries = [NewEntry(loc, lot, delta, LedgerReason.RECEIVE if delta > 0 else LedgerReason.DISTRIBUTE)
               for loc, lot in sorted(pairs) for delta in (rng.randint(5, 20), -rng.randint(1, 4))]
    with app.app_context():
        post_entries(db.session, entries, None)
        db.session.commit()
    return len(entries)


def time_service(app: Any, locations: list[int], runs: int) -> tuple[list[float], list[tuple[int, ...]]]:
    from server.extensions import db
    from server.supplies.services import stock_on_hand

    times, rows = [], []
    with app.app_context():
        stock_on_hand(db.session, locations)  # the statement compiled once, as in a worker
        db.session.rollback()
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = [tuple(r) for r in stock_on_hand(db.session, locations)]
            times.append(time.perf_counter() - t0)
            db.session.rollback()
    return times, rows


def time_baseline(db: str, runs: int) -> tuple[list[float], list[tuple[int, ...]]]:
    times, rows = [], []
    with psycopg.connect(dsn(db)) as conn:
        for _ in range(runs):
            t0 = time.perf_counter()
            rows = [tuple(r) for r in conn.execute(BASELINE_SQL).fetchall()]
            times.append(time.perf_counter() - t0)
    return times, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15, help="timed reads of each; medians count")
    args = parser.parse_args()

    with bench_database("stock") as db:
        app = app_for(db)
        locations, lots = seed_catalog(app)
        copied = copy_entries(db, args.entries, locations, lots)
        print(f"{args.entries:,} ledger entries copied in {copied:.1f} s "
              f"({args.entries / copied:,.0f} rows/s) over {len(locations)} locations, "
              f"{ITEMS} items, {len(lots)} lots", flush=True)
        built = build_balances(db)
        print(f"balances built from the ledger in {built:.1f} s (with VACUUM ANALYZE)", flush=True)
        if (wrong := mismatches(db)) != 0:
            raise SystemExit(f"{wrong} balances differ from the ledger's sums")
        posted = move_sample_through_the_service(app, locations, lots)
        if (wrong := mismatches(db)) != 0:
            raise SystemExit(f"after post_entries, {wrong} balances differ from the ledger's sums")
        print(f"post_entries: {posted} entries on a sample of pairs; every balance equals its "
              "ledger sum", flush=True)
        service, service_rows = time_service(app, locations, args.runs)
        baseline, baseline_rows = time_baseline(db, args.runs)
        if service_rows != baseline_rows:
            raise SystemExit("stock_on_hand and the ledger's sums disagree")

    seconds, baseline_seconds = statistics.median(service), statistics.median(baseline)
    print(f"stock_on_hand, {len(service_rows):,} rows for all locations: median {seconds * 1000:.1f} ms "
          f"(min {min(service) * 1000:.1f}, max {max(service) * 1000:.1f}) over {args.runs} runs")
    print(f"baseline, SUM over all {args.entries + posted:,} entries: median "
          f"{baseline_seconds * 1000:.1f} ms (min {min(baseline) * 1000:.1f}, "
          f"max {max(baseline) * 1000:.1f})")
    emit({"bench": "stock", "seconds": round(seconds, 4), "baseline_seconds": round(baseline_seconds, 4),
          "speedup": round(baseline_seconds / seconds, 1)})


if __name__ == "__main__":
    main()
