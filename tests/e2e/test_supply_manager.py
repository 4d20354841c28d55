"""The supply manager's day at the desk: a case of naloxone received by scanning its GS1 code,
sent on to two vehicle kits, the transfers seen in transit, a kit that handed out more than it
held found and counted, an alert acknowledged, and the reorder report downloaded as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

MANAGER = "supplies"
NALOXONE_SKU = "NARCAN-4MG"
# A case as it arrives from the distributor, in packs (the catalog says how many devices a pack holds).
CASE_PACKS = 12
SENT_TO_EACH_KIT = 4
# GS1's own example GTIN: check digit right, in no catalog here.
UNKNOWN_GTIN = "09506000134352"
# A par level this far above what the warehouse holds makes it low on stock.
PAR_ABOVE_STOCK = 100
# Far enough ahead that no near-expiry alert is raised for the new lot.
SHELF_LIFE = timedelta(days=540)


def select_by_value(page: Any, test_id: str, value: Any) -> None:
    """Pick an option once the list holding it has loaded."""
    page.locator(f'[data-testid="{test_id}"] option[value="{value}"]').wait_for(state="attached")
    page.get_by_test_id(test_id).select_option(str(value))


class ManagerApi:
    """The supply manager's REST calls from the test, refreshing the short-lived access token
    (ACCESS_SECONDS) as the app does."""

    def __init__(self, server: live.LiveServer) -> None:
        self.server = server
        tokens = server.login(MANAGER)
        self.access, self.refresh = tokens["access_token"], tokens["refresh_token"]

    def __call__(self, method: str, path: str, **kw: Any) -> Any:
        r = self.server.api(method, path, self.access, **kw)
        if r.status_code == 401:
            fresh = self.server.api("POST", "/auth/refresh", self.refresh)
            fresh.raise_for_status()
            self.access, self.refresh = fresh.json()["access_token"], fresh.json()["refresh_token"]
            r = self.server.api(method, path, self.access, **kw)
        assert r.ok, f"{method} {path}: {r.status_code} {r.text}"
        return r.json()

    def lot_on_hand(self, location_id: int, lot_id: int) -> int:
        rows = self("GET", f"/supplies/stock?location_id={location_id}")
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
    api = ManagerApi(server)
    naloxone = next(i for i in api("GET", "/supplies/catalog") if i["sku"] == NALOXONE_SKU)
    gtin = naloxone["gtin"]
    case = CASE_PACKS * naloxone["pack_size"]
    locations = api("GET", "/supplies/locations")
    warehouse = next(loc for loc in locations if loc["kind"] == "warehouse")
    kit1, kit2 = (next(loc for loc in locations if loc["name"].startswith(sign))
                  for sign in ("HEART-1", "HEART-2"))
    lot = f"E2E{uuid.uuid4().hex[:6].upper()}"
    expires = datetime.now(UTC).date() + SHELF_LIFE

    live.sign_in(page, server.url, MANAGER)
    page.get_by_test_id("supply").wait_for()

    # Receive: the scanner types the DataMatrix's code as keys (the group separator after the lot
    # as Ctrl+]) and presses Enter; GTIN, lot and expiry show at once.
    page.get_by_test_id("supply-tab-receive").click()
    select_by_value(page, "receive-location", warehouse["id"])
    scan = page.get_by_test_id("receive-scan")
    scan.press_sequentially(f"]d201{gtin}10{lot}")
    scan.press("Control+BracketRight")
    scan.press_sequentially(f"17{expires:%y%m%d}")
    scan.press("Enter")
    assert page.get_by_test_id("scan-gtin").inner_text() == gtin
    assert page.get_by_test_id("scan-lot").inner_text() == lot
    assert page.get_by_test_id("scan-expiry").inner_text() == expires.isoformat()
    page.get_by_test_id("scan-item").filter(has_text=naloxone["name"]).wait_for()
    page.get_by_test_id("receive-quantity").fill(str(CASE_PACKS))
    page.get_by_test_id("quantity-in-packs").click()
    page.get_by_test_id("receive-submit").click()
    page.get_by_test_id("receive-done").filter(has_text=lot).wait_for()
    screenshot(page, "supply-receive")
    stock = api("GET", f"/supplies/stock?location_id={warehouse['id']}")
    lot_id = next(s["lot_id"] for s in stock if s["lot_number"] == lot)
    assert api.lot_on_hand(warehouse["id"], lot_id) == case

    # A wrong check digit is caught before anything is sent.
    scan.fill(f"(01){gtin[:-1]}{(int(gtin[-1]) + 1) % 10}(10){lot}")
    scan.press("Enter")
    page.get_by_test_id("receive-scan-error").wait_for()
    # A well-formed GTIN the catalog does not know: the server refuses it, named beside the field.
    scan.fill(f"(01){UNKNOWN_GTIN}(10){lot}")
    scan.press("Enter")
    assert not page.get_by_test_id("receive-scan-error").count()
    page.get_by_test_id("receive-submit").click()
    page.get_by_test_id("receive-scan-error").wait_for()
    assert api.lot_on_hand(warehouse["id"], lot_id) == case

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
    assert api.lot_on_hand(warehouse["id"], lot_id) == case - 2 * SENT_TO_EACH_KIT

    # HEART-2's crew receives theirs (the desk marks it received); HEART-1's stays in transit.
    page.locator(f'[data-testid="transfer-row"][data-to="{kit2["id"]}"]').get_by_test_id(
        "transfer-receive").click()
    page.locator(f'[data-testid="transfer-row"][data-to="{kit2["id"]}"]').wait_for(state="detached")
    page.locator(f'[data-testid="transfer-row"][data-to="{kit1["id"]}"]').first.wait_for()
    assert api.lot_on_hand(kit2["id"], lot_id) == SENT_TO_EACH_KIT

    # HEART-2's tablet then handed out more of the lot than the kit held.
    a_tablet_hands_out_more_than_the_kit_holds(server, kit2["id"], lot_id, SENT_TO_EACH_KIT)
    assert api.lot_on_hand(kit2["id"], lot_id) < 0

    # The discrepancy is listed, with "Count now" leading to a count of that kit; resolved with a note.
    page.get_by_test_id("supply-tab-discrepancies").click()
    found = page.locator(f'[data-testid="discrepancy"][data-lot-id="{lot_id}"]')
    found.wait_for()
    screenshot(page, "supply-discrepancies")
    assert found.get_by_test_id("discrepancy-count").get_attribute("href") == f"#/supply/count/{kit2['id']}"
    found.get_by_test_id("discrepancy-resolve").click()
    found.get_by_test_id("error-note").wait_for()  # a note is required
    found.get_by_test_id("discrepancy-note").fill("Two kits handed out before the transfer was booked")
    found.get_by_test_id("discrepancy-resolve").click()
    found.wait_for(state="detached")
    assert not [d for d in api("GET", "/supplies/discrepancies?state=open") if d["lot_id"] == lot_id]

    # Count the kit: the lot is found empty, and the count corrects the stock to it.
    page.goto(f"{server.url}/#/supply/count/{kit2['id']}")
    line = page.locator(f'[data-testid="count-line"][data-lot="{lot}"]')
    line.wait_for()
    line.get_by_test_id("count-input").fill("0")
    page.get_by_test_id("count-submit").click()
    page.get_by_test_id("count-done").wait_for()
    screenshot(page, "supply-count")
    assert api.lot_on_hand(kit2["id"], lot_id) == 0

    # A par level above what the warehouse holds: the alert job raises low stock; acknowledged.
    page.get_by_test_id("supply-tab-par").click()
    select_by_value(page, "par-location", warehouse["id"])
    par_row = page.locator(f'[data-testid="par-row"][data-item-id="{naloxone["id"]}"]')
    held = sum(r["on_hand"] for r in api(
        "GET", f"/supplies/stock?location_id={warehouse['id']}&item_id={naloxone['id']}"))
    par = held + PAR_ABOVE_STOCK
    par_row.get_by_test_id("par-input").fill(str(par))
    par_row.get_by_test_id("par-save").click()
    par_row.get_by_test_id("par-saved").wait_for()
    the_alert_job_runs(server)
    page.get_by_test_id("supply-tab-alerts").click()
    low = page.locator('[data-testid="alert-row"][data-kind="low_stock"]').filter(
        has_text=warehouse["name"]).filter(has_text=naloxone["name"])
    low.first.wait_for()
    screenshot(page, "supply-alerts")
    low.first.get_by_test_id("alert-ack").click()
    live.eventually(lambda: any(
        a["location_id"] == warehouse["id"] and a["item_id"] == naloxone["id"]
        and a["kind"] == "low_stock" and a["state"] == "acknowledged"
        for a in api("GET", "/supplies/alerts")), what="the alert acknowledged")

    # Stock shows the lot with what is left after the two transfers, marked below par.
    page.get_by_test_id("supply-tab-stock").click()
    select_by_value(page, "stock-location", warehouse["id"])
    item = page.locator(f'[data-testid="stock-item"][data-item-id="{naloxone["id"]}"]'
                        f'[data-location-id="{warehouse["id"]}"]')
    item.get_by_test_id("mark-low").wait_for()
    lot_line = item.locator(f'[data-testid="stock-lot"][data-lot="{lot}"]')
    assert lot_line.get_by_test_id("stock-lot-on-hand").inner_text() == str(case - 2 * SENT_TO_EACH_KIT)
    screenshot(page, "supply-stock")

    # Its stock card: received, then sent twice, with the balance after each move and who made it.
    item.get_by_test_id("stock-card-link").click()
    page.get_by_test_id("card-table").wait_for()
    moves = page.get_by_test_id("card-entry").filter(has_text=lot)
    assert moves.count() == 3
    reasons = [moves.nth(i).get_attribute("data-reason") for i in range(3)]
    assert sorted(reasons) == ["receive", "transfer_out", "transfer_out"], reasons
    assert "Jamie Fox" in moves.first.inner_text()
    screenshot(page, "supply-card")

    # The reorder report, then its CSV fetched with the sign-in's token and saved as a file.
    page.get_by_test_id("supply-tab-reorder").click()
    page.get_by_test_id("reorder-row").filter(has_text=warehouse["name"]).filter(
        has_text=naloxone["name"]).wait_for()
    screenshot(page, "supply-reorder")
    with page.expect_download() as download:
        page.get_by_test_id("reorder-download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("reorder-report-")
    assert saved.suffix == ".csv"
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows, "the CSV has no rows"
    assert {"on_hand", "par", "used_30d", "suggested_order"} <= set(rows[0]), rows[0].keys()
    ours = [r for r in rows
            if r["item_name"] == naloxone["name"] and r["location_name"] == warehouse["name"]]
    assert len(ours) == 1, ours
    assert int(ours[0]["par"]) == par, ours
    assert int(ours[0]["suggested_order"]) >= par - int(ours[0]["on_hand"]), ours


def test_a_supervisor_reads_stock_but_sees_no_supply_manager_tabs(server: live.LiveServer,
                                                                   page: Any) -> None:
    live.sign_in(page, server.url, "supervisor")
    page.goto(f"{server.url}/#/supply/stock")
    page.get_by_test_id("stock-table").wait_for()
    assert page.get_by_test_id("supply-tab-stock").count() == 1
    assert page.get_by_test_id("supply-tab-receive").count() == 0
    page.goto(f"{server.url}/#/supply/reorder")
    assert page.get_by_test_id("supply").get_attribute("data-tab") == "stock"


@pytest.mark.parametrize(("lang", "theme"), [("en", "light"), ("es", "dark")])
def test_every_supply_tab_passes_axe_in_both_languages_and_themes(
        server: live.LiveServer, page: Any, lang: str, theme: str,
        screenshot: Callable[[Any, str], Path]) -> None:
    from tests.e2e.test_accessibility import axe_problems

    page.goto("/")
    page.get_by_test_id("login-form").wait_for()
    page.get_by_test_id(f"lang-{lang}").click()
    page.get_by_test_id(f"theme-{theme}").click()
    live.sign_in(page, server.url, MANAGER)
    page.get_by_test_id("supply").wait_for()
    problems: dict[str, list[str]] = {}
    for tab in ("stock", "receive", "transfers", "count", "discrepancies", "alerts", "par",
                "reorder"):
        page.get_by_test_id(f"supply-tab-{tab}").click()
        page.locator(f'[data-testid="supply"][data-tab="{tab}"]').wait_for()
        page.wait_for_timeout(300)  # the tab's first answer drawn
        if found := axe_problems(page):
            problems[tab] = found
        screenshot(page, f"supply-{tab}-{lang}-{theme}")
    assert not problems, problems


#: A desk, a landscape tablet and a portrait one (the smallest the desk screens are made for).
DESK_SIZES = {"desk": (1440, 900), "tablet-landscape": (1280, 800), "tablet-portrait": (800, 1280)}
# A touch target the supply manager taps with a finger on the warehouse tablet.
MIN_TARGET_PX = 44
TARGETS = "button, select, input:not([type=checkbox]), [data-testid^='supply-tab-']"


@pytest.mark.parametrize("size", list(DESK_SIZES))
def test_supply_tabs_fit_the_screen_and_keep_44px_targets(
        server: live.LiveServer, new_context: Callable[..., Any], size: str,
        screenshot: Callable[[Any, str], Path]) -> None:
    width, height = DESK_SIZES[size]
    page = new_context(viewport={"width": width, "height": height}).new_page()
    live.sign_in(page, server.url, MANAGER)
    page.get_by_test_id("supply").wait_for()
    for tab in ("stock", "receive", "transfers", "count", "par", "reorder"):
        page.get_by_test_id(f"supply-tab-{tab}").click()
        page.locator(f'[data-testid="supply"][data-tab="{tab}"]').wait_for()
        # Wide tables scroll inside their frame; the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (size, tab)
        small = page.evaluate(
            """([sel, min]) => [...document.querySelectorAll(sel)]
                .filter((el) => el.closest('.supply') && el.getClientRects().length)
                .map((el) => [el.dataset.testid || el.id || el.tagName, el.getBoundingClientRect().height])
                .filter(([, h]) => h < min)""", [TARGETS, MIN_TARGET_PX])
        assert not small, (size, tab, small)
        screenshot(page, f"supply-{tab}-{size}")
