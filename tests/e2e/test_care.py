"""The care navigator's desk in the browser: the navigator lands on the follow-ups due, sees the
overdue one marked, marks a referral connected (the status course grows by one, and the
server keeps the event), reads what the crew recorded and plans a follow-up; finds a shelter
near a referred person's premise and refers them to it; the screens pass axe in both
languages and themes and keep 44 px targets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DESK = {"width": 1440, "height": 900}
MIN_TARGET_PX = 44
TARGETS = "button, input, select, textarea, a.btn"


def open_desk(new_context: Callable[..., Any], server: live.LiveServer) -> Any:
    page = new_context(viewport=DESK).new_page()
    live.sign_in(page, server.url, "navigator")
    page.get_by_test_id("care-follow-ups").wait_for()
    assert page.evaluate("location.hash") == "#/care/"
    return page


def test_a_navigator_sees_a_follow_up_due_and_marks_a_referral_connected(
        server: live.LiveServer, new_context: Callable[..., Any]) -> None:
    page = open_desk(new_context, server)
    page.get_by_test_id("follow-up").first.wait_for()
    overdue = page.locator('[data-testid="follow-up"][data-due="overdue"]')
    assert overdue.count() == 1
    assert "Check the pantry visit happened" in overdue.get_by_test_id("follow-up-note").inner_text()

    (referral_id,) = server.rows("SELECT id FROM care_referrals WHERE status = 'accepted'")[0]
    referral_id = str(uuid.UUID(str(referral_id)))
    page.get_by_test_id("care-tab-referrals").click()
    card = page.locator(f'[data-testid="referral"][data-referral-id="{referral_id}"]')
    card.wait_for()
    assert card.get_by_test_id("referral-event").count() == 2  # made, accepted
    card.get_by_test_id("referral-note").fill("Picked up groceries on Tuesday")
    card.get_by_test_id("referral-to-connected").click()
    page.locator(f'[data-testid="referral"][data-referral-id="{referral_id}"]'
                 '[data-status="connected"]').wait_for()
    assert card.get_by_test_id("referral-event").count() == 3
    assert card.get_by_test_id("referral-to-accepted").count() == 0  # never backwards
    assert server.rows(
        "SELECT status, note FROM care_referral_events WHERE referral_id = :id ORDER BY id",
        id=uuid.UUID(referral_id).hex)[-1] == ("connected", "Picked up groceries on Tuesday")

    card.get_by_test_id("referral-call-toggle").click()
    (narrative,) = server.rows("SELECT narrative FROM calls JOIN care_referrals ON "
                               "care_referrals.call_id = calls.id WHERE care_referrals.id = :id",
                               id=uuid.UUID(referral_id).hex)[0]
    assert card.get_by_test_id("referral-call-narrative").inner_text() == narrative
    card.get_by_test_id("follow-up-due-at").fill("2030-01-02T09:30")
    card.get_by_test_id("follow-up-new-note").fill("Ask how the first week went")
    card.get_by_test_id("follow-up-add").click()
    card.get_by_test_id("follow-up-added").wait_for()
    page.get_by_test_id("care-tab-follow-ups").click()
    page.get_by_text("Ask how the first week went").wait_for()


def test_a_navigator_finds_a_shelter_near_a_referred_persons_premise(
        server: live.LiveServer, new_context: Callable[..., Any]) -> None:
    page = open_desk(new_context, server)
    page.get_by_test_id("care-tab-resources").click()
    page.get_by_test_id("resource-need").fill("shelter")
    options = page.get_by_test_id("resource-from").locator("option")
    live.eventually(lambda: options.count() > 1, what="the referred calls offered")
    page.get_by_test_id("resource-from").select_option(index=1)
    page.get_by_test_id("resource-radius").fill("50")
    page.get_by_test_id("resource-search").click()
    found = page.get_by_test_id("resource")
    found.first.wait_for()
    assert found.count() == 1
    assert "Night shelter" in found.first.inner_text()
    assert found.first.get_by_test_id("resource-distance").inner_text().endswith("km")
    found.first.get_by_test_id("resource-refer").click()
    found.first.get_by_test_id("resource-referred").wait_for()
    assert server.rows("SELECT need FROM care_referrals JOIN care_resources ON care_resources.id "
                       "= care_referrals.resource_id WHERE care_resources.name = 'Night shelter' "
                       "AND need = 'shelter'") == [("shelter",)]


def test_a_navigator_finds_the_resources_offered_in_spanish_with_their_hours(
        server: live.LiveServer, new_context: Callable[..., Any]) -> None:
    page = open_desk(new_context, server)
    page.get_by_test_id("care-tab-resources").click()
    page.get_by_test_id("resource-language").fill("Spanish")
    page.get_by_test_id("resource-search").click()
    found = page.get_by_test_id("resource")
    found.first.wait_for()
    stored = server.rows("SELECT name, hours FROM care_resources WHERE language_text LIKE "
                         ":spanish ORDER BY name", spanish="%|spanish|%")
    assert stored, "the demo data has resources offered in Spanish"
    assert found.locator("strong").all_inner_texts() == [name for name, _ in stored]
    pantry = found.filter(has_text="Emergency food pantry")
    assert pantry.get_by_test_id("resource-languages").inner_text() == "Languages: English, Spanish"
    assert pantry.get_by_test_id("resource-hours").locator("li").all_inner_texts() == [
        "Mon-Fri 09:00-17:00", "Sat 10:00-13:00"]


@pytest.mark.parametrize(("lang", "theme"), [("en", "light"), ("es", "dark")])
def test_the_care_desk_passes_axe_and_keeps_44px_targets(
        server: live.LiveServer, new_context: Callable[..., Any], lang: str, theme: str,
        screenshot: Callable[[Any, str], Any]) -> None:
    from tests.e2e.test_accessibility import axe_problems

    page = open_desk(new_context, server)
    page.get_by_test_id(f"lang-{lang}").click()
    page.get_by_test_id(f"theme-{theme}").click()
    for tab in ("follow-ups", "referrals", "resources"):
        page.get_by_test_id(f"care-tab-{tab}").click()
        page.locator(f'[data-testid="care"][data-tab="{tab}"]').wait_for()
        page.wait_for_timeout(150)  # the tab's list settles
        assert not axe_problems(page), tab
        small = page.evaluate(
            """([sel, min]) => [...document.querySelectorAll(sel)]
                .filter((el) => el.closest('.care') && el.getClientRects().length)
                .map((el) => [el.dataset.testid || el.tagName, el.getBoundingClientRect()])
                .filter(([, r]) => r.width < min || r.height < min).map(([id]) => id)""",
            [TARGETS, MIN_TARGET_PX])
        assert not small, (tab, small)
        screenshot(page, f"care-{tab}-{lang}-{theme}")


def test_a_responder_refers_their_calls_person_to_community_care(
        server: live.LiveServer, new_context: Callable[..., Any],
        open_calls: Callable[[str], str]) -> None:
    call_id = open_calls("HEART-2")
    tablet = new_context().new_page()
    live.sign_in(tablet, server.url, "peer2")
    tablet.goto(f"{server.url}/#/call/{call_id}")
    tablet.locator(f'[data-testid="call-detail"][data-call-id="{call_id}"]').wait_for()
    tablet.get_by_test_id("care-refer-need").fill("housing")
    tablet.get_by_test_id("care-refer-note").fill("Staying in a car since Friday")
    tablet.get_by_test_id("care-refer").click()
    tablet.locator('[data-testid="care-referred"][data-state="sent"]').wait_for()
    assert server.rows("SELECT need, note, status FROM care_referrals WHERE call_id = :id",
                       id=uuid.UUID(call_id).hex) == [("housing", "Staying in a car since Friday",
                                                       "made")]
    desk = open_desk(new_context, server)
    desk.get_by_test_id("care-tab-referrals").click()
    desk.get_by_text("Staying in a car since Friday").wait_for()


def test_a_referral_made_with_no_signal_waits_on_the_tablet_and_is_sent_when_it_is_back(
        server: live.LiveServer, new_context: Callable[..., Any],
        open_calls: Callable[[str], str]) -> None:
    call_id = open_calls("HEART-2")
    context = new_context()
    tablet = context.new_page()
    tablet.goto(f"{server.url}/")
    live.wait_controlled(tablet)  # before signing in: a reload later would lock the app
    live.sign_in(tablet, server.url, "peer2")
    tablet.goto(f"{server.url}/#/call/{call_id}")
    tablet.locator(f'[data-testid="call-detail"][data-call-id="{call_id}"]').wait_for()
    referrals = "SELECT need, created_by_id FROM care_referrals WHERE call_id = :id"
    before = server.rows(referrals, id=uuid.UUID(call_id).hex)

    context.set_offline(True)
    tablet.get_by_test_id("care-refer-need").fill("detox bed")
    tablet.get_by_test_id("care-refer").click()
    tablet.locator('[data-testid="care-referred"][data-state="queued"]').wait_for()
    tablet.wait_for_timeout(1000)
    assert server.rows(referrals, id=uuid.UUID(call_id).hex) == before  # nothing left the tablet

    context.set_offline(False)
    tablet.locator('[data-testid="care-referred"][data-state="sent"]').wait_for(timeout=20_000)
    peer = server.scalar("SELECT id FROM users WHERE username = 'peer2'")
    assert server.rows(referrals, id=uuid.UUID(call_id).hex) == [*before, ("detox bed", peer)]
