"""Two crew members on one tablet: both sign in online, capture offline in turn (lock, the
other unlocks, captures; the clinician also holds the backup button), then one of them
unlocks with signal and syncs; the header always names who is unlocked, and the server
credits every entry, and the backup request, to the person who made it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live
from tests.e2e.test_backup_requests import HOLD_MS, close_request

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

CLINICIAN, CLINICIAN_NAME = "clinician1", "Ana Morales, LCSW"
PEER, PEER_NAME = "peer1", "Marcus Bell"


def header_names(page: Any, name: str) -> None:
    page.wait_for_function(
        "name => document.querySelector('[data-testid=current-user]')?.textContent.trim() === name",
        arg=name)


def open_call(page: Any, call_id: str) -> None:
    live.open_call(page, call_id)


def tap(page: Any, status: str) -> None:
    page.get_by_test_id(f"status-{status}").click()
    page.wait_for_function(f"document.querySelector('[data-testid=status-{status}]')"
                           ".getAttribute('aria-pressed') === 'true'")


def write_note(page: Any, text: str) -> None:
    page.get_by_test_id("note-input").fill(text)
    page.get_by_test_id("note-save").click()
    page.get_by_test_id("note-item").filter(has_text=text).wait_for()


def hold_backup_key(page: Any) -> None:
    """Hold the backup button from the keyboard, as a crew member with a keyboard case does
    (the pointer's hold, and a banner appearing above it mid-hold: test_backup_requests.py)."""
    page.get_by_test_id("backup-button").focus()
    page.keyboard.down(" ")
    page.wait_for_timeout(HOLD_MS)
    page.keyboard.up(" ")


def lock_and_unlock_as(page: Any, username: str, name: str) -> None:
    page.get_by_test_id("lock-now").click()
    live.unlock(page, username=username)
    header_names(page, name)


def test_two_crew_members_capture_offline_in_turn_and_each_entry_is_credited_to_its_author(
        server: live.LiveServer, context: Any, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    tag = uuid.uuid4().hex[:6]
    clinician_note = f"Client agreed to a follow-up visit {tag}"
    peer_note = f"Brought water, sat with the family {tag}"

    live.sign_in(page, server.url, CLINICIAN)
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    header_names(page, CLINICIAN_NAME)
    # The peer joins on the same tablet (online, once): from now on the header names the peer.
    page.goto("/#/settings")
    page.get_by_test_id("add-crew").click()
    page.get_by_test_id("login-username").fill(PEER)
    page.get_by_test_id("login-password").fill(live.PASSWORD)
    page.get_by_test_id("login-submit").click()
    header_names(page, PEER_NAME)
    page.get_by_test_id("crew-list").filter(has_text=PEER_NAME).wait_for()
    screenshot(page, "shared-tablet-peer-added")
    page.goto("/#/calls")
    page.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]').wait_for()

    context.set_offline(True)
    open_call(page, call_id)
    tap(page, "en_route")
    write_note(page, peer_note)
    lock_and_unlock_as(page, CLINICIAN, CLINICIAN_NAME)
    open_call(page, call_id)
    tap(page, "on_scene")
    write_note(page, clinician_note)
    page.get_by_test_id("note-item").filter(has_text=clinician_note).get_by_test_id(
        "note-author").filter(has_text=CLINICIAN_NAME).wait_for()
    assert page.get_by_test_id("status-en_route-by").inner_text() == PEER_NAME
    assert live.unsent(page) == 4
    screenshot(page, "shared-tablet-offline-two-authors")
    hold_backup_key(page)  # the clinician asks for backup with no signal: queued
    page.locator('[data-testid="backup-state"][data-stage="queued"]').wait_for()

    # The peer unlocks with signal: the peer's token carries the clinician's entries too.
    lock_and_unlock_as(page, PEER, PEER_NAME)
    context.set_offline(False)
    live.wait_synced(page)

    cid = uuid.UUID(call_id).hex
    people = dict(server.rows("SELECT username, id FROM users WHERE username IN (:a, :b)",
                              a=CLINICIAN, b=PEER))
    notes = {body: (str(uuid.UUID(note_id)), user_id) for body, note_id, user_id in server.rows(
        "SELECT body, id, user_id FROM call_notes WHERE call_id = :c", c=cid)}
    assert {body: user for body, (_, user) in notes.items()} == {
        clinician_note: people[CLINICIAN], peer_note: people[PEER]}
    audited = dict(server.rows("SELECT entity_id, actor_id FROM audit_entries "
                               "WHERE entity = 'call_note' AND action = 'create'"))
    assert {body: audited[note_id] for body, (note_id, _) in notes.items()} == {
        clinician_note: people[CLINICIAN], peer_note: people[PEER]}
    [(backup_id, requested_by)] = server.rows(
        "SELECT b.id, b.requested_by_id FROM backup_requests b JOIN units u ON u.id = b.unit_id "
        "WHERE u.call_sign = 'HEART-1' ORDER BY b.received_at DESC LIMIT 1")
    assert requested_by == people[CLINICIAN]  # sent under the peer's sign-in
    close_request(server, str(uuid.UUID(str(backup_id))))
    statuses = dict(server.rows("SELECT status, user_id FROM call_status_events "
                                "WHERE call_id = :c AND device_id IS NOT NULL", c=cid))
    assert statuses == {"en_route": people[PEER], "on_scene": people[CLINICIAN]}
    # The tablet shows each entry's author once the server's copies arrive.
    open_call(page, call_id)
    page.get_by_test_id("note-item").filter(has_text=clinician_note).get_by_test_id(
        "note-author").filter(has_text=CLINICIAN_NAME).wait_for()
    page.get_by_test_id("note-item").filter(has_text=peer_note).get_by_test_id(
        "note-author").filter(has_text=PEER_NAME).wait_for()
    assert page.get_by_test_id("status-on_scene-by").inner_text() == CLINICIAN_NAME
    header_names(page, PEER_NAME)
    screenshot(page, "shared-tablet-synced-credited")
