"""The web app's sync in Chromium against PostgreSQL: a tablet's 10,000 queued entries drained,
the sync pass run to its end, and a fresh tablet's first pull of a 500-call scope.

Set-up: a bench database (bench/_common.py) with two units on shift. SYNC-1 has 20 open calls;
PULL-1 has the scope of bench/first_pull.py (500 calls on shared premises with history, status
events and notes, 10,000 recent location points, the catalog and the kit). gunicorn (2 workers)
serves the API and pwa/dist (built first if older than pwa/src); system Chromium, headless.

Drain: a SYNC-1 responder signs in and the first pull completes; the network goes off; 10,000
entries are queued (location points and notes on the unit's calls, 9:1), written into the
tablet's write-only box as captures made while locked are, and sealed under the data key at the
next unlock, as the app does. Then the network comes back: `drain_10k_s` runs from then until
the tablet shows 0 unsent and the server holds all 10,000; `pass_end_10k_s` until the sync pass
has nothing left to do (no pass running, nothing unsent). First pull: a PULL-1 responder signs
in on a fresh browser profile; `first_pull_s` runs from pressing "Sign in" until the pull is
done (every call stored, no pass running).

Baselines in the same run, from Python over HTTP to the same server: `push_baseline_s`, another
SYNC-1 device pushing the same mix of 10,000 ops in batches of 500; `pull_baseline_s`, a fresh
PULL-1 device pulling its scope in pages of 2,000 (the app's page size) with gzip. Ratios:
`drain_ratio` = drain / push baseline, `first_pull_ratio` = first pull / pull baseline (what
the browser adds: sealing, IndexedDB, the screens).

Usage: .venv/bin/python bench/pwa_sync.py [--entries 10000]
Last line: {"bench": "pwa_sync", "drain_10k_s": ..., "pass_end_10k_s": ..., "first_pull_s": ...}
Targets: drain < 2.5 s, pass end < 3 s, first pull < 2 s.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PASSWORD,
    ROOT,
    Gunicorn,
    OpMaker,
    app_for,
    bench_database,
    dsn,
    emit,
    login,
    push_body,
    seed_unit_with_responders,
)
from first_pull import pull_all, seed_calls, seed_points

sys.path.insert(0, str(ROOT))
from tests.e2e import live

TARGETS = {"drain_10k_s": 2.5, "pass_end_10k_s": 3.0, "first_pull_s": 2.0}
# The app's pull page (pwa/src/sync/engine.ts PULL_LIMIT) and the protocol's push batch.
PULL_LIMIT = 2000
PUSH_BATCH = 500
# Location points to notes in the queue.
NOTE_EVERY = 10
CALLS = 20
# How often the page and the database are looked at while a phase runs.
POLL_S = 0.02
NOTE_BODY = "Client engaged, accepted water and a referral to the shelter."

#: Queues entries the way a capture while locked does (pwa/src/db/capture.ts into the write-only
#: box, pwa/src/crypto/box.ts): an outbox op and a local record per entry, next seqs, and the mark
#: that makes the next unlock reseal them under the data key. One ephemeral key serves every value
#: here (the format carries it per value), so queueing 10,000 takes seconds, not minutes.
QUEUE_JS = """
async ({n, noteEvery, callIds, authorId, authorName, body}) => {
  const db = await new Promise((res, rej) => {
    const r = indexedDB.open('heart-field');
    r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error);
  });
  const get = (store, key) => new Promise((res) => {
    const q = db.transaction(store).objectStore(store).get(key); q.onsuccess = () => res(q.result?.value);
  });
  const box = await get('meta', 'box');
  const lastSeq = (await get('meta', 'last_seq')) ?? 0;
  const node = String((await get('meta', 'device_id')) ?? 'local');
  const reseal = (await get('meta', 'reseal')) ?? 0;
  const b64 = (u8) => u8.toBase64();
  const curve = {name: 'ECDH', namedCurve: 'P-256'};
  const recipient = await crypto.subtle.importKey(
    'raw', Uint8Array.fromBase64(box.publicKey), curve, false, []);
  const eph = await crypto.subtle.generateKey(curve, true, ['deriveBits']);
  const ephRaw = new Uint8Array(await crypto.subtle.exportKey('raw', eph.publicKey));
  const shared = await crypto.subtle.deriveBits({name: 'ECDH', public: recipient}, eph.privateKey, 256);
  const hkdf = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const aes = await crypto.subtle.deriveKey(
    {name: 'HKDF', hash: 'SHA-256', salt: ephRaw, info: new TextEncoder().encode('heart-field box1')},
    hkdf, {name: 'AES-GCM', length: 256}, false, ['encrypt']);
  const enc = new TextEncoder();
  const boxSeal = async (value) => {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({name: 'AES-GCM', iv}, aes, enc.encode(JSON.stringify(value)));
    return `box1:${b64(ephRaw)}:${b64(iv)}:${b64(new Uint8Array(ct))}`;
  };
  const uuid7 = (ms) => {
    const r = crypto.getRandomValues(new Uint8Array(10));
    const h = [...r].map((x) => x.toString(16).padStart(2, '0')).join('');
    const t = ms.toString(16).padStart(12, '0');
    const variant = (8 | (r[2] & 3)).toString(16);
    return `${t.slice(0, 8)}-${t.slice(8)}-7${h.slice(0, 3)}-${variant}${h.slice(5, 8)}-${h.slice(8, 20)}`;
  };
  const start = Date.now() - n;
  const outbox = [], points = [], notes = [];
  let hlc = null;
  for (let i = 0; i < n; i++) {
    const ms = start + i, seq = lastSeq + 1 + i, recordId = uuid7(ms), at = new Date(ms).toISOString();
    hlc = `${String(ms).padStart(13, '0')}-0000-${node}`;
    const note = i % noteEvery === noteEvery - 1;
    const data = note ? {call_id: callIds[i % callIds.length], body}
                      : {lat: 35.99 + (i % 1000) * 1e-5, lon: -78.9 - (i % 777) * 1e-5, accuracy_m: 5};
    const op = {id: uuid7(ms), seq, hlc, kind: note ? 'call_note' : 'location_point', action: 'create',
                record_id: recordId, base_version: null, device_time: at, author_id: authorId, data};
    outbox.push({seq, recordId, sealed: await boxSeal(op), state: 'queued'});
    if (note) {
      const sealed = await boxSeal({body, user_id: authorId, author_name: authorName, at});
      notes.push({id: recordId, rawId: recordId, version: null, clear: {id: recordId, call_id: data.call_id},
                  sealed, local: true, callId: data.call_id});
    } else {
      const {lat, lon, accuracy_m} = data;
      points.push({id: recordId, rawId: recordId, version: null, clear: {id: recordId},
                   sealed: await boxSeal({lat, lon, accuracy_m, at}), local: true});
    }
  }
  await new Promise((res, rej) => {
    const tx = db.transaction(['outbox', 'locationPoints', 'notes', 'meta'], 'readwrite');
    for (const row of outbox) tx.objectStore('outbox').add(row);
    for (const row of points) tx.objectStore('locationPoints').put(row);
    for (const row of notes) tx.objectStore('notes').put(row);
    tx.objectStore('meta').put({key: 'last_seq', value: lastSeq + n});
    tx.objectStore('meta').put({key: 'hlc', value: hlc});
    tx.objectStore('meta').put({key: 'reseal', value: reseal + 1});
    tx.oncomplete = res; tx.onerror = () => rej(tx.error);
  });
  db.close();
  return lastSeq + n;
}
"""

#: Rows of an IndexedDB store matching a test, counted in the page.
COUNT_JS = """
async ([store, boxed]) => {
  const db = await new Promise((res) => {
    const r = indexedDB.open('heart-field'); r.onsuccess = () => res(r.result);
  });
  const rows = await new Promise((res) => {
    const q = db.transaction(store).objectStore(store).getAll(); q.onsuccess = () => res(q.result);
  });
  db.close();
  return boxed ? rows.filter((r) => String(r.sealed).startsWith('box1:')).length : rows.length;
}
"""


def launch(p: Any, profile: Path, base_url: str) -> Any:
    # bypass_csp: wait_for_function evaluates its predicate with eval in the page, which the
    # app's Content-Security-Policy forbids (the policy is checked in tests/e2e).
    return p.chromium.launch_persistent_context(
        str(profile), executable_path=live.CHROMIUM, args=live.CHROMIUM_ARGS, headless=True,
        base_url=base_url, viewport=live.VIEWPORT, bypass_csp=True)


def idle(page: Any) -> bool:
    """No sync pass running and nothing unsent, as the status bar shows it."""
    return bool(page.evaluate("""() => {
        const u = document.querySelector('[data-testid=unsent-count]');
        return !!u && Number(u.getAttribute('data-count') || 0) === 0
            && !document.querySelector('[data-testid=sync-progress]');
    }"""))


def unsent(page: Any) -> int:
    return int(page.evaluate("""() => Number(document.querySelector('[data-testid=unsent-count]')
        ?.getAttribute('data-count') ?? -1)"""))


def stored_entries(db: str, device_id: str) -> int:
    with psycopg.connect(dsn(db)) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM location_points WHERE device_id = %(d)s)"
            " + (SELECT count(*) FROM call_notes WHERE device_id = %(d)s)", {"d": device_id}
        ).fetchone()
    return int(row[0]) if row else 0


def device_of(db: str, username: str) -> tuple[int, str, str]:
    """(user id, full name, id of the device it signed in on last)."""
    with psycopg.connect(dsn(db)) as conn:
        row = conn.execute(
            "SELECT u.id, u.full_name, d.id FROM users u JOIN devices d ON d.last_user_id = u.id"
            " WHERE u.username = %s ORDER BY d.registered_at DESC LIMIT 1", (username,)).fetchone()
    assert row is not None, f"no device for {username}"
    return int(row[0]), str(row[1]), str(row[2])


class Timeline:
    """When each sync request left the page and when its answer was in (time.perf_counter()):
    where a phase's time goes, between the server and the page's own work."""

    def __init__(self, page: Any) -> None:
        self.sent: dict[Any, tuple[str, float]] = {}
        self.done: list[tuple[str, float, float]] = []  # (push | pull, sent, answered)
        page.on("request", self._sent)
        page.on("requestfinished", self._finished)

    def _sent(self, request: Any) -> None:
        for name in ("push", "pull"):
            if f"/api/v1/sync/{name}" in request.url:
                self.sent[request] = (name, time.perf_counter())

    def _finished(self, request: Any) -> None:
        if request in self.sent:
            name, at = self.sent.pop(request)
            self.done.append((name, at, time.perf_counter()))

    def report(self, t0: float, until: float) -> str:
        """Requests per kind, time in flight, and the page's own time between them."""
        rows = sorted((r for r in self.done if r[1] >= t0), key=lambda r: r[1])
        if not rows:
            return "no sync requests"
        parts = [f"first request {rows[0][1] - t0:.2f} s after the start"]
        for name in ("push", "pull"):
            mine = [r for r in rows if r[0] == name]
            if mine:
                parts.append(f"{len(mine)} {name}es in flight {sum(b - a for _, a, b in mine):.2f} s")
        gaps = sum(max(0.0, nxt[1] - cur[2]) for cur, nxt in itertools.pairwise(rows))
        parts.append(f"page's own time between requests {gaps:.2f} s, "
                     f"after the last {until - rows[-1][2]:.2f} s")
        return "; ".join(parts)


class Profile:
    """The page's JavaScript sampled through the DevTools protocol while a phase runs
    (`--profile`): the functions that held the main thread longest, by self time."""

    TOP = 15  # functions listed

    def __init__(self, page: Any, enabled: bool) -> None:
        self.cdp = page.context.new_cdp_session(page) if enabled else None
        if self.cdp:
            self.cdp.send("Profiler.enable")
            self.cdp.send("Profiler.start")

    def report(self) -> str:
        if not self.cdp:
            return ""
        profile = self.cdp.send("Profiler.stop")["profile"]
        nodes = {n["id"]: n for n in profile["nodes"]}
        self_ms: dict[str, float] = {}
        times = profile["timeDeltas"]
        for sample, delta in zip(profile["samples"], [*times[1:], 0], strict=True):
            frame = nodes[sample]["callFrame"]
            where = (f"{frame['functionName'] or '(anonymous)'} "
                     f"{frame['url'].rsplit('/', 1)[-1]}:{frame['lineNumber'] + 1}")
            self_ms[where] = self_ms.get(where, 0.0) + delta / 1000
        total = sum(self_ms.values())
        top = sorted(self_ms.items(), key=lambda kv: -kv[1])[:self.TOP]
        return f"sampled {total:.0f} ms:\n" + "\n".join(f"  {ms:7.0f} ms  {name}"
                                                       for name, ms in top)


def wait(check: Any, timeout_s: float, what: str) -> float:
    """Polls `check` every POLL_S; returns time.perf_counter() when it first held."""
    deadline = time.perf_counter() + timeout_s
    while True:
        if check():
            return time.perf_counter()
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(POLL_S)


def drain(p: Any, work: Path, server: Gunicorn, db: str, username: str, call_ids: list[str],
          n: int, profile: bool) -> tuple[float, float]:
    ctx = launch(p, work / "drain-profile", server.url)
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        live.sign_in(page, server.url, username, PASSWORD)
        live.wait_controlled(page)
        live.unlock_if_locked(page, PASSWORD, username)
        wait(lambda: idle(page), 60, "the first pull")
        user_id, full_name, device_id = device_of(db, username)
        ctx.set_offline(True)
        t0 = time.perf_counter()
        page.evaluate(QUEUE_JS, {"n": n, "noteEvery": NOTE_EVERY, "callIds": call_ids,
                                 "authorId": user_id, "authorName": full_name, "body": NOTE_BODY})
        page.reload()
        page.get_by_test_id("unlock-form").wait_for()
        page.get_by_test_id("unlock-username").fill(username)
        page.get_by_test_id("unlock-password").fill(PASSWORD)
        page.get_by_test_id("unlock-submit").click()
        page.get_by_test_id("current-user").wait_for(timeout=300_000)
        wait(lambda: page.evaluate(COUNT_JS, ["outbox", True]) == 0, 300, "the unlock's reseal")
        wait(lambda: unsent(page) == n, 60, f"{n} unsent shown")
        print(f"queued {n} entries offline and unlocked in {time.perf_counter() - t0:.1f} s",
              flush=True)

        timeline = Timeline(page)
        sampled = Profile(page, profile)
        t0 = time.perf_counter()
        ctx.set_offline(False)
        t_unsent = wait(lambda: unsent(page) == 0, 120, "0 unsent")
        t_stored = wait(lambda: stored_entries(db, device_id) == n, 60, "all entries stored")
        t_idle = wait(lambda: idle(page), 120, "the end of the sync pass")
        print(f"drain timeline: {timeline.report(t0, t_idle)}", flush=True)
        print(sampled.report(), flush=True)
        return max(t_unsent, t_stored) - t0, t_idle - t0
    finally:
        ctx.close()


def first_pull(p: Any, work: Path, server: Gunicorn, username: str, calls: int,
               profile: bool) -> float:
    ctx = launch(p, work / "pull-profile", server.url)
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.goto("/")
        page.get_by_test_id("login-username").fill(username)
        page.get_by_test_id("login-password").fill(PASSWORD)
        timeline = Timeline(page)
        sampled = Profile(page, profile)
        t0 = time.perf_counter()
        page.get_by_test_id("login-submit").click()
        page.get_by_test_id("current-user").wait_for(timeout=60_000)
        done = wait(lambda: idle(page) and page.evaluate(COUNT_JS, ["calls", False]) >= calls,
                    120, "the first pull")
        print(f"first pull timeline: {timeline.report(t0, done)}", flush=True)
        print(sampled.report(), flush=True)
        return done - t0
    finally:
        ctx.close()


def push_baseline(base: str, username: str, call_ids: list[str], n: int) -> float:
    """The same mix of n ops pushed from Python in batches of PUSH_BATCH, one device."""
    token, device = login(base, username, "baseline tablet")
    maker = OpMaker(device[:8])
    rng = random.Random(11)
    ops = [maker.op("call_note", {"call_id": rng.choice(call_ids), "body": NOTE_BODY})
           if i % NOTE_EVERY == NOTE_EVERY - 1 else maker.point(i) for i in range(n)]
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    t0 = time.perf_counter()
    for start in range(0, n, PUSH_BATCH):
        r = http.post(base + "/api/v1/sync/push", data=push_body(ops[start:start + PUSH_BATCH]),
                      headers=headers, timeout=60)
        if r.status_code != 200 or {x["outcome"] for x in r.json()["results"]} != {"applied"}:
            raise SystemExit(f"baseline push failed: {r.status_code} {r.text[:300]}")
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=500, help="calls in the first pull's scope")
    parser.add_argument("--points", type=int, default=10_000, help="points in the first pull's scope")
    parser.add_argument("--profile", action="store_true",
                        help="sample the page's JavaScript in each phase (build pwa/dist unminified "
                             "for readable names: npx vite build --minify false)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    live.ensure_pwa_built()
    with bench_database("pwa_sync") as db, tempfile.TemporaryDirectory(prefix="heart-bench-sync-") as tmp:
        app = app_for(db)
        _, sync_names, call_ids = seed_unit_with_responders(app, 2, "SYNC-1", calls=CALLS)
        pull_unit, pull_names, _ = seed_unit_with_responders(app, 2, "PULL-1")
        seed_calls(app, pull_unit, args.calls)
        seed_points(db, pull_unit, args.points)
        server = Gunicorn(db, workers=2)
        try:
            with sync_playwright() as p:
                drain_s, pass_end_s = drain(p, Path(tmp), server, db, sync_names[0], call_ids,
                                            args.entries, args.profile)
                first_pull_s = first_pull(p, Path(tmp), server, pull_names[0], args.calls,
                                          args.profile)
            push_s = push_baseline(server.url, sync_names[1], call_ids, args.entries)
            token, _ = login(server.url, pull_names[1], "baseline fresh tablet")
            pull_s, _wire, _raw, kinds, pages = pull_all(server.url, token, PULL_LIMIT)
        finally:
            server.stop()

    print(f"drain of {args.entries} queued entries: {drain_s:.2f} s (push of the same from "
          f"Python: {push_s:.2f} s, ratio {drain_s / push_s:.2f}); sync pass ended at "
          f"{pass_end_s:.2f} s")
    print(f"first pull of {args.calls} calls and {args.points} points: {first_pull_s:.2f} s "
          f"(the same pull from Python: {pull_s:.2f} s in {pages} pages, "
          f"{sum(kinds.values())} changes; ratio {first_pull_s / pull_s:.2f})")
    result = {"drain_10k_s": drain_s, "pass_end_10k_s": pass_end_s, "first_pull_s": first_pull_s}
    for name, value in result.items():
        print(f"{name}: {value:.2f} s, target < {TARGETS[name]} s: "
              f"{'met' if value < TARGETS[name] else 'NOT met'}")
    emit({"bench": "pwa_sync", **{k: round(v, 3) for k, v in result.items()},
          "push_baseline_s": round(push_s, 3), "pull_baseline_s": round(pull_s, 3),
          "drain_ratio": round(drain_s / push_s, 2),
          "first_pull_ratio": round(first_pull_s / pull_s, 2)})


if __name__ == "__main__":
    main()
