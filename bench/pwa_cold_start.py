"""Offline cold start of the web app with 1,000 cached calls, and its initial JavaScript size.

Set-up: a temporary SQLite database (migrated, demo city) with 1,000 more open calls for HEART-1,
served from a copy of pwa/dist by werkzeug in a thread (tests/e2e/live.py, the browser tests'
server); system Chromium with a persistent profile. `clinician1` signs in online and the app
pulls everything. Then each of the runs starts the browser afresh with the network off, opens
the app (shell from the service worker, data from IndexedDB), unlocks with the user name and
password (Argon2id included) and waits until the first call row is drawn.

Per run: `shell_ms` = navigation start to the unlock form, `unlock_ms` = unlock pressed to the
call list drawn (both from performance.now() in the page), `cold_ms` = their sum: the app's own
time, without the seconds a person takes to type. Median of `cold_ms` over the runs.

Baseline, in the same run and page: `floor_ms` = `shell_ms` + `raw_read_ms`, the time to read
every row the list draws from (calls, premises, status events) straight from IndexedDB, with no
unlock, decryption or drawing: what any offline start showing these calls pays. `ratio` =
median `cold_ms` / median `floor_ms` (the cost of the unlock, opening the sealed rows and drawing).

Breakdown per run, from the app's performance marks (pwa/src/lib/milestones.ts), each stage
from one mark to the next. The shell: `doc_ms` the document from the service worker, `js_ms` the
app's script, `db_ms` opening the database, `form_ms` drawing the unlock form. The unlock:
`kdf_load_ms` the unlock's reads and loading Argon2id's module, `kdf_ms` Argon2id itself (a
deliberate cost: about a quarter second on a tablet), `unwrap_ms` the key unwrap, `store_ms` what
unlock does with the key (tokens, the write-only box, resealing), `screen_ms` the shell and the
call list's module, `read_ms` / `open_ms` / `sort_ms` reading, opening (AES-GCM) and sorting the
calls, `draw_ms` until the first row is drawn. `app_ms` = `cold_ms` - `kdf_ms`: the app's own time.

Initial JS: index.html's <script src> and <link rel="modulepreload"> files, each gzipped (level 9,
as `gzip -9`), summed. Targets: median under 1,000 ms and initial JS under 100 KB gzip.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e import live  # noqa: E402  (after the path is set)

UNIT = "HEART-1"
USER = "clinician1"
TARGET_MS = 1000
TARGET_KB = 100


def initial_js(dist: Path) -> list[tuple[str, int, int]]:
    """(file, raw bytes, gzip bytes) for the entry script and what index.html preloads."""
    html = (dist / "index.html").read_text()
    srcs = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    srcs += [m for m in re.findall(r'<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"', html)
             if m not in srcs]
    srcs += [m for m in re.findall(r'<link[^>]*href="([^"]+)"[^>]*rel="modulepreload"', html)
             if m not in srcs]
    out = []
    for src in srcs:
        data = (dist / src.lstrip("/")).read_bytes()
        out.append((src, len(data), len(gzip.compress(data, compresslevel=9))))
    return out


def seed(app: Any) -> None:
    from server.extensions import db

    t0 = time.perf_counter()
    live.seed_open_calls(db.session(), UNIT, 1000, prefix="BENCH")
    print(f"seeded 1,000 calls for {UNIT} in {time.perf_counter() - t0:.1f} s", flush=True)


def launch(p: Any, profile: Path, base_url: str, offline: bool) -> Any:
    # bypass_csp: wait_for_function evaluates its predicate with eval in the page, which the
    # app's Content-Security-Policy forbids (the policy is checked in tests/e2e).
    return p.chromium.launch_persistent_context(
        str(profile), executable_path=live.CHROMIUM, args=live.CHROMIUM_ARGS, headless=True,
        base_url=base_url, viewport=live.VIEWPORT, offline=offline, bypass_csp=True)


def cached_calls(page: Any) -> int:
    return int(page.evaluate("""() => new Promise((res) => {
        const r = indexedDB.open('heart-field');
        r.onsuccess = () => { const q = r.result.transaction('calls').objectStore('calls').count();
                              q.onsuccess = () => { res(q.result); r.result.close(); }; };
    })"""))


#: Reads the list's tables raw in the page and returns the milliseconds it took.
RAW_READ = """() => new Promise((res) => {
    const t0 = performance.now();
    const r = indexedDB.open('heart-field');
    r.onsuccess = () => {
        const names = ['calls', 'premises', 'statusEvents'], tx = r.result.transaction(names);
        Promise.all(names.map((n) => new Promise((ok) => { tx.objectStore(n).getAll().onsuccess = ok; })))
            .then(() => { r.result.close(); res(performance.now() - t0); });
    };
})"""


#: (stage, from mark, to mark): consecutive milestones of an unlock and the list's first drawing.
STAGES = [
    ("kdf_load_ms", "unlock:start", "kdf:loaded"),
    ("kdf_ms", "kdf:loaded", "kdf:derived"),
    ("unwrap_ms", "kdf:derived", "unlock:key"),
    ("store_ms", "unlock:key", "unlock:session"),
    ("screen_ms", "unlock:session", "calls:screen"),
    ("read_ms", "calls:screen", "calls:read"),
    ("open_ms", "calls:read", "calls:opened"),
    ("sort_ms", "calls:opened", "calls:sorted"),
    ("draw_ms", "calls:sorted", "drawn"),
]

#: (stage, from, to) of the shell: the document (from the service worker), loading and running the
#: app's script, opening the database to know who is enrolled, drawing the unlock form.
SHELL_STAGES = [
    ("doc_ms", "start", "doc"),
    ("js_ms", "doc", "app:boot"),
    ("db_ms", "app:boot", "app:phase"),
    ("form_ms", "app:phase", "form"),
]

#: Every performance mark of the page: [name, time].
MARKS = "() => performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])"


def stages(marks: list[list[Any]], doc: float, form: float, pressed: float, drawn: float) -> dict[str, float]:
    """Milliseconds per stage, from the first of each mark (for the unlock's, after it was pressed)."""
    shell: dict[str, float] = {"start": 0.0, "doc": doc, "form": form}
    unlock: dict[str, float] = {"drawn": drawn}
    for name, at in marks:
        book = unlock if at >= pressed else shell
        book.setdefault(name, at)
    return {stage: book[b] - book[a] for book, table in ((shell, SHELL_STAGES), (unlock, STAGES))
            for stage, a, b in table if a in book and b in book}


def one_run(p: Any, profile: Path, base_url: str) -> dict[str, float]:
    ctx = launch(p, profile, base_url, offline=True)
    try:
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        page.goto("/")
        shell_ms = page.wait_for_function(
            "() => document.querySelector('[data-testid=unlock-password]') && performance.now()").json_value()
        page.get_by_test_id("unlock-username").fill(USER)
        page.get_by_test_id("unlock-password").fill(live.PASSWORD)
        pressed = page.evaluate("performance.now()")
        page.get_by_test_id("unlock-submit").click()
        drawn = page.wait_for_function(
            "() => document.querySelector('[data-testid=call-row]') && performance.now()",
            polling="raf", timeout=30_000).json_value()
        rows = page.get_by_test_id("call-row").count()
        doc = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
        breakdown = stages(page.evaluate(MARKS), doc, shell_ms, pressed, drawn)
        raw_read_ms = page.evaluate(RAW_READ)
        cold_ms = shell_ms + drawn - pressed
        return {"shell_ms": shell_ms, "unlock_ms": drawn - pressed, "cold_ms": cold_ms,
                "app_ms": cold_ms - breakdown.get("kdf_ms", 0.0), **breakdown,
                "rows": rows, "raw_read_ms": raw_read_ms, "floor_ms": shell_ms + raw_read_ms}
    finally:
        ctx.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="heart-bench-pwa-") as tmp:
        work = Path(tmp)
        t0 = time.perf_counter()
        server = live.start_server(work, seed=seed)
        unit_calls = server.scalar("SELECT count(*) FROM calls c JOIN units u ON u.id = c.unit_id "
                                   "WHERE u.call_sign = :s", s=UNIT)
        print(f"server on {server.url} ready in {time.perf_counter() - t0:.1f} s "
              f"({unit_calls} calls for {UNIT})", flush=True)
        try:
            files = initial_js(server.dist)
            with sync_playwright() as p:
                profile = work / "profile"
                ctx = launch(p, profile, server.url, offline=False)
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                t0 = time.perf_counter()
                live.sign_in(page, server.url, USER)
                live.wait_controlled(page)
                live.unlock_if_locked(page)
                live.eventually(lambda: cached_calls(page) >= 1000, timeout_s=120, what="the first pull")
                live.wait_synced(page, timeout_s=120)
                n_cached = cached_calls(page)
                print(f"signed in as {USER}, {n_cached} calls cached in "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
                ctx.close()
                runs = []
                for i in range(args.runs):
                    r = one_run(p, profile, server.url)
                    runs.append(r)
                    print(f"run {i + 1:2d}: shell {r['shell_ms']:6.0f} ms + unlock to list "
                          f"{r['unlock_ms']:6.0f} ms = {r['cold_ms']:6.0f} ms  ({r['rows']} rows drawn; "
                          f"raw read {r['raw_read_ms']:4.0f} ms)",
                          flush=True)
                    print("        " + ", ".join(f"{stage[:-3]} {r[stage]:.0f}"
                                                 for stage, _, _ in SHELL_STAGES + STAGES if stage in r),
                          flush=True)
        finally:
            server.stop()

    median_ms = statistics.median(r["cold_ms"] for r in runs)
    print(f"median offline cold start to the call list: {median_ms:.0f} ms "
          f"(shell {statistics.median(r['shell_ms'] for r in runs):.0f} ms, unlock to list "
          f"{statistics.median(r['unlock_ms'] for r in runs):.0f} ms) over {len(runs)} runs, "
          f"{n_cached} calls cached; target < {TARGET_MS} ms")
    medians = {stage: statistics.median(r[stage] for r in runs if stage in r)
               for stage, _, _ in SHELL_STAGES + STAGES if any(stage in r for r in runs)}
    print("median breakdown (ms): " + ", ".join(f"{k[:-3]} {v:.0f}" for k, v in medians.items()))
    app_ms = statistics.median(r["app_ms"] for r in runs)
    print(f"median without Argon2id (the app's own time): {app_ms:.0f} ms")
    floor_ms = statistics.median(r["floor_ms"] for r in runs)
    print(f"baseline: shell + raw IndexedDB read of the list's rows {floor_ms:.0f} ms (median); "
          f"ratio {median_ms / floor_ms:.2f}")
    total_gz = sum(gz for _, _, gz in files)
    for src, raw, gz in files:
        print(f"initial JS {src}: {raw / 1024:.1f} KB raw, {gz / 1024:.1f} KB gzip")
    print(f"initial JS total: {total_gz / 1024:.1f} KB gzip; target < {TARGET_KB} KB")
    print(json.dumps({"bench": "pwa_cold_start", "median_ms": round(median_ms, 1),
                      "kdf_ms": round(medians.get("kdf_ms", 0.0), 1), "app_ms": round(app_ms, 1),
                      "floor_ms": round(floor_ms, 1), "ratio": round(median_ms / floor_ms, 3),
                      "initial_js_gzip_kb": round(total_gz / 1024, 1)}))


if __name__ == "__main__":
    main()
