"""Two browsers: a responder of CORE-1 holds the backup button on the tablet; the supervisor's
board shows the request and acknowledges it; the tablet shows who acknowledged. Again with
the tablet offline when the button is held: the press waits queued and goes when the network
is back. (A press made offline going ahead of older queued operations:
pwa/test/backups.test.ts.)"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# No other browser test signs in as this crew or asks for backup for it.
UNIT = "CORE-1"
RESPONDER = "coclinician"
# Longer than the button's hold (1.5 s): a deliberate press.
HOLD_MS = 2000
# The tablet hears of the acknowledgement by the stream, else by its 10 s poll.
ACK_WAIT_MS = 20_000


def hold_backup_button(page: Any) -> None:
    button = page.get_by_test_id("backup-button")
    button.hover()
    page.mouse.down()
    page.wait_for_timeout(HOLD_MS)
    page.mouse.up()


def newest_backup(server: live.LiveServer) -> tuple[str, str]:
    rows = server.rows(
        "SELECT b.id, b.state FROM backup_requests b JOIN units u ON u.id = b.unit_id "
        "WHERE u.call_sign = :s ORDER BY b.received_at DESC", s=UNIT)
    assert rows, "no backup request reached the server"
    return str(uuid.UUID(str(rows[0][0]))), str(rows[0][1])


def acknowledge_on_board(board: Any, server: live.LiveServer, backup_id: str) -> str:
    live.sign_in(board, server.url, "supervisor")
    card = board.locator(f'[data-testid="board-backup"][data-backup-id="{backup_id}"]')
    card.wait_for(timeout=15_000)
    card.get_by_test_id("backup-acknowledge").click()
    card.get_by_test_id("backup-acknowledged").wait_for()
    return str(server.rows("SELECT full_name FROM users WHERE username = 'supervisor'")[0][0])


def close_request(server: live.LiveServer, backup_id: str) -> None:
    token = server.login("supervisor")["access_token"]
    r = server.api("POST", f"/backups/{backup_id}/resolve", token, json={"reason": "crew safe"})
    assert r.status_code == 200, r.text


def test_held_button_reaches_the_board_and_the_tablet_shows_who_acknowledged(
        server: live.LiveServer, new_context: Any) -> None:
    tablet = new_context().new_page()
    live.sign_in(tablet, server.url, RESPONDER)
    tablet.get_by_test_id("backup-button").click()  # a tap is not a request
    tablet.wait_for_timeout(500)
    assert tablet.get_by_test_id("backup-state").inner_text() == ""

    hold_backup_button(tablet)
    tablet.locator('[data-testid="backup-state"][data-stage="sent"], '
                   '[data-testid="backup-state"][data-stage="delivered"]').first.wait_for()
    backup_id, state = newest_backup(server)
    assert state == "open"

    name = acknowledge_on_board(new_context().new_page(), server, backup_id)
    tablet.locator('[data-testid="backup-state"][data-stage="acknowledged"]').wait_for(timeout=ACK_WAIT_MS)
    assert name in tablet.get_by_test_id("backup-state").inner_text()
    close_request(server, backup_id)


def backups_of_unit(server: live.LiveServer) -> int:
    return int(server.rows("SELECT count(*) FROM backup_requests b JOIN units u "
                           "ON u.id = b.unit_id WHERE u.call_sign = :s", s=UNIT)[0][0])


def test_a_press_made_offline_waits_queued_and_is_sent_when_the_network_is_back(
        server: live.LiveServer, new_context: Any) -> None:
    context = new_context()
    tablet = context.new_page()
    tablet.goto(f"{server.url}/")
    live.wait_controlled(tablet)  # before signing in: a reload later would lock the app
    live.sign_in(tablet, server.url, RESPONDER)
    before = backups_of_unit(server)
    context.set_offline(True)
    hold_backup_button(tablet)
    tablet.locator('[data-testid="backup-state"][data-stage="queued"]').wait_for()
    tablet.wait_for_timeout(1000)
    assert backups_of_unit(server) == before  # nothing left the tablet

    context.set_offline(False)
    tablet.locator('[data-testid="backup-state"][data-stage="sent"], '
                   '[data-testid="backup-state"][data-stage="delivered"]').first.wait_for(
        timeout=ACK_WAIT_MS)
    assert backups_of_unit(server) == before + 1
    backup_id, state = newest_backup(server)
    assert state == "open"
    name = acknowledge_on_board(new_context().new_page(), server, backup_id)
    tablet.locator('[data-testid="backup-state"][data-stage="acknowledged"]').wait_for(
        timeout=ACK_WAIT_MS)
    assert name in tablet.get_by_test_id("backup-state").inner_text()
    close_request(server, backup_id)


def test_a_banner_appearing_above_the_held_button_does_not_let_go_of_the_hold(
        server: live.LiveServer, new_context: Any) -> None:
    """A no-signal notice, a check-in prompt or another unit's alert can appear above the button
    while a crew member holds it: the button moves under the still pointer, and the hold goes on
    (without the pointer's capture that move was a pointerleave and the request never left)."""
    tablet = new_context().new_page()
    live.sign_in(tablet, server.url, RESPONDER)
    before = backups_of_unit(server)
    button = tablet.get_by_test_id("backup-button")
    button.hover()
    tablet.mouse.down()
    tablet.wait_for_timeout(HOLD_MS // 4)
    moved_from = button.bounding_box()
    tablet.evaluate("""() => {
        const banner = document.createElement('div');
        banner.style.height = '80px';
        banner.textContent = 'No signal';
        document.querySelector('[data-testid="backup-button"]').parentElement.before(banner);
    }""")
    assert button.bounding_box()["y"] > moved_from["y"]  # the pointer is no longer over it
    tablet.wait_for_timeout(HOLD_MS)
    tablet.mouse.up()
    tablet.locator('[data-testid="backup-state"][data-stage="sent"], '
                   '[data-testid="backup-state"][data-stage="delivered"]').first.wait_for()
    assert backups_of_unit(server) == before + 1
    close_request(server, newest_backup(server)[0])
