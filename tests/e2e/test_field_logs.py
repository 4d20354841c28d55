"""A naloxone reversal logged without signal: a responder gives one intranasal dose (breathing
restored) and hands out two naloxone kits on a call, clears it, finds the next call held back
until the post-call survey is answered, answers it, reconnects; the supply manager's stock and
reorder report, and the tablet's pulled kit, show the dose and the kits gone from the lots used
first."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

UNIT = "HEART-1"


# A fresh lot of each received into the kit, so there is stock to give whatever the demo city
# left in it; the entries still take from the lot that expires first.
TOP_UP = 10
TOP_UP_EXPIRES_IN = timedelta(days=400)


@pytest.fixture(scope="module")
def stocked_kit(server: live.LiveServer) -> tuple[int, int, int]:
    """The unit's kit with naloxone doses and naloxone kits in stock: (kit, naloxone, naloxone kit)."""
    token = server.login("supplies")["access_token"]
    unit_id = server.scalar("SELECT id FROM units WHERE call_sign = :sign", sign=UNIT)
    kit = next(loc["id"] for loc in server.api("GET", "/supplies/locations", token).json()
               if loc["kind"] == "vehicle_kit" and loc["unit_id"] == unit_id)
    catalog = server.api("GET", "/supplies/catalog", token).json()
    items = [next(i["id"] for i in catalog if i["category"] == c) for c in ("naloxone", "naloxone_kit")]
    expires_on = (datetime.now(UTC).date() + TOP_UP_EXPIRES_IN).isoformat()
    for item in items:
        r = server.api("POST", "/supplies/receipts", token, json={
            "location_id": kit, "item_id": item, "quantity": TOP_UP, "quantity_in": "units",
            "lot_number": f"E2E-{item}-TOPUP", "expires_on": expires_on})
        assert r.status_code == 201, r.text
    return kit, items[0], items[1]


def stock_of(server: live.LiveServer, token: str, location: int, item: int) -> dict[int, int]:
    """The supply manager's stock of each of the item's lots at the location (lot id -> on hand;
    a lot at zero is left out)."""
    return {lot: n for lot, (n, _) in lots_of(server, token, location, item).items() if n}


def lots_of(server: live.LiveServer, token: str, location: int,
            item: int) -> dict[int, tuple[int, str | None]]:
    """Lot id -> (on hand, expiry date) of the item at the location."""
    r = server.api("GET", "/supplies/stock", token, params={"location_id": location, "item_id": item})
    r.raise_for_status()
    return {row["lot_id"]: (row["on_hand"], row["expires_on"]) for row in r.json()}


def first_to_use(lots: dict[int, tuple[int, str | None]]) -> int:
    """The lot in stock and in date that expires first (FEFO)."""
    today = datetime.now(UTC).date().isoformat()
    usable = [(expires or "9999-12-31", lot) for lot, (n, expires) in lots.items()
              if n > 0 and (expires is None or expires >= today)]
    return min(usable)[1]


def taken(stock: dict[int, int], lot: int, n: int) -> dict[int, int]:
    """The stock once `n` are taken from `lot` (a lot at zero left out)."""
    after = {**stock, lot: stock[lot] - n}
    return {k: v for k, v in after.items() if v}


def reorder_of(server: live.LiveServer, token: str, location: int, item: int) -> tuple[int, int]:
    """The reorder report's on hand and 30-day use of the item at the location."""
    r = server.api("GET", "/supplies/reorder-report", token)
    r.raise_for_status()
    row = next(x for x in r.json() if x["location_id"] == location and x["item_id"] == item)
    return row["on_hand"], row["used_30d"]


def wait_tablet_on_hand(page: Any, item: int, expected: int) -> None:
    page.goto("/#/kit")
    page.wait_for_function(
        "([item, n]) => Number(document.querySelector("
        "`[data-testid=kit-item][data-item-id=\"${item}\"]`)?.getAttribute('data-on-hand')) === n",
        arg=[item, expected])


def tap(page: Any, status: str) -> None:
    page.get_by_test_id(f"status-{status}").click()
    page.wait_for_function(f"document.querySelector('[data-testid=status-{status}]')"
                           ".getAttribute('aria-pressed') === 'true'")


def log_naloxone_reversal(page: Any, call_id: str) -> None:
    """One intranasal dose, breathing restored; two naloxone kits handed out."""
    live.open_call(page, call_id)
    page.get_by_test_id("call-hr-open").click()
    page.locator(f'[data-testid="hr-call"][data-call-id="{call_id}"]').wait_for()
    page.get_by_test_id("hr-count-naloxone_administered-plus").click()
    page.get_by_test_id("hr-route-intranasal").click()
    page.get_by_test_id("hr-response-breathing_restored").click()
    page.get_by_test_id("hr-count-naloxone_kit-plus").click()
    page.get_by_test_id("hr-count-naloxone_kit-plus").click()
    page.get_by_test_id("hr-save").click()
    page.get_by_test_id("hr-saved").wait_for()
    entries = page.get_by_test_id("hr-entry")
    entries.nth(1).wait_for()
    got = sorted((e.get_attribute("data-category"), e.get_attribute("data-quantity"))
                 for e in entries.all())
    assert got == [("naloxone_administered", "1"), ("naloxone_kit", "2")], got


def test_offline_naloxone_reversal_survey_gate_and_stock(
        server: live.LiveServer, context: Any, page: Any, open_calls: Callable[[str], str],
        stocked_kit: tuple[int, int, int], screenshot: Callable[[Any, str], Any]) -> None:
    call_id, next_call = open_calls(UNIT), open_calls(UNIT)
    kit, naloxone, naloxone_kit = stocked_kit
    manager = server.login("supplies")["access_token"]
    doses_before = stock_of(server, manager, kit, naloxone)
    kits_before = stock_of(server, manager, kit, naloxone_kit)
    report_before = reorder_of(server, manager, kit, naloxone), reorder_of(server, manager, kit, naloxone_kit)
    first_dose_lot = first_to_use(lots_of(server, manager, kit, naloxone))
    first_kit_lot = first_to_use(lots_of(server, manager, kit, naloxone_kit))

    live.sign_in(page, server.url, "clinician1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]').wait_for()
    # The pulled kit is the ledger's.
    wait_tablet_on_hand(page, naloxone, sum(doses_before.values()))
    wait_tablet_on_hand(page, naloxone_kit, sum(kits_before.values()))
    fefo = page.locator(f'[data-testid="kit-item"][data-item-id="{naloxone}"] [data-testid="kit-fefo"]')
    assert fefo.get_attribute("data-lot-id") == str(first_dose_lot)

    context.set_offline(True)
    live.open_call(page, call_id)
    tap(page, "en_route")
    tap(page, "on_scene")
    log_naloxone_reversal(page, call_id)
    screenshot(page, "offline-harm-reduction-on-call")
    # Offline, the kit already counts what this tablet gave.
    wait_tablet_on_hand(page, naloxone, sum(doses_before.values()) - 1)
    wait_tablet_on_hand(page, naloxone_kit, sum(kits_before.values()) - 2)
    page.get_by_test_id("kit-unsent").wait_for()
    screenshot(page, "offline-kit-after-reversal")

    live.open_call(page, call_id)
    page.get_by_test_id("status-cleared").click()
    page.get_by_test_id("confirm-cleared-yes").click()
    page.locator(f'[data-testid="survey"][data-call-id="{call_id}"]').wait_for()

    # The next call waits for the survey: its response taps are held back, with the way to it.
    live.open_call(page, next_call)
    page.get_by_test_id("survey-gate").wait_for()
    assert page.get_by_test_id("status-en_route").is_disabled()
    assert page.get_by_test_id("status-on_scene").is_disabled()
    page.get_by_test_id("survey-gate-open").click()
    page.locator(f'[data-testid="survey"][data-call-id="{call_id}"]').wait_for()
    page.get_by_test_id("survey-felt-safe-yes").click()
    page.get_by_test_id("survey-police-no").click()
    page.get_by_test_id("survey-debrief-no").click()
    screenshot(page, "offline-post-call-survey")
    page.get_by_test_id("survey-save").click()
    page.get_by_test_id("call-list").wait_for()
    live.open_call(page, next_call)
    assert page.get_by_test_id("survey-gate").count() == 0
    assert page.get_by_test_id("status-en_route").is_enabled()
    # Six entries wait: two taps, two harm-reduction entries, the clearing tap and the survey.
    assert live.unsent(page) == 6

    context.set_offline(False)
    live.wait_synced(page)

    cid = uuid.UUID(call_id).hex
    entries = server.rows("SELECT category, quantity, route, response, lot_id FROM harm_reduction_entries "
                          "WHERE call_id = :c ORDER BY category", c=cid)
    assert [tuple(e) for e in entries] == [
        ("naloxone_administered", 1, "intranasal", "breathing_restored", first_dose_lot),
        ("naloxone_kit", 2, None, None, first_kit_lot)]
    survey = server.rows("SELECT felt_safe, police_requested, debrief_wanted, skipped_reason "
                         "FROM post_call_surveys WHERE call_id = :c", c=cid)
    assert [tuple(row) for row in survey] == [("yes", "no", "no", None)]
    # The ledger moved the kit by one dose and two kits, from the lots used first (a new sign-in:
    # this server's access tokens live seconds).
    manager = server.login("supplies")["access_token"]
    assert stock_of(server, manager, kit, naloxone) == taken(doses_before, first_dose_lot, 1)
    assert stock_of(server, manager, kit, naloxone_kit) == taken(kits_before, first_kit_lot, 2)
    # The reorder report: one dose and two kits less on hand, and as much more used in 30 days.
    (doses_held, doses_used), (kits_held, kits_used) = report_before
    assert reorder_of(server, manager, kit, naloxone) == (doses_held - 1, doses_used + 1)
    assert reorder_of(server, manager, kit, naloxone_kit) == (kits_held - 2, kits_used + 2)
    # The tablet's pulled kit agrees, with nothing of its own left to subtract.
    wait_tablet_on_hand(page, naloxone, sum(doses_before.values()) - 1)
    wait_tablet_on_hand(page, naloxone_kit, sum(kits_before.values()) - 2)
    assert page.get_by_test_id("kit-unsent").count() == 0


def test_transfer_received_and_kit_counted_by_scanning_offline(
        server: live.LiveServer, context: Any, page: Any, stocked_kit: tuple[int, int, int],
        screenshot: Callable[[Any, str], Any]) -> None:
    """Three naloxone kits sent from the warehouse are received on the tablet offline, and a count
    of the kit finds one dose more than expected by scanning its lot's GS1 code."""
    kit, naloxone, naloxone_kit = stocked_kit
    manager = server.login("supplies")["access_token"]
    warehouse = next(loc["id"] for loc in server.api("GET", "/supplies/locations", manager).json()
                     if loc["kind"] == "warehouse")
    r = server.api("POST", "/supplies/receipts", manager, json={
        "location_id": warehouse, "item_id": naloxone_kit, "quantity": 3, "quantity_in": "units",
        "lot_number": "E2E-WAREHOUSE-KITS",
        "expires_on": (datetime.now(UTC).date() + TOP_UP_EXPIRES_IN).isoformat()})
    assert r.status_code == 201, r.text
    sent = server.api("POST", "/supplies/transfers", manager, json={
        "from_location_id": warehouse, "to_location_id": kit,
        "lines": [{"item_id": naloxone_kit, "lot_id": r.json()["lot_id"], "quantity": 3}]})
    assert sent.status_code == 201, sent.text
    transfer = sent.json()["id"]
    doses_before = stock_of(server, manager, kit, naloxone)
    kits_before = stock_of(server, manager, kit, naloxone_kit)
    # The GS1 code on the doses of the lot received into the kit: GTIN, expiry (YYMMDD), lot.
    catalog = server.api("GET", "/supplies/catalog", manager).json()
    gtin = next(i["gtin"] for i in catalog if i["id"] == naloxone)
    r = server.api("GET", "/supplies/stock", manager, params={"location_id": kit, "item_id": naloxone})
    topup = next(row for row in r.json() if row["lot_number"] == f"E2E-{naloxone}-TOPUP")
    topup_lot, on_hand = topup["lot_id"], topup["on_hand"]
    yymmdd = topup["expires_on"][2:].replace("-", "")
    code = f"(01){gtin}(17){yymmdd}(10){topup['lot_number']}"

    live.sign_in(page, server.url, "peer1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.goto("/#/kit")
    row = page.locator(f'[data-testid="kit-transfer"][data-transfer-id="{transfer}"]')
    row.wait_for()

    context.set_offline(True)
    row.get_by_test_id("kit-transfer-receive").click()
    row.get_by_test_id("kit-transfer-received").wait_for()
    wait_tablet_on_hand(page, naloxone_kit, sum(kits_before.values()) + 3)

    page.get_by_test_id("kit-count-start").click()
    line = page.locator(f'[data-testid="kit-count-line"][data-lot-id="{topup_lot}"]')
    assert line.get_attribute("data-counted") == str(on_hand)
    scan = page.get_by_test_id("kit-count-scan")
    scan.fill(code)
    scan.press("Enter")
    page.wait_for_function(
        "([lot, n]) => document.querySelector("
        "`[data-testid=kit-count-line][data-lot-id=\"${lot}\"]`)?.getAttribute('data-counted') === n",
        arg=[str(topup_lot), str(on_hand + 1)])
    scan.fill("(01)00000000000000")
    scan.press("Enter")
    page.get_by_test_id("kit-count-scan-error").wait_for()
    screenshot(page, "offline-kit-count-by-scanning")
    page.get_by_test_id("kit-count-save").click()
    page.get_by_test_id("kit-count-start").wait_for()
    wait_tablet_on_hand(page, naloxone, sum(doses_before.values()) + 1)

    context.set_offline(False)
    live.wait_synced(page)
    manager = server.login("supplies")["access_token"]
    assert server.scalar("SELECT state FROM supply_transfers WHERE id = :t",
                         t=uuid.UUID(transfer).hex) == "received"
    assert stock_of(server, manager, kit, naloxone) == {**doses_before, topup_lot: on_hand + 1}
    kits_after = stock_of(server, manager, kit, naloxone_kit)
    assert sum(kits_after.values()) == sum(kits_before.values()) + 3
    # Received, the transfer leaves the tablet (others sent to the kit, by the demo or another
    # test on this server, may still be on their way).
    page.goto("/#/kit")
    page.get_by_test_id("kit-item").first.wait_for()
    page.locator(f'[data-testid="kit-transfer"][data-transfer-id="{transfer}"]').wait_for(
        state="detached")
