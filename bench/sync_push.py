"""Push 100,000 location points through the HTTP API (batches of 500) against PostgreSQL,
then insert the same rows (the ones the API stored, read back) with plain psycopg
executemany as the baseline.

Usage: .venv/bin/python bench/sync_push.py [--ops 100000] [--clients 8] [--worker-class gevent|gthread]
Last line: {"bench": "sync_push", "ops_per_s": ..., "raw_ops_per_s": ..., "ratio": ...}
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import psycopg
import requests
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    Gunicorn,
    OpMaker,
    app_for,
    bench_database,
    dsn,
    emit,
    login,
    postgres_cpu_seconds,
    push_body,
    seed_unit_with_responders,
)

BATCH = 500
# Every column of a stored location point: the baseline inserts exactly what the API stored.
RAW_COLUMNS = ("id", "device_id", "user_id", "device_time", "corrected_time", "time_source",
               "time_uncertain", "received_at", "hlc", "op_id", "unit_id", "lat", "lon",
               "accuracy_m", "batch_id")


def run_api(base: str, bodies: list[list[bytes]], tokens: list[str]) -> tuple[float, int]:
    applied = [0] * len(bodies)
    errors: list[str] = []

    def client(i: int) -> None:
        http = requests.Session()
        headers = {"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/json",
                   "Accept-Encoding": "gzip"}
        for body in bodies[i]:
            r = http.post(base + "/api/v1/sync/push", data=body, headers=headers, timeout=120)
            if r.status_code != 200:
                errors.append(f"{r.status_code} {r.text[:300]}")
                return
            applied[i] += r.text.count('"applied"')

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(bodies))]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise SystemExit(f"push failed: {errors[0]}")
    return elapsed, sum(applied)


def run_raw(db: str) -> float:
    """The rows the API stored, read back and inserted again into a table like
    location_points (same columns and indexes), plain executemany, one transaction per 500
    rows like the API's pushes."""
    with psycopg.connect(dsn(db)) as conn:
        conn.execute("CREATE TABLE bench_raw_points (LIKE location_points INCLUDING ALL)")
        conn.commit()
        columns = sql.SQL(", ").join(map(sql.Identifier, RAW_COLUMNS))
        rows = conn.execute(sql.SQL("SELECT {} FROM location_points ORDER BY received_at, id")
                            .format(columns)).fetchall()
        insert = sql.SQL("INSERT INTO bench_raw_points ({}) VALUES ({})").format(
            columns, sql.SQL(", ").join([sql.Placeholder()] * len(RAW_COLUMNS)))
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            for start in range(0, len(rows), BATCH):
                cur.executemany(insert, rows[start:start + BATCH])
                conn.commit()
        elapsed = time.perf_counter() - t0
        count = conn.execute("SELECT count(*) FROM bench_raw_points").fetchone()
        assert count is not None
        assert count[0] == len(rows), count
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--worker-class", default="gevent", choices=["gevent", "gthread"],
                        help="gunicorn worker class (gevent as served; gthread to compare)")
    args = parser.parse_args()
    per_client = args.ops // args.clients

    with bench_database("sync_push") as db:
        app = app_for(db)
        _, names, _ = seed_unit_with_responders(app, args.clients)
        server = Gunicorn(db, workers=2, worker_class=args.worker_class)
        try:
            sessions = [login(server.url, name) for name in names]
            tokens = [tok for tok, _ in sessions]
            bodies: list[list[bytes]] = []
            for c in range(len(sessions)):
                maker = OpMaker(f"bench{c}")
                ops = [maker.point(i) for i in range(per_client)]
                bodies.append([push_body(ops[s:s + BATCH]) for s in range(0, len(ops), BATCH)])
            total = per_client * args.clients
            print(f"pushing {total} location points: {args.clients} clients in parallel, "
                  f"batches of {BATCH}, gunicorn 2 workers {args.worker_class}", flush=True)
            cpu0 = (server.worker_cpu_seconds(), postgres_cpu_seconds(), time.process_time())
            api_s, applied = run_api(server.url, bodies, tokens)
            cpu = [b - a for a, b in zip(cpu0, (server.worker_cpu_seconds(),
                                               postgres_cpu_seconds(), time.process_time()),
                                         strict=True)]
            print(f"CPU during the push: gunicorn workers {cpu[0]:.1f} s, PostgreSQL "
                  f"{cpu[1]:.1f} s (all databases), clients {cpu[2]:.1f} s", flush=True)
        finally:
            server.stop()
        with psycopg.connect(dsn(db)) as conn:
            stored = conn.execute("SELECT count(*) FROM location_points").fetchone()[0]  # type: ignore[index]
            # One feed row per push (a batch of points): every point is in a fed batch.
            feed = conn.execute(
                "SELECT count(*) FROM location_points p JOIN sync_change_log f"
                " ON f.kind = 'location_batch' AND f.record_id = p.batch_id::text").fetchone()[0]  # type: ignore[index]
            batches = conn.execute("SELECT count(*) FROM sync_change_log"
                                   " WHERE kind = 'location_batch'").fetchone()[0]  # type: ignore[index]
        if applied != total or stored != total or feed != total:
            raise SystemExit(f"wrong outcome: applied {applied}, stored {stored}, feed {feed}, "
                             f"expected {total}")
        raw_s = run_raw(db)

    ops_per_s = total / api_s
    raw_per_s = total / raw_s
    print(f"API:      {total} ops in {api_s:.2f} s = {ops_per_s:,.0f} ops/s "
          f"(all applied, {stored} rows, {batches} feed rows for {feed} points)")
    print(f"baseline: {total} rows in {raw_s:.2f} s = {raw_per_s:,.0f} rows/s "
          f"(psycopg executemany, commit per {BATCH})")
    print(f"ratio:    {ops_per_s / raw_per_s:.2f} (target >= 0.5)")
    emit({"bench": "sync_push", "ops_per_s": round(ops_per_s, 1), "raw_ops_per_s": round(raw_per_s, 1),
          "ratio": round(ops_per_s / raw_per_s, 3), "clients": args.clients})


if __name__ == "__main__":
    main()

