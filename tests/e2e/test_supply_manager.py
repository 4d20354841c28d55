"""The supply manager's day at the desk: a case of naloxone received by scanning its GS1 code,
sent on to two vehicle kits, the transfers seen in transit, a kit that handed out more than it
held found and counted, an alert acknowledged, and the reorder report downloaded as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MANAGER = "supplies"
NALOXONE_SKU = "NARCAN-4MG"
# A case as it arrives from the distributor: 24 twin-packs of nasal spray.
CASE = 24
SENT_TO_EACH_KIT = 4
# Far enough ahead that no near-expiry alert is raised for the new lot.
SHELF_LIFE = timedelta(days=540)


def gtin_with_check_digit(body13: str) -> str:
    """GS1 mod-10 check digit (weights 3, 1, 3... from the right) appended to 13 digits."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body13)))
    return body13 + str((10 - total % 10) % 10)


def select_by_value(page: Any, test_id: str, value: Any) -> None:
    """Pick an option once the list holding it has loaded."""
    page.locator(f'[data-testid="{test_id}"] option[value="{value}"]').wait_for(state="attached")
    page.get_by_test_id(test_id).select_option(str(value))


def lot_on_hand(server: live.LiveServer, token: str, location_id: int, lot_id: int) -> int:
    rows = server.api("GET", f"/supplies/stock?location_id={location_id}", token).json()
    return sum(r["on_hand"] for r in rows if r["lot_id"] == lot_id)


def a_tablet_hands_out_more_than_the_kit_holds(server: live.LiveServer, kit_id: int, lot_id: int,
                                               held: int) -> None:
    """What a responder's synced harm-reduction entries post (services.post_entries): the kit
    goes below zero on a lot, which opens a discrepancy."""
    from server.extensions import db
    from server.supplies.models import LedgerReason
    from server.supplies.services import NewEntry, post_entries

    with server.app.app_context():
        post_entries(db.session(), [NewEntry(location_id=kit_id, lot_id=lot_id, delta=-(held + 2),
                                             reason=LedgerReason.DISTRIBUTE)], None)
        db.session.commit()
        db.session.remove()


def the_alert_job_runs(server: live.LiveServer) -> None:
    from server.extensions import db
    from server.models_base import utcnow
    from server.supplies.services import compute_alerts

    with server.app.app_context():
        compute_alerts(db.session(), utcnow(), int(server.app.config["SUPPLY_NEAR_EXPIRY_DAYS"]))
        db.session.commit()
        db.session.remove()


def test_supply_manager_receives_a_case_by_scan_sends_it_to_two_kits_counts_and_downloads_the_reorder_report(
        server: live.LiveServer, page: Any, tmp_path: Path, screenshot: Callable[[Any, str], Path]) -> None:
    token = server.login(MANAGER)["access_token"]
    naloxone = next(i for i in server.api("GET", "/supplies/catalog", token).json()
                    if i["sku"] == NALOXONE_SKU)
    gtin = naloxone.get("gtin") or gtin_with_check_digit("0" + "3" + f"{naloxone['id']:011d}")
    r = server.api("PATCH", f"/supplies/catalog/{naloxone['id']}", token,
                   json={"gtin": gtin, "pack_size": CASE})
    assert r.status_code == 200, r.text
    locations = server.api("GET", "/supplies/locations", token).json()
    warehouse = next(loc for loc in locations if loc["kind"] == "warehouse")
    kit1, kit2 = (next(loc for loc in locations if loc["name"].startswith(sign))
                  for sign in ("HEART-1", "HEART-2"))
    lot = f"E2E{uuid.uuid4().hex[:6].upper()}"
    expires = date.today() + SHELF_LIFE

    live.sign_in(page, server.url, MANAGER)
    page.get_by_test_id("supply").wait_for()

    # Receive: the scanner types the code and presses Enter; GTIN, lot and expiry show at once.
    page.get_by_test_id("supply-tab-receive").click()
    select_by_value(page, "receive-location", warehouse["id"])
    scan = page.get_by_test_id("receive-scan")
    scan.fill(f"]d201{gtin}17{expires:%y%m%d}10{lot}")
    scan.press("Enter")
    assert page.get_by_test_id("scan-gtin").inner_text() == gtin
    assert page.get_by_test_id("scan-lot").inner_text() == lot
    assert page.get_by_test_id("scan-expiry").inner_text() == expires.isoformat()
    page.get_by_test_id("scan-item").filter(has_text=naloxone["name"]).wait_for()
    page.get_by_test_id("receive-quantity").fill("1")
    page.get_by_test_id("quantity-in-packs").click()
    page.get_by_test_id("receive-submit").click()
    page.get_by_test_id("receive-done").filter(has_text=lot).wait_for()
    screenshot(page, "supply-receive")
    stock = server.api("GET", f"/supplies/stock?location_id={warehouse['id']}", token).json()
    lot_id = next(s["lot_id"] for s in stock if s["lot_number"] == lot)
    assert lot_on_hand(server, token, warehouse["id"], lot_id) == CASE

    # A wrong check digit is caught before anything is sent.
    scan.fill(f"(01){gtin[:-1]}{(int(gtin[-1]) + 1) % 10}(10){lot}")
    scan.press("Enter")
    page.get_by_test_id("receive-scan-error").wait_for()

    # Transfers from the warehouse to two kits, this lot picked.
    page.get_by_test_id("supply-tab-transfers").click()
    for kit in (kit1, kit2):
        select_by_value(page, "transfer-from", warehouse["id"])
        select_by_value(page, "transfer-to", kit["id"])
        select_by_value(page, "line-item", naloxone["id"])
        select_by_value(page, "line-lot", lot_id)
        page.get_by_test_id("line-quantity").fill(str(SENT_TO_EACH_KIT))
        page.get_by_test_id("transfer-submit").click()
        page.get_by_test_id("transfer-done").filter(has_text=kit["name"]).wait_for()
    for kit in (kit1, kit2):
        page.locator(f'[data-testid="transfer-row"][data-to="{kit["id"]}"]').first.wait_for()
    screenshot(page, "supply-transfers")
    assert lot_on_hand(server, token, warehouse["id"], lot_id) == CASE - 2 * SENT_TO_EACH_KIT

    # HEART-2's tablet handed out more of one of its lots than the kit held.
    kit2_stock = server.api("GET", f"/supplies/stock?location_id={kit2['id']}", token).json()
    short = next(s for s in kit2_stock if s["item_id"] == naloxone["id"] and s["on_hand"] > 0)
    a_tablet_hands_out_more_than_the_kit_holds(server, kit2["id"], short["lot_id"], short["on_hand"])

    # The discrepancy is listed; "Count now" counts that kit, which settles it.
    page.get_by_test_id("supply-tab-discrepancies").click()
    found = page.locator(f'[data-testid="discrepancy"][data-lot-id="{short["lot_id"]}"]')
    found.wait_for()
    screenshot(page, "supply-discrepancies")
    found.get_by_test_id("discrepancy-count").click()
    line = page.locator(f'[data-testid="count-line"][data-lot="{short["lot_number"]}"]')
    line.wait_for()
    line.get_by_test_id("count-input").fill("0")
    page.get_by_test_id("count-submit").click()
    page.get_by_test_id("count-done").wait_for()
    assert lot_on_hand(server, token, kit2["id"], short["lot_id"]) == 0
    page.get_by_test_id("supply-tab-discrepancies").click()
    page.get_by_test_id("supply-discrepancies").wait_for()
    found.wait_for(state="detached")

    # A par level above what HEART-1's kit holds: the alert job raises low stock; acknowledged.
    page.get_by_test_id("supply-tab-par").click()
    select_by_value(page, "par-location", kit1["id"])
    par_row = page.locator(f'[data-testid="par-row"][data-item-id="{naloxone["id"]}"]')
    par_row.get_by_test_id("par-input").fill("500")
    par_row.get_by_test_id("par-save").click()
    par_row.get_by_test_id("par-saved").wait_for()
    the_alert_job_runs(server)
    page.get_by_test_id("supply-tab-alerts").click()
    low = page.get_by_test_id("alert-row").filter(has_text=kit1["name"]).filter(has_text=naloxone["name"])
    low.first.wait_for()
    screenshot(page, "supply-alerts")
    low.first.get_by_test_id("alert-ack").click()
    live.eventually(lambda: any(
        a["location_id"] == kit1["id"] and a["item_id"] == naloxone["id"] and a["state"] == "acknowledged"
        for a in server.api("GET", "/supplies/alerts", token).json()), what="the alert acknowledged")

    # Stock shows the below-par mark and the kit's new lot in transit is not on hand yet.
    page.get_by_test_id("supply-tab-stock").click()
    select_by_value(page, "stock-location", kit1["id"])
    item = page.locator(f'[data-testid="stock-item"][data-item-id="{naloxone["id"]}"]'
                        f'[data-location-id="{kit1["id"]}"]')
    item.get_by_test_id("mark-low").wait_for()
    screenshot(page, "supply-stock")

    # The reorder report, then its CSV fetched with the sign-in's token and saved as a file.
    page.get_by_test_id("supply-tab-reorder").click()
    page.get_by_test_id("reorder-row").filter(has_text=kit1["name"]).filter(
        has_text=naloxone["name"]).wait_for()
    screenshot(page, "supply-reorder")
    with page.expect_download() as download:
        page.get_by_test_id("reorder-download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("reorder-report-") and saved.suffix == ".csv"
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows, "the CSV has no rows"
    assert {"on_hand", "par", "used_30d", "suggested_order"} <= set(rows[0]), rows[0].keys()
    kit1_naloxone = [r for r in rows if naloxone["name"] in r.values() and kit1["name"] in r.values()]
    assert kit1_naloxone and int(kit1_naloxone[0]["par"]) == 500, kit1_naloxone


def test_a_supervisor_reads_stock_but_sees_no_supply_manager_tabs(server: live.LiveServer,
                                                                   page: Any) -> None:
    live.sign_in(page, server.url, "supervisor")
    page.goto(f"{server.url}/#/supply/stock")
    page.get_by_test_id("stock-table").wait_for()
    assert page.get_by_test_id("supply-tab-stock").count() == 1
    assert page.get_by_test_id("supply-tab-receive").count() == 0
    page.goto(f"{server.url}/#/supply/reorder")
    assert page.get_by_test_id("supply").get_attribute("data-tab") == "stock"
