"""The supervisor signs in and lands on the board: the coordinate-grid map (no basemap here) and
the units; a responder of HEART-3 asks for backup from their own tablet and the request appears
on the board by the live stream, ringed on the map; the supervisor acknowledges it and the server
records who; resolving it with a reason takes it off the board. The board passes axe and keeps
44 px targets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# No other browser test signs in as this crew or asks for backup for it.
UNIT = "HEART-3"
RESPONDER = "emt3"
# Shorter than the board's polling while the stream is up (30 s): only the stream brings it in time.
LIVE_WAIT_MS = 12_000
MIN_TARGET_PX = 44
TARGETS = "button, input, a.btn, .board-broadcast a"


def ask_for_backup(server: live.LiveServer) -> str:
    """The responder's tablet sends a backup request with its position (downtown Durham, the
    demo city)."""
    token = server.login(RESPONDER)["access_token"]
    backup_id = str(uuid.uuid4())
    now = datetime.now(UTC).isoformat()
    r = server.api("POST", "/backups", token, json={
        "id": backup_id, "call_id": None, "urgency": "urgent", "device_time": now,
        "position": {"lat": 35.9981, "lon": -78.9012, "accuracy_m": 12, "recorded_at": now},
        "note": "agitated person, need a second crew"})
    assert r.status_code == 201, r.text
    return backup_id


def sign_in_to_board(page: Any, server: live.LiveServer) -> None:
    live.sign_in(page, server.url, "supervisor")
    page.get_by_test_id("board").wait_for()


def test_a_backup_request_appears_live_and_the_supervisor_acknowledges_it(
        server: live.LiveServer, page: Any, screenshot: Callable[[Any, str], Path]) -> None:
    unit_id = server.scalar("SELECT id FROM units WHERE call_sign = :s", s=UNIT)
    supervisor_id, supervisor_name = server.rows(
        "SELECT id, full_name FROM users WHERE username = 'supervisor'")[0]

    sign_in_to_board(page, server)
    assert page.evaluate("location.hash") == "#/board"
    page.locator('[data-testid="board-map"][data-kind="grid"]').wait_for()
    page.get_by_test_id("board-grid").wait_for()
    page.locator(f'[data-testid="board-unit"][data-unit-id="{unit_id}"]').wait_for()
    page.locator('[data-testid="board"][data-live="open"]').wait_for()
    assert page.get_by_test_id("board-live").inner_text() == "Live"

    backup_id = ask_for_backup(server)
    card = page.locator(f'[data-testid="board-backup"][data-backup-id="{backup_id}"]')
    card.wait_for(timeout=LIVE_WAIT_MS)
    assert UNIT in card.inner_text()
    assert card.get_attribute("data-state") == "open"
    page.locator(f'[data-testid="map-backup"][data-backup-id="{backup_id}"]').wait_for()
    screenshot(page, "board-backup-open")

    card.get_by_test_id("backup-acknowledge").click()
    card.get_by_test_id("backup-acknowledged").wait_for()
    assert supervisor_name in card.get_by_test_id("backup-acknowledged").inner_text()
    assert card.get_attribute("data-state") == "acknowledged"
    supervisor = server.login("supervisor")["access_token"]
    answer = server.api("GET", f"/backups/{backup_id}", supervisor).json()
    assert answer["acknowledged_by"] == {"id": supervisor_id, "name": supervisor_name}

    card.get_by_test_id("backup-reason").fill("second crew arrived")
    card.get_by_test_id("backup-resolve").click()
    card.wait_for(state="detached")
    answer = server.api("GET", f"/backups/{backup_id}", supervisor).json()
    assert (answer["state"], answer["close_reason"]) == ("resolved", "second crew arrived")


@pytest.mark.parametrize(("lang", "theme"), [("en", "light"), ("es", "dark")])
def test_the_board_passes_axe_and_keeps_44px_targets(
        server: live.LiveServer, page: Any, lang: str, theme: str,
        screenshot: Callable[[Any, str], Path]) -> None:
    from tests.e2e.test_accessibility import axe_problems

    page.goto("/")
    page.get_by_test_id("login-form").wait_for()
    page.get_by_test_id(f"lang-{lang}").click()
    page.get_by_test_id(f"theme-{theme}").click()
    sign_in_to_board(page, server)
    page.get_by_test_id("board-map").wait_for()
    page.get_by_test_id("board-units-table").wait_for()
    page.get_by_test_id("board-devices-table").wait_for()
    assert not axe_problems(page)
    small = page.evaluate(
        """([sel, min]) => [...document.querySelectorAll(sel)]
            .filter((el) => el.closest('.board') && el.getClientRects().length)
            .map((el) => [el.dataset.testid || el.tagName, el.getBoundingClientRect()])
            .filter(([, r]) => r.width < min || r.height < min).map(([id]) => id)""",
        [TARGETS, MIN_TARGET_PX])
    assert not small, small
    screenshot(page, f"board-{lang}-{theme}")


def test_a_dispatcher_opens_the_board_without_the_supervisors_queues(
        server: live.LiveServer, page: Any) -> None:
    live.sign_in(page, server.url, "dispatcher")
    page.get_by_test_id("dispatch").wait_for()  # a dispatcher lands on the dispatch queue
    page.get_by_test_id("nav-board").click()
    page.get_by_test_id("board-units-table").wait_for()
    page.get_by_test_id("board-map").wait_for()
    assert page.get_by_test_id("board-devices").count() == 0
    assert page.get_by_test_id("board-queues").count() == 0
    assert page.get_by_test_id("board-problem").count() == 0
