"""50 devices, each with 2,000 queued operations, reconnect at once against gunicorn
(2 workers) on PostgreSQL; clients retry with backoff; then the database is checked.

Usage: .venv/bin/python bench/reconnect_storm.py [--devices 50] [--ops 2000] [--worker-class gevent|gthread]
Last line: {"bench": "reconnect_storm", "seconds": ..., "lost": ..., "duplicated": ...,
            "max_worker_rss_mb": ...}
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    Gunicorn,
    OpMaker,
    app_for,
    bench_database,
    dsn,
    emit,
    login,
    mixed_ops,
    push_body,
    seed_unit_with_responders,
)

BATCH = 500
UNITS = 10
CALLS_PER_UNIT = 10
FACT_TABLE = {"location_point": "location_points", "call_status": "call_status_events",
              "call_note": "call_notes"}



class Device:
    def __init__(self, token: str, bodies: list[bytes]) -> None:
        self.token = token
        self.bodies = bodies
        self.retries = 0
        self.error: str | None = None
        self.gave_up = False
        self.outcomes: dict[str, int] = {}

    def run(self, base: str, barrier: threading.Barrier) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                   "Accept-Encoding": "gzip"}
        barrier.wait()
        for body in self.bodies:
            delay = 0.05
            for _attempt in range(30):
                try:
                    r = http.post(base + "/api/v1/sync/push", data=body, headers=headers, timeout=60)
                    if r.status_code == 200:
                        for res in r.json()["results"]:
                            self.outcomes[res["outcome"]] = self.outcomes.get(res["outcome"], 0) + 1
                        if any(res["outcome"] == "deferred" for res in r.json()["results"]):
                            self.error = "deferred outcome (gap) in a sequential push"
                        break
                    self.error = f"last error {r.status_code}: {r.text[:200]}"
                except requests.RequestException as exc:
                    self.error = f"last error {type(exc).__name__}"
                    http = requests.Session()
                self.retries += 1
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)
            else:
                self.gave_up = True
                return


def seed_storm_crews(app: Any, devices: int) -> list[tuple[str, list[str]]]:
    """`devices` responders over UNITS units with CALLS_PER_UNIT calls each: (name, its
    unit's call ids) per device."""
    per_unit = -(-devices // UNITS)
    people: list[tuple[str, list[str]]] = []
    for u in range(UNITS):
        _, names, calls = seed_unit_with_responders(app, per_unit, f"STORM-{u}", CALLS_PER_UNIT)
        people += [(name, calls) for name in names]
    return people[:devices]


def verify(db: str, all_ops: list[list[dict[str, Any]]]) -> tuple[int, int, dict[str, int]]:
    """lost: records neither stored nor kept as rejected; duplicated: extra rows."""
    with psycopg.connect(dsn(db)) as conn:
        conn.execute("CREATE TEMP TABLE expected (op_id uuid, record_id uuid, kind text)")
        with conn.cursor().copy("COPY expected (op_id, record_id, kind) FROM STDIN") as copy:
            for ops in all_ops:
                for op in ops:
                    copy.write_row((op["id"], op["record_id"], op["kind"]))
        stored: dict[str, int] = {}
        lost = 0
        duplicated = 0
        for kind, table in FACT_TABLE.items():
            row = conn.execute(
                f"SELECT count(*) FILTER (WHERE t.id IS NULL AND r.op_id IS NULL),"  # noqa: S608 - table names from FACT_TABLE
                f" count(t.id) FROM expected e LEFT JOIN {table} t ON t.id = e.record_id"
                f" LEFT JOIN sync_rejected_ops r ON r.op_id = e.op_id WHERE e.kind = %s",
                (kind,)).fetchone()
            assert row is not None
            lost += row[0]
            stored[kind] = row[1]
            total = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            assert total is not None
            # Rows beyond one per expected record (seeded calls have no facts of their own).
            distinct = conn.execute(
                f"SELECT count(DISTINCT e.record_id) FROM expected e JOIN {table} t"  # noqa: S608
                f" ON t.id = e.record_id").fetchone()
            assert distinct is not None
            duplicated += total[0] - distinct[0]
        results = conn.execute("SELECT count(*), count(DISTINCT op_id) FROM sync_op_results"
                               ).fetchone()
        assert results is not None
        duplicated += results[0] - results[1]
        stored["rejected"] = int(conn.execute("SELECT count(*) FROM sync_rejected_ops"
                                              ).fetchone()[0])  # type: ignore[index]
        stored["results"] = results[0]
    return lost, duplicated, stored


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--worker-class", default="gevent", choices=["gevent", "gthread"],
                        help="gunicorn worker class (gevent as served; gthread to compare)")
    args = parser.parse_args()
    rng = random.Random(2026)

    with bench_database("reconnect_storm") as db:
        app = app_for(db)
        people = seed_storm_crews(app, args.devices)
        server = Gunicorn(db, workers=2, worker_class=args.worker_class)
        try:
            devices: list[Device] = []
            all_ops: list[list[dict[str, Any]]] = []
            for i, (name, calls) in enumerate(people):
                token, _device_id = login(server.url, name)
                ops = mixed_ops(OpMaker(f"storm{i}"), args.ops, calls, rng)
                all_ops.append(ops)
                devices.append(Device(token, [push_body(ops[s:s + BATCH])
                                              for s in range(0, len(ops), BATCH)]))
            rss_before = server.worker_memory_mb()
            print(f"{len(devices)} devices x {args.ops} ops reconnect at once; gunicorn 2 workers "
                  f"{args.worker_class}; workers before: "
                  + ", ".join(f"{pid}: {rss:.0f} MB" for pid, (rss, _) in rss_before.items()),
                  flush=True)
            barrier = threading.Barrier(len(devices) + 1)
            threads = [threading.Thread(target=d.run, args=(server.url, barrier)) for d in devices]
            for t in threads:
                t.start()
            peak_rss = 0.0
            barrier.wait()
            t0 = time.perf_counter()
            while any(t.is_alive() for t in threads):
                for rss, _hwm in server.worker_memory_mb().values():
                    peak_rss = max(peak_rss, rss)
                time.sleep(0.05)
            seconds = time.perf_counter() - t0
            memory = server.worker_memory_mb()
            for rss, _hwm in memory.values():
                peak_rss = max(peak_rss, rss)
        finally:
            server.stop()
        lost, duplicated, stored = verify(db, all_ops)

    outcomes: dict[str, int] = {}
    for d in devices:
        for k, v in d.outcomes.items():
            outcomes[k] = outcomes.get(k, 0) + v
    failed = [d.error for d in devices if d.gave_up or (d.error and "deferred" in d.error)]
    print(f"storm: {len(devices) * args.ops} ops in {seconds:.2f} s "
          f"({len(devices) * args.ops / seconds:,.0f} ops/s), retries {sum(d.retries for d in devices)}")
    print(f"outcomes: {json.dumps(outcomes)}; stored: {json.dumps(stored)}")
    if failed:
        print(f"devices that gave up: {len(failed)}; e.g. {failed[0]}")
    print("workers after (VmRSS / VmHWM): " + ", ".join(
        f"{pid}: {rss:.0f} / {hwm:.0f} MB" for pid, (rss, hwm) in memory.items()))
    print(f"lost {lost}, duplicated {duplicated}, peak worker RSS during the storm {peak_rss:.0f} MB")
    emit({"bench": "reconnect_storm", "seconds": round(seconds, 2), "lost": lost,
          "duplicated": duplicated, "max_worker_rss_mb": round(peak_rss, 1)})


if __name__ == "__main__":
    main()
