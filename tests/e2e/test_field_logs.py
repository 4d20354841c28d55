"""A naloxone reversal logged without signal: a responder gives one intranasal dose (breathing
restored) and hands out two naloxone kits on a call, clears it, finds the next call held back
until the post-call survey is answered, answers it, reconnects; the unit's kit stock and the
supply manager's reorder report show the dose and the kits gone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live
from tests.e2e.test_offline_shift import open_call

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

UNIT = "HEART-1"


def kit_location(server: live.LiveServer) -> int:
    return int(server.scalar(
        "SELECT l.id FROM stock_locations l JOIN units u ON u.id = l.unit_id "
        "WHERE u.call_sign = :sign AND l.kind = 'vehicle_kit'", sign=UNIT))


def item_of(server: live.LiveServer, token: str, category: str) -> int:
    items = server.api("GET", "/supplies/catalog", token).json()
    return int(next(i["id"] for i in items if i.get("category") == category))


def stock_of(server: live.LiveServer, token: str, location: int, item: int) -> int:
    r = server.api("GET", "/supplies/stock", token,
                   params={"location_id": location, "item_id": item})
    r.raise_for_status()
    return sum(int(row["on_hand"]) for row in r.json())


def reorder_row(server: live.LiveServer, token: str, location: int, item: int) -> dict[str, Any]:
    r = server.api("GET", "/supplies/reorder-report", token)
    r.raise_for_status()
    rows = r.json()
    rows = rows.get("rows", rows) if isinstance(rows, dict) else rows
    return dict(next(row for row in rows if row["location_id"] == location and row["item_id"] == item))


def kit_state(server: live.LiveServer, token: str, location: int,
              items: list[int]) -> list[tuple[int, int, int]]:
    """Per item: the kit's stock on hand, and the reorder report's on hand and 30-day use."""
    out = []
    for item in items:
        row = reorder_row(server, token, location, item)
        out.append((stock_of(server, token, location, item), int(row["on_hand"]), int(row["used_30d"])))
    return out


def tablet_on_hand(page: Any, item: int) -> int:
    page.goto("/#/kit")
    row = page.locator(f'[data-testid="kit-item"][data-item-id="{item}"]')
    row.wait_for()
    return int(row.get_attribute("data-on-hand") or 0)


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
    open_call(page, call_id)
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
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id, next_call = open_calls(UNIT), open_calls(UNIT)
    manager = server.login("supplies")["access_token"]
    kit = kit_location(server)
    naloxone, naloxone_kit = item_of(server, manager, "naloxone"), item_of(server, manager, "naloxone_kit")
    before = kit_state(server, manager, kit, [naloxone, naloxone_kit])
    doses_before, kits_before = before[0][0], before[1][0]

    live.sign_in(page, server.url, "clinician1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]').wait_for()
    # The pulled kit is the server's.
    wait_tablet_on_hand(page, naloxone, doses_before)
    assert tablet_on_hand(page, naloxone_kit) == kits_before

    context.set_offline(True)
    open_call(page, call_id)
    tap(page, "en_route")
    tap(page, "on_scene")
    log_naloxone_reversal(page, call_id)
    screenshot(page, "offline-harm-reduction-on-call")
    # Offline, the kit already counts what this tablet gave.
    assert tablet_on_hand(page, naloxone) == doses_before - 1
    assert tablet_on_hand(page, naloxone_kit) == kits_before - 2
    screenshot(page, "offline-kit-after-reversal")

    open_call(page, call_id)
    page.get_by_test_id("status-cleared").click()
    page.get_by_test_id("confirm-cleared-yes").click()
    page.locator(f'[data-testid="survey"][data-call-id="{call_id}"]').wait_for()

    # The next call waits for the survey: its response taps are held back, with the way to it.
    open_call(page, next_call)
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
    open_call(page, next_call)
    assert page.get_by_test_id("survey-gate").count() == 0
    assert page.get_by_test_id("status-en_route").is_enabled()
    # Six entries wait: two taps, two harm-reduction entries, the clearing tap and the survey.
    assert live.unsent(page) == 6

    context.set_offline(False)
    live.wait_synced(page)

    cid = uuid.UUID(call_id).hex
    entries = server.rows("SELECT category, quantity, route, response FROM harm_reduction_entries "
                          "WHERE call_id = :c ORDER BY category", c=cid)
    assert [tuple(e) for e in entries] == [("naloxone_administered", 1, "intranasal", "breathing_restored"),
                                           ("naloxone_kit", 2, None, None)]
    survey = server.rows("SELECT felt_safe, police_requested, debrief_wanted, skipped_reason "
                         "FROM post_call_surveys WHERE call_id = :c", c=cid)
    assert [tuple(s) for s in survey] == [("yes", "no", "no", None)]
    # The ledger moved the kit by one dose and two kits, and the reorder report says so.
    live.eventually(lambda: stock_of(server, manager, kit, naloxone) == doses_before - 1,
                    what="the dose off the kit's stock")
    used = (1, 2)
    assert kit_state(server, manager, kit, [naloxone, naloxone_kit]) == [
        (stock - n, on_hand - n, used_30d + n)
        for (stock, on_hand, used_30d), n in zip(before, used, strict=True)]
    # The tablet's pulled kit agrees, with nothing of its own left to subtract.
    wait_tablet_on_hand(page, naloxone, doses_before - 1)
    assert tablet_on_hand(page, naloxone_kit) == kits_before - 2
    assert page.get_by_test_id("kit-unsent").count() == 0
