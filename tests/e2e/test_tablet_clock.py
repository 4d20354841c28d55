"""A tablet whose clock reads 1970, then three hours ahead, then right, taps a status under
each, and pushes while it reads 1970 again: the server keeps each tap at the moment it was
made. Playwright's clock moves the page's Date; its monotonic clock runs on untouched."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How close a stored time must be to the moment of the tap: the browser's own steps.
CLOSE = timedelta(seconds=10)


def tap(page: Any, status: str) -> datetime:
    page.get_by_test_id(f"status-{status}").click()
    page.wait_for_function(f"document.querySelector('[data-testid=status-{status}]')"
                           ".getAttribute('aria-pressed') === 'true'")
    return datetime.now(UTC)


def test_taps_under_a_clock_at_1970_then_ahead_then_right_are_stored_at_their_real_times(
        server: live.LiveServer, context: Any, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    context.clock.install()  # the page's clocks are Playwright's; they run at real speed
    live.sign_in(page, server.url, "emt1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    live.open_call(page, call_id)
    live.wait_synced(page)  # the pull taught the tablet the server's time

    context.set_offline(True)
    # A pass that began after the sync above must end first: an answer it got before the link
    # went, handled after the clock moved, would teach the tablet the server's time under 1970.
    page.wait_for_function("!document.querySelector('[data-testid=sync-progress]')")
    context.clock.set_system_time(EPOCH)
    en_route = tap(page, "en_route")
    context.clock.set_system_time(datetime.now(UTC) + timedelta(hours=3))
    on_scene = tap(page, "on_scene")
    context.clock.set_system_time(datetime.now(UTC))
    transporting = tap(page, "transporting")
    screenshot(page, "tablet-clock-taps-offline")
    context.clock.set_system_time(EPOCH)  # the push goes while the tablet reads 1970
    context.set_offline(False)
    live.wait_synced(page)

    rows = server.rows("SELECT status, corrected_time, time_source, time_uncertain "
                       "FROM call_status_events WHERE call_id = :c AND device_id IS NOT NULL",
                       c=uuid.UUID(call_id).hex)
    stored = {r.status: r for r in rows}
    for status, tapped in (("en_route", en_route), ("on_scene", on_scene),
                           ("transporting", transporting)):
        at = datetime.fromisoformat(str(stored[status].corrected_time)).replace(tzinfo=UTC)
        assert abs(at - tapped) <= CLOSE, (status, at, tapped)
    assert {r.time_source for r in rows} == {"monotonic"}
    # The first agrees with the clock the push went under (1970 again), the third with the
    # one the tablet had when it learned the server's time; nothing confirms the second.
    assert [bool(stored[s].time_uncertain) for s in ("en_route", "on_scene", "transporting")] == [
        False, True, False]
    context.clock.set_system_time(datetime.now(UTC))
    page.reload()
    live.unlock_if_locked(page)
    page.get_by_test_id("status-on_scene-time").filter(has_text="≈").wait_for()
    screenshot(page, "tablet-clock-synced-uncertain-marked")
