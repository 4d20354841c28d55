"""Several tabs, several tablets, an app update, a revoked tablet, and what a finder of a lost
tablet could read from its storage. Each checks the server's state, not only the screen."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from server.calls.seed import CALL_TYPES
from server.demo import narrative_for
from tests.e2e import live
from tests.e2e.test_offline_shift import capture_shift, server_has_once

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
# Every narrative the demo city and the test calls are made with.
DEMO_NARRATIVES = {narrative_for(code) for code, *_ in CALL_TYPES}


def signed_in_offline_ready(page: Any, server: live.LiveServer, username: str) -> None:
    live.sign_in(page, server.url, username)
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.get_by_test_id("call-list").wait_for()
    live.wait_synced(page)


def pushed_op_ids(context: Any) -> list[str]:
    """Collects the op ids of every push the server took (answered 200) from any page of the
    context: offline attempts fail before the server, and a 401 (expired token) applies nothing."""
    ids: list[str] = []

    def on_finished(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/api/v1/sync/push"):
            response = request.response()
            if response and response.status == 200:
                ids.extend(op["id"] for op in json.loads(request.post_data or "{}").get("ops", []))

    context.on("requestfinished", on_finished)
    return ids


def test_two_tabs_push_each_operation_once(
        server: live.LiveServer, context: Any, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_a, call_b = open_calls("HEART-1"), open_calls("HEART-1")
    signed_in_offline_ready(page, server, "emt1")
    second = context.new_page()
    second.goto("/")
    live.unlock(second)
    pushed = pushed_op_ids(context)

    context.set_offline(True)
    tag = uuid.uuid4().hex[:6]
    capture_shift(page, call_a, f"Tab one note {tag}", f"Tab one disposition {tag}")
    capture_shift(second, call_b, f"Tab two note {tag}", f"Tab two disposition {tag}")
    second.wait_for_function("Number(document.querySelector('[data-testid=unsent-count]')"
                             "?.getAttribute('data-count')) === 8")
    screenshot(second, "two-tabs-queued")

    # Back online: both tabs hear `online` at once and both try to sync.
    context.set_offline(False)
    live.wait_synced(page)
    live.wait_synced(second)
    live.eventually(lambda: len(pushed) >= 8, what="8 ops pushed")
    page.wait_for_timeout(1500)  # room for a second push of the same ops, which must not come
    assert len(pushed) == 8
    assert not [op for op, n in Counter(pushed).items() if n > 1], "an op was pushed twice"
    device = page.evaluate("""async () => {
        const db = await new Promise((res) => { const r = indexedDB.open('heart-field');
                                                 r.onsuccess = () => res(r.result); });
        const v = await new Promise((res) => { const q = db.transaction('meta').objectStore('meta')
                                                 .get('device_id'); q.onsuccess = () => res(q.result); });
        db.close(); return v.value ?? v; }""")
    dev = uuid.UUID(str(device)).hex
    # Edits keep their results; plain fact creates are answered on replay by their fact rows.
    assert server.scalar("SELECT count(*) FROM sync_op_results WHERE device_id = :d", d=dev) + sum(
        server.scalar(f"SELECT count(*) FROM {t} WHERE device_id = :d", d=dev)  # noqa: S608
        for t in ("call_status_events", "call_notes", "location_points")) == 8
    assert server.scalar("SELECT last_seq FROM sync_devices WHERE device_id = :d", d=dev) == 8
    assert server.scalar("SELECT count(*) FROM sync_rejected_ops WHERE device_id = :d", d=dev) == 0
    for call_id, which in ((call_a, "one"), (call_b, "two")):
        cid = uuid.UUID(call_id).hex
        assert server.scalar("SELECT count(*) FROM call_status_events WHERE call_id = :c AND device_id = :d",
                             c=cid, d=dev) == 2
        assert server.scalar("SELECT count(*) FROM call_notes WHERE call_id = :c AND body = :b",
                             c=cid, b=f"Tab {which} note {tag}") == 1
        assert server.scalar("SELECT disposition FROM calls WHERE id = :c", c=cid) == \
            f"Tab {which} disposition {tag}"


def test_conflict_on_two_tablets_is_shown_and_resolved(
        server: live.LiveServer, new_context: Callable[..., Any], open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    tablet_a, tablet_b = new_context(), new_context()
    a, b = tablet_a.new_page(), tablet_b.new_page()
    signed_in_offline_ready(a, server, "clinician1")
    signed_in_offline_ready(b, server, "peer1")
    tag = uuid.uuid4().hex[:6]
    mine, theirs = f"Declined services {tag}", f"Connected with shelter {tag}"

    # Tablet A is offline and edits the disposition; tablet B edits it from the same version online.
    tablet_a.set_offline(True)
    live.open_call(a, call_id)
    a.get_by_test_id("disposition-input").fill(mine)
    a.get_by_test_id("disposition-save").click()
    live.open_call(b, call_id)
    b.get_by_test_id("disposition-input").fill(theirs)
    b.get_by_test_id("disposition-save").click()
    cid = uuid.UUID(call_id).hex
    live.eventually(lambda: server.scalar("SELECT disposition FROM calls WHERE id = :c", c=cid) == theirs,
                    what="tablet B's disposition on the server")

    tablet_a.set_offline(False)
    live.wait_synced(a)
    # The responder sees at once that what they wrote was not kept: on the call, the field, the list
    # and the Review entry in the navigation, which counts what waits there.
    banner = a.get_by_test_id("call-conflict-banner")
    banner.wait_for()
    assert a.get_by_test_id("disposition-conflict").is_visible()
    assert a.get_by_test_id("review-count").inner_text().strip() == "1"
    screenshot(a, "call-with-conflict")
    a.get_by_test_id("call-back").click()
    a.locator(f'[data-call-id="{call_id}"]').get_by_test_id("call-conflict").wait_for()
    a.goto("/#/review")
    item = a.get_by_test_id("conflict-item").first
    item.wait_for()
    assert item.get_by_test_id("conflict-device-value").inner_text().strip() == mine
    assert item.get_by_test_id("conflict-server-value").inner_text().strip() == theirs
    screenshot(a, "review-conflict")
    conflict_id = item.get_attribute("data-conflict-id")
    item.get_by_test_id("resolve-device").click()
    a.get_by_test_id("conflict-item").wait_for(state="detached")
    a.get_by_test_id("review-count").wait_for(state="detached")

    supervisor = server.login("supervisor")["access_token"]
    r = server.api("GET", "/sync/conflicts", supervisor, params={"include_resolved": "true"})
    assert r.ok, r.text
    resolved = [c for c in r.json() if c["id"] == conflict_id]
    assert len(resolved) == 1, r.json()
    assert resolved[0]["resolution"] == "device"
    assert server.scalar("SELECT disposition FROM calls WHERE id = :c", c=cid) == mine
    live.wait_synced(b)


def test_a_conflict_on_a_call_moved_to_another_unit_is_left_to_a_supervisor(
        server: live.LiveServer, new_context: Callable[..., Any], open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    tablet = new_context()
    page = tablet.new_page()
    signed_in_offline_ready(page, server, "clinician1")
    tag = uuid.uuid4().hex[:6]
    mine, theirs = f"Declined services {tag}", f"Transported by HEART-2 {tag}"

    # Offline, the crew edits the disposition; dispatch moves the call to HEART-2, which sets its own.
    tablet.set_offline(True)
    live.open_call(page, call_id)
    page.get_by_test_id("disposition-input").fill(mine)
    page.get_by_test_id("disposition-save").click()
    dispatcher = server.login("dispatcher")["access_token"]
    heart2 = server.scalar("SELECT id FROM units WHERE call_sign = 'HEART-2'")
    moved = server.api("PATCH", f"/calls/{call_id}", dispatcher,
                       json={"unit_id": heart2, "disposition": theirs})
    assert moved.ok, moved.text

    tablet.set_offline(False)
    live.wait_synced(page)
    page.goto("/#/review")
    item = page.get_by_test_id("conflict-item").first
    item.wait_for()
    screenshot(page, "review-conflict-for-supervisor")

    assert item.get_by_test_id("conflict-device-value").inner_text().strip() == mine
    assert item.get_by_test_id("conflict-for-supervisor").is_visible()
    assert item.get_by_test_id("resolve-device").count() == 0
    assert item.get_by_test_id("conflict-server-value").count() == 0
    assert theirs not in page.content()
    assert server.scalar("SELECT disposition FROM calls WHERE id = :c", c=uuid.UUID(call_id).hex) == theirs


def test_app_update_with_queued_operations_loses_none(
        server: live.LiveServer, context: Any, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    signed_in_offline_ready(page, server, "clinician1")
    tag = uuid.uuid4().hex[:6]
    note, disposition = f"Queued across an update {tag}", f"Resolved on scene {tag}"
    sw = server.dist / "sw.js"
    original = sw.read_bytes()
    server.gate.api_down = True  # the shell is served, the API does not answer: ops stay queued
    try:
        capture_shift(page, call_id, note, disposition)
        assert live.unsent(page) == 4
        # A new release: a service worker that differs by a byte installs and waits.
        sw.write_bytes(original + f"\n// release {tag}\n".encode())
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        page.get_by_test_id("update-banner").wait_for()
        screenshot(page, "update-ready")
        page.get_by_test_id("update-apply").click()
        page.get_by_test_id("update-confirm").click()  # something is unsent: it asks first
        live.unlock(page)  # the page reloaded under the new worker
        page.wait_for_function("navigator.serviceWorker.getRegistration()"
                               ".then((r) => r.waiting === null && r.active !== null)")
        assert page.get_by_test_id("update-banner").count() == 0
        assert live.unsent(page) == 4
    finally:
        server.gate.api_down = False
    live.wait_synced(page)
    server_has_once(server, call_id, note, disposition)


def test_indexeddb_holds_no_clinical_text_in_clear(
        server: live.LiveServer, context: Any, page: Any, open_calls: Callable[[str], str]) -> None:
    call_id = open_calls("HEART-1")
    signed_in_offline_ready(page, server, "peer1")
    narrative = server.scalar("SELECT narrative FROM calls WHERE id = :c", c=uuid.UUID(call_id).hex)
    assert narrative in DEMO_NARRATIVES
    context.set_offline(True)
    tag = uuid.uuid4().hex[:6]
    note, disposition = f"Disclosed overdose history {tag}", f"Transported to crisis center {tag}"
    capture_shift(page, call_id, note, disposition)
    assert page.get_by_test_id("call-narrative").inner_text().find(narrative) >= 0

    dump = page.evaluate(live.DUMP_INDEXEDDB_JS)
    stores = {(d["db"], d["store"]) for d in dump}
    assert ("heart-field", "calls") in stores, stores
    assert ("heart-field", "outbox") in stores, stores
    text = "\n".join(row for d in dump for row in d["rows"])
    assert sum(len(d["rows"]) for d in dump if d["store"] == "calls") > 10
    assert "enc1:" in text
    for secret in [*DEMO_NARRATIVES, note, disposition, "Neighbor engaged", live.PASSWORD]:
        assert secret not in text, f"clear text in IndexedDB: {secret!r}"
    # Tokens are sealed too: no JWT (three base64url parts, the first one JSON) in clear.
    assert not re.search(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+", text)


def named_tablet_ready(page: Any, server: live.LiveServer, username: str, name: str) -> str:
    """Signs in on a new tablet, naming it at its first sign-in; the device's id."""
    page.goto(f"{server.url}/")
    page.get_by_test_id("login-device-name").fill(name)
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(live.PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("current-user").wait_for()
    live.wait_controlled(page)
    live.unlock_if_locked(page, username=username)
    page.get_by_test_id("call-list").wait_for()
    live.wait_synced(page)
    return str(uuid.UUID(str(server.scalar("SELECT id FROM devices WHERE name = :n", n=name))))


def synced_until_wiped(page: Any, timeout_s: float = 30) -> Any:
    """Back online the tablet syncs by itself (the `online` event); "Sync now" is pressed only
    while it is there and enabled. Returns the wiped notice once shown."""
    notice = page.get_by_test_id("wiped-notice")
    deadline = time.monotonic() + timeout_s
    while not notice.count():
        assert time.monotonic() < deadline, "the tablet did not wipe itself"
        # One step in the page: the button may go (the wipe) between a check and a click.
        page.evaluate("() => { const b = document.querySelector('[data-testid=sync-now]');"
                      " if (b && !b.disabled) b.click(); }")
        page.wait_for_timeout(300)
    return notice


def listed_device(server: live.LiveServer, token: str, device_id: str) -> dict[str, Any]:
    r = server.api("GET", "/devices", token)
    assert r.ok, r.text
    [row] = [d for d in r.json() if d["id"] == device_id]
    return dict(row)


def test_a_tablet_revoked_as_lost_wipes_itself_and_says_what_was_not_sent(
        server: live.LiveServer, new_context: Callable[..., Any], open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-2")
    tablet = new_context()
    page = tablet.new_page()
    tag = uuid.uuid4().hex[:6]
    device_id = named_tablet_ready(page, server, "clinician2", f"Van 3 tablet {tag}")
    tablet.set_offline(True)
    note, disposition = f"Never sent {tag}", f"Never kept {tag}"
    capture_shift(page, call_id, note, disposition)
    assert live.unsent(page) == 4

    supervisor = server.login("supervisor")["access_token"]
    r = server.api("POST", f"/devices/{device_id}/revoke", supervisor, json={"reason": "lost"})
    assert r.ok, r.text
    tablet.set_offline(False)
    notice = synced_until_wiped(page)
    page.get_by_test_id("login-form").wait_for()
    screenshot(page, "revoked-lost-wiped")

    assert notice.get_attribute("data-revocation") == "lost"
    assert notice.get_attribute("data-unsent") == "4"
    assert "lost or stolen" in notice.inner_text()
    assert page.get_by_test_id("wiped-unsent").inner_text() == "Entries not yet sent, erased with it: 4."
    dump = page.evaluate(live.DUMP_INDEXEDDB_JS)
    assert all(not d["rows"] for d in dump), [(d["store"], len(d["rows"])) for d in dump if d["rows"]]
    assert server.scalar("SELECT count(*) FROM call_notes WHERE body = :b", b=note) == 0
    row = listed_device(server, supervisor, device_id)
    assert (row["name"], row["revocation_reason"], row["revoked_by_name"]) == (
        f"Van 3 tablet {tag}", "lost",
        server.scalar("SELECT full_name FROM users WHERE username = 'supervisor'"))
    assert row["last_user_name"] == server.scalar(
        "SELECT full_name FROM users WHERE username = 'clinician2'")


def test_a_retired_tablet_sends_what_it_holds_then_wipes_and_says_so(
        server: live.LiveServer, new_context: Callable[..., Any], open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    tablet = new_context()
    page = tablet.new_page()
    tag = uuid.uuid4().hex[:6]
    device_id = named_tablet_ready(page, server, "emt1", f"Old van tablet {tag}")
    tablet.set_offline(True)
    note, disposition = f"Sent before retiring {tag}", f"Kept after retiring {tag}"
    capture_shift(page, call_id, note, disposition)
    assert live.unsent(page) == 4
    screenshot(page, "retired-before-sending")

    supervisor = server.login("supervisor")["access_token"]
    r = server.api("POST", f"/devices/{device_id}/revoke", supervisor, json={"reason": "retired"})
    assert r.ok, r.text
    tablet.set_offline(False)
    notice = synced_until_wiped(page)
    page.get_by_test_id("login-form").wait_for()
    screenshot(page, "retired-sent-and-wiped")

    assert notice.get_attribute("data-revocation") == "retired"
    assert notice.get_attribute("data-unsent") == "0"
    assert "retired" in notice.inner_text()
    server_has_once(server, call_id, note, disposition)
    dump = page.evaluate(live.DUMP_INDEXEDDB_JS)
    assert all(not d["rows"] for d in dump), [(d["store"], len(d["rows"])) for d in dump if d["rows"]]
    # It signed out once everything was sent: no sign-in on it is live any more.
    assert server.scalar("SELECT count(*) FROM device_sessions WHERE device_id = :d "
                         "AND revoked_at IS NULL AND signed_out_at IS NULL",
                         d=uuid.UUID(device_id).hex) == 0
    row = listed_device(server, supervisor, device_id)
    assert (row["revocation_reason"], row["revoked_at"] is not None) == ("retired", True)
