"""A crew member taps Cleared, is asked first, confirms, and undoes it from the call screen:
the call comes back to the open list, the server keeps both taps and counts neither, and the
lifecycle offers only the taps after the current state."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def pressed(page: Any, status: str) -> None:
    # The button may not be drawn yet (the screen loads after a navigation): wait for it too.
    page.wait_for_function(f"document.querySelector('[data-testid=status-{status}]')"
                           "?.getAttribute('aria-pressed') === 'true'")


def in_open_list(page: Any, call_id: str) -> Any:
    return page.locator(f'[data-testid="call-list"] [data-testid="call-row"][data-call-id="{call_id}"]')


def test_cleared_is_confirmed_then_undone_and_the_call_is_back_in_the_list(
        server: live.LiveServer, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    live.sign_in(page, server.url, "emt1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    live.open_call(page, call_id)
    page.get_by_test_id("status-on_scene").click()
    pressed(page, "on_scene")
    assert page.get_by_test_id("status-en_route").is_disabled()  # passed: not offered

    page.get_by_test_id("status-cleared").click()
    page.get_by_test_id("confirm-cleared").wait_for()
    # The question takes the focus, on the answer that changes nothing.
    assert page.evaluate("document.activeElement.dataset.testid") == "confirm-cleared-no"
    screenshot(page, "status-confirm-cleared")
    page.get_by_test_id("confirm-cleared-no").click()
    assert page.get_by_test_id("status-cleared").get_attribute("aria-pressed") == "false"

    page.get_by_test_id("status-cleared").click()
    page.get_by_test_id("confirm-cleared-yes").click()
    # Clearing opens the post-call survey; the crew goes back to the call without answering yet.
    page.locator(f'[data-testid="survey"][data-call-id="{call_id}"]').wait_for()
    page.goto(f"/#/call/{call_id}")
    pressed(page, "cleared")
    page.get_by_test_id("call-back").click()
    page.get_by_test_id("toggle-cleared").wait_for()
    assert in_open_list(page, call_id).count() == 0
    screenshot(page, "status-cleared-call-left-the-list")

    page.goto(f"/#/call/{call_id}")
    page.get_by_test_id("status-undo").click()
    page.wait_for_function("document.querySelector('[data-testid=status-cleared]')"
                           "?.getAttribute('aria-pressed') === 'false'")
    page.locator('[data-testid="status-record-item"][data-withdrawn="true"]').wait_for()
    screenshot(page, "status-cleared-undone-record")
    page.get_by_test_id("call-back").click()
    in_open_list(page, call_id).wait_for()
    screenshot(page, "status-undone-call-back-in-the-list")

    live.wait_synced(page)
    cid = uuid.UUID(call_id).hex
    live.eventually(lambda: server.scalar("SELECT status FROM calls WHERE id = :c", c=cid)
                    == "on_scene", what="the call open again on the server")
    taps = server.rows("SELECT status, withdraws_id FROM call_status_events "
                       "WHERE call_id = :c AND device_id IS NOT NULL ORDER BY corrected_time", c=cid)
    assert [(t.status, t.withdraws_id is not None) for t in taps] == [
        ("on_scene", False), ("cleared", False), ("cleared", True)]
