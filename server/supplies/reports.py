"""The reorder report: per location and item, stock on hand, the par level, what was used in
the last 30 days and what to order (whole packs), as JSON or as a CSV download."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.supplies import services
from server.supplies.models import (
    LedgerReason,
    ParLevel,
    StockLedgerEntry,
    StockLocation,
    SupplyItem,
    SupplyLot,
)

# The window of use the report shows: a month, the usual reorder cycle.
USAGE_WINDOW: Final = timedelta(days=30)
# Stock that left for good: handed out, given, or written off (transfers and counts only move
# or correct it).
USAGE_REASONS: Final = frozenset({LedgerReason.DISTRIBUTE, LedgerReason.ADMINISTER,
                                  LedgerReason.EXPIRE, LedgerReason.DAMAGE})
COLUMNS: Final = ("location_id", "location_name", "item_id", "item_name", "sku", "unit_of_measure",
                  "pack_size", "on_hand", "par", "used_30d", "suggested_order", "suggested_packs")
# A spreadsheet reads a cell starting with these as a formula (CSV injection): such text is
# prefixed with a quote, as OWASP advises.
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def suggested_packs(par: int, on_hand: int, pack_size: int) -> int:
    """Packs that bring stock up to par: max(0, par - on_hand), rounded up to whole packs."""
    return math.ceil(max(0, par - on_hand) / pack_size)


def _usage(session: Session, since: datetime) -> dict[tuple[int, int], int]:
    rows = session.execute(
        sa.select(StockLedgerEntry.location_id, SupplyLot.item_id,
                  sa.func.sum(-StockLedgerEntry.delta))
        .join(SupplyLot, SupplyLot.id == StockLedgerEntry.lot_id)
        .where(StockLedgerEntry.reason.in_(USAGE_REASONS), StockLedgerEntry.at >= since)
        .group_by(StockLedgerEntry.location_id, SupplyLot.item_id))
    return {(loc, item): int(used) for loc, item, used in rows}


def reorder_rows(session: Session, now: datetime) -> list[dict[str, Any]]:
    """A row per (location, item) with a par level or with stock, by location then item."""
    places = {p.id: p for p in session.scalars(sa.select(StockLocation))}
    items = {i.id: i for i in session.scalars(sa.select(SupplyItem))}
    on_hand: dict[tuple[int, int], int] = {}
    for row in services.stock_on_hand(session, list(places)):
        key = (row.location_id, row.item_id)
        on_hand[key] = on_hand.get(key, 0) + row.on_hand
    pars = {(p.location_id, p.item_id): p.par for p in session.scalars(sa.select(ParLevel))}
    used = _usage(session, now - USAGE_WINDOW)
    rows = []
    for loc, item_id in set(on_hand) | set(pars):
        item, held, par = items[item_id], on_hand.get((loc, item_id), 0), pars.get((loc, item_id), 0)
        packs = suggested_packs(par, held, item.pack_size)
        rows.append({"location_id": loc, "location_name": places[loc].name, "item_id": item_id,
                     "item_name": item.name, "sku": item.sku, "unit_of_measure": item.unit_of_measure,
                     "pack_size": item.pack_size, "on_hand": held, "par": par,
                     "used_30d": used.get((loc, item_id), 0),
                     "suggested_order": packs * item.pack_size, "suggested_packs": packs})
    return sorted(rows, key=lambda r: (r["location_name"], r["item_name"], r["item_id"]))


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, made inert; numbers as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(row[c]) for c in COLUMNS])
    return out.getvalue()
