"""A naloxone reversal logged without signal: a responder gives one intranasal dose (breathing
restored) and hands out two naloxone kits on a call, clears it, finds the next call held back
until the post-call survey is answered, answers it, reconnects; the supply manager's stock and
reorder report, and the tablet's pulled kit, show the dose and the kits gone from the lots used
first."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e import live
from tests.e2e.test_offline_shift import open_call

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

UNIT = "HEART-1"


# Two lots of each in the kit, the one used first expiring sooner: the entries take from it.
KIT_LOTS = ((timedelta(days=90), 6), (timedelta(days=400), 10))


@pytest.fixture(scope="module")
def stocked_kit(server: live.LiveServer) -> tuple[int, int, int]:
    """The unit's kit holds naloxone doses and naloxone kits (the demo city's catalog has no
    naloxone kit item and leaves its items uncategorised). Returns (kit, naloxone, naloxone kit)."""
    from server.auth.models import User
    from server.extensions import db
    from server.models_base import utcnow
    from server.supplies.models import SupplyCategory, SupplyItem
    from server.supplies.services import record_receipt, unit_kit
    from server.units.models import Unit

    with server.app.app_context():
        session = db.session()
        manager = session.scalars(sa.select(User).where(User.username == "supplies")).one()
        unit = session.scalars(sa.select(Unit).where(Unit.call_sign == UNIT)).one()
        kit = unit_kit(session, unit.id)
        assert kit is not None, "the demo city gives the unit a vehicle kit"
        items = []
        for category, sku, name, measure in (
                (SupplyCategory.NALOXONE, "E2E-NLX-4MG", "Naloxone 4 mg nasal spray", "device"),
                (SupplyCategory.NALOXONE_KIT, "E2E-NLX-KIT", "Naloxone kit", "kit")):
            item = session.scalars(sa.select(SupplyItem).where(SupplyItem.category == category)).first()
            if item is None:
                item = SupplyItem(sku=sku, name=name, category=category, unit_of_measure=measure)
                session.add(item)
                session.flush()
            for n, (expires_in, quantity) in enumerate(KIT_LOTS):
                record_receipt(session, manager, kit.id, item.id, f"{sku}-L{n}",
                               utcnow().date() + expires_in, quantity)
            items.append(item.id)
        ids = (kit.id, items[0], items[1])
        session.commit()
        db.session.remove()
    return ids


def stock_of(server: live.LiveServer, token: str, location: int, item: int) -> dict[int, int]:
    """The supply manager's stock of each of the item's lots at the location (lot id -> on hand)."""
    r = server.api("GET", "/supplies/stock", token, params={"location_id": location, "item_id": item})
    r.raise_for_status()
    return {row["lot_id"]: row["on_hand"] for row in r.json()}


def reorder_of(server: live.LiveServer, token: str, location: int, item: int) -> tuple[int, int]:
    """The reorder report's on hand and 30-day use of the item at the location."""
    r = server.api("GET", "/supplies/reorder-report", token)
    r.raise_for_status()
    row = next(x for x in r.json() if x["location_id"] == location and x["item_id"] == item)
    return row["on_hand"], row["used_30d"]


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
        stocked_kit: tuple[int, int, int], screenshot: Callable[[Any, str], Any]) -> None:
    call_id, next_call = open_calls(UNIT), open_calls(UNIT)
    kit, naloxone, naloxone_kit = stocked_kit
    manager = server.login("supplies")["access_token"]
    doses_before = stock_of(server, manager, kit, naloxone)
    kits_before = stock_of(server, manager, kit, naloxone_kit)
    report_before = reorder_of(server, manager, kit, naloxone), reorder_of(server, manager, kit, naloxone_kit)
    # The lot used first: the sooner of the two to expire.
    first_dose_lot, first_kit_lot = min(doses_before), min(kits_before)

    live.sign_in(page, server.url, "clinician1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]').wait_for()
    # The pulled kit is the ledger's.
    wait_tablet_on_hand(page, naloxone, sum(doses_before.values()))
    assert tablet_on_hand(page, naloxone_kit) == sum(kits_before.values())
    fefo = page.locator(f'[data-testid="kit-item"][data-item-id="{naloxone}"] [data-testid="kit-fefo"]')
    assert fefo.get_attribute("data-lot-id") == str(first_dose_lot)

    context.set_offline(True)
    open_call(page, call_id)
    tap(page, "en_route")
    tap(page, "on_scene")
    log_naloxone_reversal(page, call_id)
    screenshot(page, "offline-harm-reduction-on-call")
    # Offline, the kit already counts what this tablet gave.
    assert tablet_on_hand(page, naloxone) == sum(doses_before.values()) - 1
    assert tablet_on_hand(page, naloxone_kit) == sum(kits_before.values()) - 2
    page.get_by_test_id("kit-unsent").wait_for()
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
    doses_after = {**doses_before, first_dose_lot: doses_before[first_dose_lot] - 1}
    kits_after = {**kits_before, first_kit_lot: kits_before[first_kit_lot] - 2}
    assert stock_of(server, manager, kit, naloxone) == doses_after
    assert stock_of(server, manager, kit, naloxone_kit) == kits_after
    # The reorder report: one dose and two kits less on hand, and as much more used in 30 days.
    (doses_held, doses_used), (kits_held, kits_used) = report_before
    assert reorder_of(server, manager, kit, naloxone) == (doses_held - 1, doses_used + 1)
    assert reorder_of(server, manager, kit, naloxone_kit) == (kits_held - 2, kits_used + 2)
    # The tablet's pulled kit agrees, with nothing of its own left to subtract.
    wait_tablet_on_hand(page, naloxone, sum(doses_before.values()) - 1)
    assert tablet_on_hand(page, naloxone_kit) == sum(kits_before.values()) - 2
    assert page.get_by_test_id("kit-unsent").count() == 0
