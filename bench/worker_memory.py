"""Worker memory under op storms: several devices push storms of ops at once against
gunicorn (2 workers) on PostgreSQL, and after every storm each worker reports (the probe in
bench/worker_memory_conf.py) its RSS, what its allocators hold (pymalloc's arenas and the
bytes live in them, glibc malloc's live and free bytes), the objects the GC tracks by type,
its cache sizes, and with --trace the Python heap tracemalloc sees and where it grew. The
first storm warms the workers up and is the baseline.

A leak grows by the same amount every storm; memory that fills to a bound grows less and
less. `ratio` = RSS growth of the workers in the second half of the storms / in the first
half (about 1 for a leak, well below 1 when it levels off); `traced_ratio` the same for
the Python heap (--trace); `live_growth_mb`: bytes live in both allocators, last storm
against the first (a leak is live memory; RSS above it is memory the allocators keep).

Usage: .venv/bin/python bench/worker_memory.py [--storms 6] [--ops 20000] [--devices 8]
       [--long] (40 storms of 40,000 ops) [--trace] (tracemalloc in the workers: where the
       Python heap grew, line by line; several times slower) [--malloc-arenas N]
Last line: {"bench": "worker_memory", "ratio": ..., "traced_ratio": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PASSWORD,
    Gunicorn,
    OpMaker,
    app_for,
    bench_database,
    emit,
    mixed_ops,
    push_body,
    seed_unit_with_responders,
)

BATCH = 500
CALLS = 20
# The long run: storms of the audit's size, enough of them (1.6 M ops) to tell memory
# filling to a bound from a leak.
LONG_STORMS = 40
LONG_OPS = 40_000
# The curve's columns (summed over the workers, except the statement cache: the larger):
# RSS; the Python heap tracemalloc sees; live bytes in pymalloc's blocks and its 1 MiB arenas;
# bytes glibc malloc has handed out and holds free; live objects the GC tracks; SQLAlchemy's
# compiled statements.
COLUMNS = (("storm", 5), ("ops", 9), ("s", 5), ("RSS MB", 7), ("traced", 7),
           ("py live", 7), ("arenas", 6), ("malloc", 7), ("m.free", 7), ("objects", 8),
           ("stmts", 5))
COLUMN_KEYS = ("storm", "ops", "seconds", "rss_mb", "traced_mb", "pymalloc_in_use_mb",
               "pymalloc_arenas", "malloc_in_use_mb", "malloc_free_mb", "gc_objects",
               "compiled_cache")
SUMMED = ("rss_mb", "traced_mb", "pymalloc_in_use_mb", "pymalloc_arenas", "malloc_in_use_mb",
          "malloc_free_mb", "gc_objects")
PROBE_CONF = Path(__file__).resolve().parent / "worker_memory_conf.py"
# A worker answers the probe within a second; tracemalloc's snapshot of a big heap is slower.
PROBE_TIMEOUT_S = 120



class Credentials:
    """A device's tokens: access tokens last ACCESS_TOKEN_MINUTES, so the long run refreshes
    before every storm, as the app does (the refresh token is used up and replaced)."""

    def __init__(self, base: str, username: str) -> None:
        r = requests.post(base + "/api/v1/auth/login", json={
            "username": username, "password": PASSWORD, "device_name": "memory bench"},
            timeout=120)
        r.raise_for_status()
        self.base, self.access, self.refresh_token = base, r.json()["access_token"], \
            r.json()["refresh_token"]

    def refresh(self) -> None:
        r = requests.post(self.base + "/api/v1/auth/refresh", timeout=120,
                          headers={"Authorization": f"Bearer {self.refresh_token}"})
        r.raise_for_status()
        self.access, self.refresh_token = r.json()["access_token"], r.json()["refresh_token"]


def storm(base: str, tokens: list[str], bodies: list[list[bytes]]) -> list[str]:
    errors: list[str] = []

    def device(i: int) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json"}
        for body in bodies[i]:
            r = http.post(base + "/api/v1/sync/push", data=body, headers=headers, timeout=120)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:200]}")
                return

    threads = [threading.Thread(target=device, args=(i,)) for i in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def probe(folder: Path, n: int, pids: list[int], trim: bool) -> dict[int, dict[str, Any]]:
    """Ask every worker for its report after storm n and wait for the answers."""
    if trim:
        (folder / f"trim-{n}").touch()
    (folder / f"request-{n}").touch()
    deadline = time.time() + PROBE_TIMEOUT_S
    answers: dict[int, dict[str, Any]] = {}
    while len(answers) < len(pids) and time.time() < deadline:
        for pid in pids:
            path = folder / f"{n}-{pid}.json"
            if pid not in answers and path.exists():
                answers[pid] = json.loads(path.read_text())
        time.sleep(0.05)
    if len(answers) < len(pids):
        raise RuntimeError(f"workers {sorted(set(pids) - set(answers))} did not answer probe {n}")
    return dict(sorted(answers.items()))  # by pid: the same column for a worker every time


def growth_ratio(values: list[float]) -> float:
    """Growth over the second half of the storms / over the first half."""
    mid = len(values) // 2
    first, second = values[mid] - values[0], values[-1] - values[mid]
    return round(second / first, 3) if first > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--storms", type=int, default=6, help="storms after the warm-up one")
    parser.add_argument("--ops", type=int, default=20_000, help="ops per storm")
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--worker-class", default="gevent", choices=["gevent", "gthread"],
                        help="gunicorn worker class (gevent as served; gthread to compare)")
    parser.add_argument("--long", action="store_true", help=f"{LONG_STORMS} storms")
    parser.add_argument("--malloc-arenas", type=int, default=0,
                        help="MALLOC_ARENA_MAX for the workers (0: glibc's default, 8 per core)")
    parser.add_argument("--trace", action="store_true",
                        help="tracemalloc in the workers (several times slower; pymalloc's own "
                             "figures are then not available)")
    args = parser.parse_args()
    planned = LONG_STORMS if args.long else args.storms
    if args.long:
        args.ops = LONG_OPS
    rng = random.Random(2026)
    per_device = args.ops // args.devices

    with bench_database("worker_memory") as db, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = app_for(db)
        _, names, call_ids = seed_unit_with_responders(app, args.devices, "MEM-1", CALLS)
        env = {"HEART_BENCH_PROBE_DIR": tmp, "HEART_BENCH_TRIM": "1"}
        if args.trace:
            env["HEART_BENCH_TRACE"] = "1"
        if args.malloc_arenas:
            env["MALLOC_ARENA_MAX"] = str(args.malloc_arenas)
        server = Gunicorn(db, workers=2, worker_class=args.worker_class, config=PROBE_CONF, env=env)
        try:
            pids = server.worker_pids()
            devices = [Credentials(server.url, name) for name in names]
            makers = [OpMaker(f"mem{i}") for i in range(args.devices)]
            print(f"{args.devices} devices, {planned} storms of {args.ops:,} ops after a warm-up "
                  f"storm; gunicorn 2 workers {args.worker_class}; tracemalloc "
                  f"{'on' if args.trace else 'off'}; MALLOC_ARENA_MAX {args.malloc_arenas or 'unset'}",
                  flush=True)
            print("  ".join(f"{h:>{w}}" for h, w in COLUMNS) + "  RSS per worker (by pid)", flush=True)
            curve: list[dict[str, Any]] = []
            failed = ""
            for n in range(planned + 1):
                bodies = []
                for maker in makers:
                    ops = mixed_ops(maker, per_device, call_ids, rng)
                    bodies.append([push_body(ops[s:s + BATCH]) for s in range(0, len(ops), BATCH)])
                for credentials in devices:
                    credentials.refresh()
                t0 = time.perf_counter()
                errors = storm(server.url, [d.access for d in devices], bodies)
                seconds = time.perf_counter() - t0
                if errors:  # the curve so far is still reported
                    failed = f"storm {n}: {len(errors)} failed pushes, e.g. {errors[0]}"
                    print(failed, flush=True)
                    break
                answers = probe(folder, n, pids, trim=n == planned)
                point: dict[str, Any] = {"storm": n, "ops": (n + 1) * per_device * args.devices,
                                         "seconds": round(seconds, 1), "workers": answers}
                for key in SUMMED:
                    point[key] = round(sum(a.get(key, 0) for a in answers.values()), 2)
                point["compiled_cache"] = max(a["compiled_cache"] for a in answers.values())
                curve.append(point)
                print("  ".join(f"{point[key]:>{w}{',' if key in ('ops', 'gc_objects') else ''}}"
                                for (_, w), key in zip(COLUMNS, COLUMN_KEYS, strict=True))
                      + "  " + ", ".join(f"{a['rss_mb']:.1f}" for a in answers.values()),
                      flush=True)
        finally:
            server.stop()

    storms = len(curve) - 1
    last = curve[-1]["workers"]
    for pid, answer in last.items():
        print(f"worker {pid}: RSS {answer['rss_mb']:.1f} MB, after malloc_trim "
              f"{answer.get('rss_after_trim_mb', 0):.1f} MB; pymalloc "
              f"{answer.get('pymalloc_arenas', '-')} arenas (high water "
              f"{answer.get('pymalloc_arenas_highwater', '-')}), "
              f"{answer.get('pymalloc_in_use_mb', '-')} MB live, "
              f"{answer.get('pymalloc_free_blocks_mb', '-')} MB in free blocks; "
              f"malloc {answer['malloc_in_use_mb']} MB live, "
              f"{answer['malloc_free_mb']} MB free, {answer['malloc_mmapped_mb']} MB mmapped; "
              f"traced {answer.get('traced_mb', 0)} MB (tracemalloc's own "
              f"{answer.get('tracemalloc_overhead_mb', 0)} MB); prepared statements "
              f"{answer['prepared_statements']} (+{answer['statements_counted']} counted)")
        print("    objects grown by type: " + ", ".join(f"{t} +{c}" for t, c in answer["top_types"]))
        for stat in answer.get("top_growth", [])[:5]:
            print(f"    {stat['kib']:>8.1f} KiB {stat['blocks']:>6} blocks  "
                  + " <- ".join(stat["where"]))
    rss = [p["rss_mb"] for p in curve]
    traced = [p["traced_mb"] for p in curve]
    live = [p["pymalloc_in_use_mb"] + p["malloc_in_use_mb"] for p in curve]
    per_storm = (rss[-1] - rss[0]) / storms if storms else 0.0
    emit({"bench": "worker_memory", "ratio": growth_ratio(rss),
          "traced_ratio": growth_ratio(traced) if args.trace else None,
          "storms": storms, "ops_per_storm": per_device * args.devices,
          "rss_mb_first": rss[0], "rss_mb_last": rss[-1],
          "rss_growth_mb_per_storm": round(per_storm, 3),
          "traced_growth_mb": round(traced[-1] - traced[0], 2),
          "live_growth_mb": round(live[-1] - live[0], 2),
          "curve": [[p["ops"], p["rss_mb"]] for p in curve], "failed": failed or None})


if __name__ == "__main__":
    main()
