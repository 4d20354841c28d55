"""The dispatch queue in the browser: a dispatcher lands on it, reads a CAD call's recommendation
and its reason, sends another unit than the recommended one only with a reason; a call from the
CAD appears without a reload; a diversion clinician resolves a call by phone; the screen passes
axe in both languages and themes and keeps 44 px targets."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# A dispatcher's desk screen, not a tablet.
DESK = {"width": 1440, "height": 900}
# A touch target, as on the other screens.
MIN_TARGET_PX = 44
TARGETS = "button, input, select, textarea"
# The unit an override sends: no other browser test uses care navigation's unit.
OTHER_UNIT = "NAV-1"
_numbers = itertools.count(1)


@pytest.fixture
def cad_call(server: live.LiveServer) -> Callable[..., str]:
    """Takes a call from the CAD as POST /cad/calls does (stored, triaged, announced); its id."""

    def make(call_type: str = "welfare_check", **kw: Any) -> str:
        from server.cad import services
        from server.cad.records import CadCall
        from server.dispatch.services import announce
        from server.extensions import db
        from server.models_base import utcnow

        with server.app.app_context():
            session = db.session()
            now = utcnow()
            cad = CadCall(incident_number=f"E2E-DISP-{next(_numbers)}", call_type=call_type,
                          priority=None, received_at=now, address=kw.pop("address", "12 Main St"),
                          lat=35.994, lon=-78.899, narrative="Caller is worried about a neighbor.",
                          weapon=False, violence=False, **kw)
            call, _outcome = services.ingest(session, services.start_intake(session, now, "cad"),
                                             cad, now)
            announce(session, "call.received", call)
            session.commit()
            call_id = str(call.id)
            db.session.remove()
        return call_id

    return make


def open_queue(new_context: Callable[..., Any], server: live.LiveServer, username: str) -> Any:
    page = new_context(viewport=DESK).new_page()
    live.sign_in(page, server.url, username)
    page.get_by_test_id("dispatch-queue-table").wait_for()
    assert page.evaluate("location.hash") == "#/dispatch"
    return page


def row(page: Any, call_id: str) -> Any:
    return page.locator(f'[data-testid="dispatch-call"][data-call-id="{call_id}"]')


def test_a_dispatcher_sends_another_unit_than_the_recommended_one_only_with_a_reason(
        server: live.LiveServer, new_context: Callable[..., Any],
        cad_call: Callable[..., str]) -> None:
    call_id = cad_call()
    page = open_queue(new_context, server, "dispatcher")
    (reason,) = server.rows("SELECT recommendation_reason FROM calls WHERE id = :id",
                            id=uuid.UUID(call_id).hex)[0]
    assert row(page, call_id).get_by_test_id("rec-reason").inner_text() == reason
    assert row(page, call_id).get_by_test_id("rec-response").inner_text()

    row(page, call_id).get_by_test_id("assign-other").click()
    form = page.get_by_test_id("dispatch-assign-form")
    (unit_id,) = server.rows("SELECT id FROM units WHERE call_sign = :sign", sign=OTHER_UNIT)[0]
    form.get_by_test_id("assign-unit").select_option(value=str(unit_id))
    form.get_by_test_id("assign-send").click()
    assert form.get_by_test_id("error-override_reason").is_visible()

    form.get_by_test_id("assign-override-reason").fill("The caller asked for a navigator")
    form.get_by_test_id("assign-send").click()
    assigned = row(page, call_id).get_by_test_id("call-assigned")
    assigned.wait_for()
    assert OTHER_UNIT in assigned.inner_text()
    assert server.rows("SELECT override_reason FROM calls WHERE id = :id",
                       id=uuid.UUID(call_id).hex) == [("The caller asked for a navigator",)]


def test_a_call_from_the_cad_appears_without_a_reload(
        server: live.LiveServer, new_context: Callable[..., Any],
        cad_call: Callable[..., str]) -> None:
    page = open_queue(new_context, server, "dispatcher")
    live.eventually(lambda: page.get_by_test_id("dispatch").get_attribute("data-live") == "open",
                    what="the live stream open")
    call_id = cad_call(address="77 Roxboro St")
    # Well inside the 30 s poll: the stream's call.received brought it.
    row(page, call_id).wait_for(timeout=10_000)
    assert "77 Roxboro St" in row(page, call_id).get_by_test_id("call-address").inner_text()


def test_a_diversion_clinician_resolves_a_call_by_phone(
        server: live.LiveServer, new_context: Callable[..., Any],
        cad_call: Callable[..., str]) -> None:
    call_id = cad_call("mental_health_crisis")
    page = open_queue(new_context, server, "diversion")
    row(page, call_id).get_by_test_id("resolve-by-phone").click()
    form = page.get_by_test_id("dispatch-phone-form")
    form.get_by_test_id("phone-note").fill("Talked it through; staying with family tonight.")
    form.get_by_test_id("phone-send").click()
    live.eventually(lambda: row(page, call_id).count() == 0, what="the call gone from the queue")
    assert server.rows("SELECT status, unserved_reason FROM calls WHERE id = :id",
                       id=uuid.UUID(call_id).hex) == [("cleared", "resolved_by_phone")]


@pytest.mark.parametrize(("lang", "theme"), [("en", "light"), ("es", "dark")])
def test_the_queue_passes_axe_and_keeps_44px_targets(
        server: live.LiveServer, new_context: Callable[..., Any], cad_call: Callable[..., str],
        lang: str, theme: str, screenshot: Callable[[Any, str], Any]) -> None:
    from tests.e2e.test_accessibility import axe_problems

    call_id = cad_call()
    page = open_queue(new_context, server, "diversion")
    page.get_by_test_id(f"lang-{lang}").click()
    page.get_by_test_id(f"theme-{theme}").click()
    row(page, call_id).get_by_test_id("decline").click()
    page.get_by_test_id("dispatch-decline-form").wait_for()
    assert not axe_problems(page)
    small = page.evaluate(
        """([sel, min]) => [...document.querySelectorAll(sel)]
            .filter((el) => el.closest('.dispatch') && el.getClientRects().length)
            .map((el) => [el.dataset.testid || el.tagName, el.getBoundingClientRect()])
            .filter(([, r]) => r.width < min || r.height < min).map(([id]) => id)""",
        [TARGETS, MIN_TARGET_PX])
    assert not small, small
    screenshot(page, f"dispatch-{lang}-{theme}")


# A crew no other browser test signs in as or sends calls to.
FLOW_UNIT = "HEART-3"
FLOW_RESPONDER = "clinician3"
# The tablet's first pull, and the queue hearing of its tap (stream, else the 30 s poll).
ARRIVES_MS = 30_000


def test_a_cad_post_is_assigned_and_the_crews_status_tap_shows_on_the_queue(
        server: live.LiveServer, new_context: Callable[..., Any]) -> None:
    import requests

    from server.demo import DEMO_CAD_KEY

    page = open_queue(new_context, server, "dispatcher")
    live.eventually(lambda: page.get_by_test_id("dispatch").get_attribute("data-live") == "open",
                    what="the live stream open")
    answer = requests.post(f"{server.url}/api/v1/cad/calls", timeout=10,
                           headers={"X-CAD-Key": DEMO_CAD_KEY},
                           json={"incident_number": f"E2E-FLOW-{uuid.uuid4().hex[:8]}",
                                 "call_type": "welfare_check", "address": "5 Club Blvd",
                                 "received_at": "2026-12-02T12:00:00Z", "lat": 35.99,
                                 "lon": -78.9, "narrative": "Neighbour has not been seen"})
    assert answer.status_code == 201, answer.text
    call_id, recommendation = answer.json()["id"], answer.json()["recommendation"]
    queued = row(page, call_id)
    queued.wait_for(timeout=10_000)  # the stream's call.received
    assert queued.get_by_test_id("rec-reason").inner_text() == recommendation["reason"]

    (unit_id,) = server.rows("SELECT id FROM units WHERE call_sign = :s", s=FLOW_UNIT)[0]
    queued.get_by_test_id("assign-other").click()
    form = page.get_by_test_id("dispatch-assign-form")
    form.get_by_test_id("assign-unit").select_option(value=str(unit_id))
    if recommendation["unit_id"] != unit_id:
        form.get_by_test_id("assign-override-reason").fill("Closest to the address by road")
    form.get_by_test_id("assign-send").click()
    queued.get_by_test_id("call-assigned").wait_for()

    tablet = new_context().new_page()
    live.sign_in(tablet, server.url, FLOW_RESPONDER)
    tablet.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]').wait_for(
        timeout=ARRIVES_MS)
    tablet.goto(f"{server.url}/#/call/{call_id}")
    tablet.locator(f'[data-testid="call-detail"][data-call-id="{call_id}"]').wait_for()
    tablet.get_by_test_id("status-en_route").click()
    page.locator(f'[data-testid="dispatch-call"][data-call-id="{call_id}"]'
                 '[data-status="en_route"]').wait_for(timeout=ARRIVES_MS)
