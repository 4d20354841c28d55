"""A whole shift without signal: capture offline, reload, unlock, idle lock, an expired token,
reconnect, and the server has every entry exactly once."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live
from tests.e2e.conftest import ACCESS_SECONDS

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

IDLE_MINUTES = 0.05  # 3 s


def capture_shift(page: Any, call_id: str, note: str, disposition: str) -> None:
    """En route, on scene, a note and a disposition, as a responder taps them."""
    live.open_call(page, call_id)
    for status in ("en_route", "on_scene"):
        page.get_by_test_id(f"status-{status}").click()
        page.wait_for_function(f"document.querySelector('[data-testid=status-{status}]')"
                               ".getAttribute('aria-pressed') === 'true'")
    page.get_by_test_id("note-input").fill(note)
    page.get_by_test_id("note-save").click()
    page.get_by_test_id("note-item").filter(has_text=note).wait_for()
    page.get_by_test_id("disposition-input").fill(disposition)
    page.get_by_test_id("disposition-save").click()
    page.wait_for_function("Number(document.querySelector('[data-testid=unsent-count]')"
                           "?.getAttribute('data-count')) >= 4")


def server_has_once(server: live.LiveServer, call_id: str, note: str, disposition: str) -> None:
    cid = uuid.UUID(call_id).hex
    live.eventually(
        lambda: server.scalar("SELECT disposition FROM calls WHERE id = :c", c=cid) == disposition,
        what="the disposition on the server")
    statuses = [s for (s,) in server.rows(
        "SELECT status FROM call_status_events WHERE call_id = :c AND device_id IS NOT NULL "
        "ORDER BY corrected_time", c=cid)]
    assert statuses == ["en_route", "on_scene"], statuses
    assert server.scalar("SELECT count(*) FROM call_notes WHERE call_id = :c AND body = :b",
                         c=cid, b=note) == 1
    call = server.rows("SELECT status, disposition FROM calls WHERE id = :c", c=cid)[0]
    assert (call.status, call.disposition) == ("on_scene", disposition)


#: Every object store of the app's database, read raw in the page as a finder of the tablet could.
RAW_INDEXEDDB = """() => new Promise((res, rej) => {
    const r = indexedDB.open('heart-field');
    r.onerror = () => rej(r.error);
    r.onsuccess = () => {
        const idb = r.result, names = Array.from(idb.objectStoreNames);
        const tx = idb.transaction(names, 'readonly');
        const out = {};
        Promise.all(names.map((n) => new Promise((ok) => {
            const q = tx.objectStore(n).getAll();
            q.onsuccess = () => { out[n] = q.result; ok(); };
        }))).then(() => { idb.close(); res(JSON.stringify(out)); });
    };
})"""
#: An ISO date or time, as the server and the tablet write them.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?")


def stored_strings(value: Any) -> list[str]:
    """Every string and number stored anywhere (object keys included)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *stored_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in stored_strings(v)]
    return [] if value is None else [str(value)]


def nothing_readable(page: Any, server: live.LiveServer, call_id: str, *captured: str) -> None:
    """No call type, address, coordinate, hazard, narrative, crew name or time is stored in clear."""
    stores = json.loads(page.evaluate(RAW_INDEXEDDB))
    cid = uuid.UUID(call_id).hex
    call = server.rows(
        "SELECT t.name, p.address, p.lat, p.lon, c.narrative, p.id AS premise_id FROM calls c "
        "JOIN call_types t ON t.id = c.call_type_id JOIN premises p ON p.id = c.premise_id "
        "WHERE c.id = :c", c=cid)[0]
    hazards = [h for (h,) in server.rows(
        "SELECT description FROM premise_hazards WHERE premise_id = :p", p=call.premise_id)]
    names = [n for (n,) in server.rows("SELECT full_name FROM users WHERE full_name <> ''")]
    secrets = [call.name, call.address, str(call.lat), str(call.lon), call.narrative[:40],
               *hazards, *names, *captured]
    strings = stored_strings(stores)
    assert stores["calls"], "the raw read saw the calls"
    assert stores["outbox"], "the raw read saw the queued ops"
    for secret in secrets:
        assert not [s for s in strings if secret in s], secret
    assert not [s for s in strings if ISO_DATE.search(s)]


def test_offline_shift_reload_idle_lock_expired_token(
        server: live.LiveServer, context: Any, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    note = f"Client calmer after water, agreed to follow-up {uuid.uuid4().hex[:6]}"
    disposition = f"Referred to community care {uuid.uuid4().hex[:6]}"

    live.sign_in(page, server.url, "clinician1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.locator(f'[data-testid="call-row"][data-call-id="{call_id}"]').wait_for()

    context.set_offline(True)
    capture_shift(page, call_id, note, disposition)
    queued = live.unsent(page)
    assert queued == 4
    page.wait_for_function("document.querySelector('[data-testid=sync-error]')"
                           "?.getAttribute('data-problem') === 'offline'", timeout=20_000)
    screenshot(page, "offline-call-detail-queued")

    # Reload with no network: the shell comes from the service worker, the data from IndexedDB.
    page.reload()
    live.unlock(page)
    live.open_call(page, call_id)
    assert page.get_by_test_id("status-on_scene").get_attribute("aria-pressed") == "true"
    page.get_by_test_id("note-item").filter(has_text=note).wait_for()
    assert page.get_by_test_id("disposition-input").input_value() == disposition
    assert live.unsent(page) == queued

    # Idle lock: a short idle time in the app's settings, then a fresh load picks it up.
    page.evaluate(f"""localStorage.setItem('heart.settings', JSON.stringify(
        {{...JSON.parse(localStorage.getItem('heart.settings') || '{{}}'), idleMinutes: {IDLE_MINUTES}}}))""")
    page.reload()
    live.unlock(page)
    page.get_by_test_id("unlock-form").wait_for(timeout=IDLE_MINUTES * 60_000 + 10_000)
    screenshot(page, "offline-idle-locked")
    # Locked and offline, as a lost tablet is found: nothing about the person or the place is readable.
    nothing_readable(page, server, call_id, note, disposition)
    # Let the access token the tablet holds expire (the server issues 5 s tokens).
    time.sleep(ACCESS_SECONDS + 1)
    assert server.scalar("SELECT count(*) FROM call_notes WHERE body = :b", b=note) == 0

    context.set_offline(False)
    seen = len(server.gate.requests)
    page.evaluate("""localStorage.setItem('heart.settings', JSON.stringify(
        {...JSON.parse(localStorage.getItem('heart.settings') || '{}'), idleMinutes: 5}))""")
    page.reload()
    live.unlock(page)
    live.wait_synced(page)
    server_has_once(server, call_id, note, disposition)
    # The token had expired: the app refreshed it on the way (it never had to sign in again).
    assert "POST /api/v1/auth/refresh" in server.gate.requests[seen:]
    assert "POST /api/v1/auth/login" not in server.gate.requests[seen:]
    # And once more after another pass (nothing is pushed twice).
    page.get_by_test_id("sync-now").click()
    page.wait_for_timeout(1000)
    live.wait_synced(page)
    server_has_once(server, call_id, note, disposition)
    screenshot(page, "offline-shift-synced")
