"""The reorder report: on hand against par, a month's use, and what to order in whole packs,
as JSON and as a CSV download a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest

from server.auth.models import Role
from server.extensions import db
from server.models_base import utcnow
from server.supplies import services
from server.supplies.models import LedgerReason, ParLevel, SupplyItem
from server.supplies.reports import safe_cell, suggested_packs
from tests.fixtures.people import Session
from tests.fixtures.supplies import Stockroom


@pytest.fixture
def room(room: Stockroom) -> Stockroom:
    """The unit's stockroom, the kit at par 10 of naloxone and holding 6."""
    db.session.add(ParLevel(location_id=room.kit.id, item_id=room.naloxone.id, par=10))
    db.session.commit()
    room.move(room.kit, room.late_lot, 6, LedgerReason.RECEIVE)
    return room


@pytest.fixture
def manager(signed_in: Callable[..., Session]) -> Session:
    return signed_in(Role.SUPPLY_MANAGER)


def report_row(manager: Session, room: Stockroom) -> dict[str, int]:
    answer = manager.get("/api/v1/supplies/reorder-report")
    assert answer.status_code == 200, answer.json
    [row] = [r for r in answer.json if (r["location_id"], r["item_id"]) == (room.kit.id, room.naloxone.id)]
    return row


def csv_rows(answer: object) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))  # type: ignore[attr-defined]


@pytest.mark.parametrize(("par", "on_hand", "pack", "packs"), [
    (10, 6, 2, 2), (10, 5, 2, 3), (10, 10, 2, 0), (10, 14, 2, 0), (10, -3, 4, 4), (1, 0, 24, 1),
    (0, 0, 1, 0)])
def test_suggested_packs_bring_stock_up_to_par_in_whole_packs(
        par: int, on_hand: int, pack: int, packs: int) -> None:
    assert suggested_packs(par, on_hand, pack) == packs


def test_a_distribution_shows_as_use_and_raises_the_order(room: Stockroom, manager: Session) -> None:
    before = report_row(manager, room)
    assert (before["on_hand"], before["par"], before["used_30d"], before["suggested_order"],
            before["suggested_packs"]) == (6, 10, 0, 4, 2)
    room.move(room.kit, room.late_lot, -3, LedgerReason.DISTRIBUTE)
    after = report_row(manager, room)
    assert (after["on_hand"], after["used_30d"], after["suggested_order"],
            after["suggested_packs"]) == (3, 3, 8, 4)  # 7 short: 4 packs of 2

    download = manager.get("/api/v1/supplies/reorder-report", query_string={"format": "csv"})
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"reorder-report-{utcnow().date().isoformat()}.csv" in disposition
    [row] = [r for r in csv_rows(download) if r["item_id"] == str(room.naloxone.id)]
    assert (row["on_hand"], row["used_30d"], row["suggested_order"]) == ("3", "3", "8")


def test_use_counts_handouts_doses_and_write_offs_in_the_last_30_days_only(
        room: Stockroom, manager: Session) -> None:
    for reason in (LedgerReason.DISTRIBUTE, LedgerReason.ADMINISTER, LedgerReason.EXPIRE,
                   LedgerReason.DAMAGE, LedgerReason.COUNT_ADJUST, LedgerReason.TRANSFER_OUT):
        room.move(room.kit, room.late_lot, -1, reason)
    services.post_entries(db.session, [services.NewEntry(
        location_id=room.kit.id, lot_id=room.late_lot.id, delta=-1, reason=LedgerReason.DISTRIBUTE,
        at=utcnow() - timedelta(days=31), device_id=None, source_kind=None, source_id=None)], None)
    db.session.commit()
    assert report_row(manager, room)["used_30d"] == 4


def test_the_csv_asks_for_it_by_accept_header_too(room: Stockroom, manager: Session) -> None:
    answer = manager.client.get("/api/v1/supplies/reorder-report",
                                headers={**manager.headers, "Accept": "text/csv"})
    assert answer.mimetype == "text/csv"
    assert manager.get("/api/v1/supplies/reorder-report").mimetype == "application/json"


def test_item_names_that_look_like_formulas_are_made_inert_in_the_csv(
        room: Stockroom, manager: Session) -> None:
    item = db.session.get(SupplyItem, room.naloxone.id)
    assert item is not None
    item.name = '=HYPERLINK("http://evil.example","Naloxone")'
    item.sku = "@SUM(A1)"
    db.session.commit()
    download = manager.get("/api/v1/supplies/reorder-report", query_string={"format": "csv"})
    [row] = [r for r in csv_rows(download) if r["item_id"] == str(room.naloxone.id)]
    assert row["item_name"] == "'" + item.name
    assert row["sku"] == "'@SUM(A1)"
    assert item.name in {r["item_name"] for r in manager.get("/api/v1/supplies/reorder-report").json}


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("Naloxone", "Naloxone"), ("", ""), (-3, -3)])
def test_a_cell_is_escaped_only_when_it_is_text_starting_a_formula(value: object, cell: object) -> None:
    assert safe_cell(value) == cell
