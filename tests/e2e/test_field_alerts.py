"""A field tablet hears of other units' trouble and is asked "All OK?": another unit's request
is a banner it may dismiss (its escalation shows again); the broadcast covers the screen, stays
through a reload, leaves the backup button in reach and goes only when the request is closed;
the server's check-in prompt for a call on scene is answered with one tap. (The local timer,
offline answers and the clock cases: pwa/test/checkin.test.ts.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# No other browser test asks for backup for this crew's unit.
RESPONDER = "peer1"
UNIT = "HEART-1"
OTHER_UNIT = "CORE-1"


def announce(server: live.LiveServer, type: str, payload: dict[str, Any],
             units: list[int] | None = None) -> None:
    """A live event as the server's own services publish it (to everyone, or to some units)."""
    from server.extensions import db
    from server.stream.audience import Audience
    from server.stream.services import publish

    audience = Audience.of(units=units) if units else Audience.of(everyone=True)
    with server.app.app_context():
        publish(db.session(), type, payload, audience, subject=f"e2e:{payload.get('id')}")
        db.session.commit()
        db.session.remove()


def unit_id(server: live.LiveServer, call_sign: str) -> int:
    return int(server.scalar("SELECT id FROM units WHERE call_sign = :s", s=call_sign))


def request(server: live.LiveServer, request_id: str, **extra: Any) -> dict[str, Any]:
    return {"id": request_id, "unit_id": unit_id(server, OTHER_UNIT), "call_sign": OTHER_UNIT,
            "address": "500 Test St", "cad_number": "E2E-ALERT", "urgency": "urgent",
            "position": None, "requested_at": datetime.now(UTC).isoformat(),
            "broadcast_at": None, **extra}


def on_top(page: Any, test_id: str) -> bool:
    """The element under the centre of this one is it (or inside it): nothing covers it."""
    return bool(page.evaluate(
        """(id) => { const el = document.querySelector(`[data-testid="${id}"]`);
                     const r = el.getBoundingClientRect();
                     const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                     return el.contains(top); }""", test_id))


def test_another_units_request_is_a_banner_and_its_broadcast_covers_the_screen_until_closed(
        server: live.LiveServer, page: Any, screenshot: Callable[[Any, str], Any]) -> None:
    live.sign_in(page, server.url, RESPONDER)
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.wait_for_timeout(1000)  # the stream opens
    request_id = str(uuid.uuid4())

    announce(server, "backup.requested", request(server, request_id))
    banner = page.get_by_test_id("backup-alert")
    banner.wait_for()
    assert OTHER_UNIT in banner.inner_text()
    assert "500 Test St" in banner.inner_text()
    screenshot(page, "field-alert-banner")
    page.get_by_test_id("backup-alert-dismiss").click()
    banner.wait_for(state="detached")

    announce(server, "backup.escalated", request(server, request_id, tier=1))
    banner.wait_for()
    page.get_by_test_id("backup-alert-dismiss").click()

    announce(server, "backup.broadcast",
             request(server, request_id, tier=5, broadcast_at=datetime.now(UTC).isoformat()))
    overlay = page.get_by_test_id("broadcast")
    overlay.wait_for()
    assert OTHER_UNIT in overlay.inner_text()
    assert page.get_by_test_id("broadcast-where").inner_text() == "500 Test St"
    page.keyboard.press("Escape")
    overlay.click(position={"x": 10, "y": live.VIEWPORT["height"] - 10})  # clear of the bar and the prompt
    assert overlay.is_visible()
    assert on_top(page, "backup-button")  # a crew in trouble of its own can still ask
    assert not on_top(page, "nav")
    screenshot(page, "field-alert-broadcast")

    page.reload()
    live.unlock_if_locked(page)
    overlay.wait_for()  # kept across the reload

    announce(server, "backup.resolved", request(server, request_id, state="resolved"))
    overlay.wait_for(state="detached")
    assert page.get_by_test_id("backup-alert").count() == 0


def test_the_servers_check_in_prompt_is_answered_with_one_tap(
        server: live.LiveServer, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls(UNIT)
    live.sign_in(page, server.url, RESPONDER)
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    live.open_call(page, call_id)
    page.get_by_test_id("status-on_scene").click()
    live.wait_synced(page)
    prompt = page.get_by_test_id("checkin-prompt")
    # The demo's calls on scene since long ago are asked about at once: each is all right.
    page.wait_for_timeout(1000)
    while prompt.count():
        assert prompt.get_attribute("data-call-id") != call_id  # 20 minutes to go for this one
        page.get_by_test_id("checkin-ok").click()
        page.wait_for_timeout(500)

    now = datetime.now(UTC).isoformat()
    announce(server, "checkin.due", {"call_id": call_id, "unit_id": unit_id(server, UNIT),
                                     "call_sign": UNIT, "since": now, "due_at": now,
                                     "answer_by": now}, units=[unit_id(server, UNIT)])
    page.locator(f'[data-testid="checkin-prompt"][data-call-id="{call_id}"]').wait_for()
    screenshot(page, "field-checkin-prompt")
    page.get_by_test_id("checkin-ok").click()
    prompt.wait_for(state="detached")
    live.eventually(lambda: server.scalar(
        "SELECT count(*) FROM checkin_answers WHERE call_id = :c", c=uuid.UUID(call_id).hex),
        what="the answer on the server")
