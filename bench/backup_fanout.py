"""200 live-stream listeners (supervisors and dispatchers, each signed in on a device of their
own) connected across gunicorn's 2 gevent workers on PostgreSQL; a responder posts 100 backup
requests; each listener's time from just before the POST to the event's frame read is the
delivery latency. Then the same again while a reconnect storm (bench/reconnect_storm.py's
devices and ops, in a process of their own) pushes against the app.

As `make serve-split` deploys it: the streams and the backup POSTs go to the alert process
(2 workers), sign-ins and the storm's pushes to the app process (2 workers, at nice
APP_NICE); both on the same database, so every event crosses processes by LISTEN/NOTIFY.
`--shared` puts everything on one process at one priority (`make serve-pg`) to compare.

Every listener must get every request: a stream cut is resumed with Last-Event-ID, and
`missed` counts (listener, request) pairs never received.

Usage: .venv/bin/python bench/backup_fanout.py [--clients 200] [--requests 100]
       [--storm-devices 50] [--storm-ops 2000] [--worker-class gevent|gthread] [--shared]
Last line: {"bench": "backup_fanout", "clients": 200, "p50_ms": ..., "p99_ms": ..., "missed": 0,
            "post_p50_ms": ..., "ratio": ..., "p50_ms_under_storm": ..., "p99_ms_under_storm": ...}
Baseline in the same run: `post_p50_ms`, the POST's own round trip (the request answered);
`ratio` = delivery p50 / that: what reaching 200 people costs over answering one.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    PASSWORD,
    Gunicorn,
    OpMaker,
    app_for,
    bench_database,
    emit,
    iso,
    login,
    mixed_ops,
    push_body,
    seed_unit_with_responders,
)
from reconnect_storm import BATCH, Device, seed_storm_crews

# Requests are spaced so that each one's fan-out is measured on its own, not queued behind the
# previous one's (a crew asks for help once; a hundred at once is not the case measured).
REQUEST_GAP_S = 0.1
# How long after the last request a listener may still be waiting for it before it counts
# as missed: far beyond any latency measured, short enough to end the run.
SETTLE_S = 10.0
FRAME_ID = re.compile(rb"id: (\d+)\nevent: ([\w.]+)\n")
# The request's id leads its payload (server/backups/services.py request_to_dict).
REQUEST_ID = re.compile(rb'data: \{"id":"([0-9a-f-]{36})"')
# The event row's time (the server's clock, set as the POST's transaction writes it) ends the
# payload (server/stream/hub.py Event.frame): it splits each latency into the server's part
# before the commit and the fan-out's after it.
WRITTEN_AT = re.compile(rb'"at":"([^"]+)"\}$')
# Sign-ins in parallel: Argon2id runs in each worker's threadpool; more only queue.
LOGIN_THREADS = 8
# The app process's CPU priority, as `make serve-split` runs it (its APP_NICE): pushes and
# everything else but alerts yield the CPU to the alert process.
APP_NICE = 10
# And its sync door, as `make serve-split` sets it (its APP_SYNC_CONCURRENCY).
APP_SYNC_CONCURRENCY = "1"
# The storm's 50 tablets are not on the server's host; here they share its 2 cores, and run
# at the app process's priority so that they do not stand in front of the server measured.
LOAD_NICE = APP_NICE


def seed_listeners(app: Any, n: int) -> list[str]:
    """n people who hear every backup request: half supervisors, half dispatchers."""
    from server.auth.models import Role
    from server.auth.services import create_user
    from server.extensions import db

    names = []
    with app.app_context():
        for i in range(n):
            role = Role.SUPERVISOR if i % 2 == 0 else Role.DISPATCHER
            name = f"listener-{i:03d}"
            create_user(db.session, username=name, full_name=f"Listener {i}", role=role,
                        password=PASSWORD)
            names.append(name)
        db.session.commit()
    return names


class Listeners:
    """The SSE clients, on one asyncio loop in a thread: receive time per (client, request)."""

    def __init__(self, base: str, tokens: list[str]) -> None:
        self.base = base
        self.tokens = tokens
        self.received: list[dict[str, float]] = [{} for _ in tokens]
        self.written: dict[str, float] = {}  # request id -> its event row's time (perf clock)
        self.wall_offset = time.time() - time.perf_counter()
        self.connected = 0
        self.opened = [False] * len(tokens)
        self.reconnects = 0
        self.stopping = False
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()
        self.running = asyncio.run_coroutine_threadsafe(self._all(), self.loop)
        if not self.ready.wait(120):
            raise RuntimeError(f"only {self.connected} of {len(self.tokens)} streams opened")

    async def _all(self) -> None:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            await asyncio.gather(*(self._listen(http, i) for i in range(len(self.tokens))))

    async def _listen(self, http: aiohttp.ClientSession, i: int) -> None:
        last_id: str | None = None
        while not self.stopping:
            headers = {"Authorization": f"Bearer {self.tokens[i]}", "Accept-Encoding": "identity"}
            if last_id is not None:
                headers["Last-Event-ID"] = last_id
            try:
                async with http.get(self.base + "/api/v1/stream", headers=headers) as answer:
                    if answer.status != 200:
                        raise RuntimeError(f"stream answered {answer.status}")
                    buffer = b""
                    async for chunk in answer.content.iter_any():
                        now = time.perf_counter()  # the frame's last bytes were read now
                        buffer += chunk
                        *frames, buffer = buffer.split(b"\n\n")
                        for frame in frames:
                            last_id = self._take(i, frame, now, last_id)
            except (TimeoutError, aiohttp.ClientError, RuntimeError):
                if self.stopping:
                    return
            self.reconnects += 1
            await asyncio.sleep(0.2 * random.random())

    def _take(self, i: int, frame: bytes, now: float, last_id: str | None) -> str | None:
        """Note one frame (only what the measure needs is parsed); the last id seen."""
        if frame.startswith(b"event: ready"):
            if not self.opened[i]:
                self.opened[i] = True
                self.connected += 1
                if self.connected == len(self.tokens):
                    self.ready.set()
            return last_id
        if (found := FRAME_ID.match(frame)) is None:
            return last_id  # a keepalive comment
        if found[2] == b"backup.requested" and (request := REQUEST_ID.search(frame)):
            request_id = request[1].decode()
            self.received[i].setdefault(request_id, now)
            if request_id not in self.written and (at := WRITTEN_AT.search(frame)):
                written = datetime.fromisoformat(at[1].decode()).timestamp()
                self.written[request_id] = written - self.wall_offset
        return found[1].decode()

    def stop(self) -> None:
        """Cancel every stream (their sessions close), then end the loop."""
        self.stopping = True
        self.running.cancel()
        wait([self.running], timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def post_requests(base: str, token: str, call_id: str, n: int,
                  round_trips: list[float]) -> dict[str, float]:
    """n backup requests, one every REQUEST_GAP_S: request id -> the time before its POST;
    each POST's own round trip (ms) is added to `round_trips`, the baseline."""
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    sent: dict[str, float] = {}
    for i in range(n):
        request_id = str(uuid.uuid4())
        body = {"id": request_id, "call_id": call_id, "urgency": "urgent" if i % 2 else "team",
                "device_time": iso(datetime.now(UTC)),
                "position": {"lat": 35.99, "lon": -78.9, "accuracy_m": 8.0,
                             "recorded_at": iso(datetime.now(UTC))}}
        sent[request_id] = time.perf_counter()
        answer = http.post(base + "/api/v1/backups", json=body, headers=headers, timeout=30)
        round_trips.append((time.perf_counter() - sent[request_id]) * 1000)
        if answer.status_code != 201:
            raise RuntimeError(f"POST /backups answered {answer.status_code}: {answer.text[:200]}")
        time.sleep(REQUEST_GAP_S)
    return sent


def latencies(listeners: Listeners, sent: dict[str, float]) -> tuple[list[float], int]:
    """Milliseconds per (listener, request) received, and the pairs missed."""
    deadline = time.perf_counter() + SETTLE_S
    expected = len(sent) * len(listeners.tokens)
    while time.perf_counter() < deadline:
        if sum(len(set(sent) & set(r)) for r in listeners.received) == expected:
            break
        time.sleep(0.1)
    found, missed = [], 0
    for received in listeners.received:
        for request_id, t0 in sent.items():
            if request_id in received:
                found.append((received[request_id] - t0) * 1000)
            else:
                missed += 1
    return found, missed


def split(listeners: Listeners, sent: dict[str, float]) -> None:
    """Print where the time went: the POST's start to its event row written (the server's
    work before the commit), and that to each listener's read (commit, NOTIFY, fan-out)."""
    before = [(listeners.written[r] - t0) * 1000 for r, t0 in sent.items()
              if r in listeners.written]
    after = [(received[r] - listeners.written[r]) * 1000 for received in listeners.received
             for r in sent if r in received and r in listeners.written]
    print(f"  of which: POST start to event written p50 {p(before, 50):.1f} ms, "
          f"p99 {p(before, 99):.1f} ms; written to read p50 {p(after, 50):.1f} ms, "
          f"p99 {p(after, 99):.1f} ms", flush=True)


def p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if q < 100 else max(values)


def streams_per_worker(server: Gunicorn) -> dict[int, int]:
    """Established connections each worker holds on the server's port (from `ss`)."""
    out = subprocess.run(["ss", "-tnpH", "state", "established", f"( sport = :{server.port} )"],
                         capture_output=True, text=True, check=False).stdout
    counts = dict.fromkeys(server.worker_pids(), 0)
    for pid in counts:
        counts[pid] = out.count(f"pid={pid},")
    return counts


def storm_process(url: str, crews: list[tuple[str, list[str]]], ops: int,
                  ready: Any) -> None:
    """The storm's devices in a process of their own (as bench/reconnect_storm.py runs beside
    this bench): 50 uploading threads must not take the listeners' loop's turn in this one."""
    os.nice(LOAD_NICE)
    rng = random.Random(2026)
    devices = []
    for i, (token, unit_calls) in enumerate(crews):
        made = mixed_ops(OpMaker(f"fanout{i}"), ops, unit_calls, rng)
        devices.append(Device(token, [push_body(made[s:s + BATCH])
                                      for s in range(0, len(made), BATCH)]))
    barrier = threading.Barrier(len(devices) + 1)
    threads = [threading.Thread(target=d.run, args=(url, barrier)) for d in devices]
    for t in threads:
        t.start()
    ready.set()
    barrier.wait()
    for t in threads:
        t.join()


def summary(label: str, values: list[float], missed: int) -> None:
    print(f"{label}: {len(values)} deliveries, p50 {p(values, 50):.1f} ms, p90 {p(values, 90):.1f} ms,"
          f" p99 {p(values, 99):.1f} ms, max {max(values, default=float('nan')):.1f} ms, "
          f"missed {missed}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--storm-devices", type=int, default=50)
    parser.add_argument("--storm-ops", type=int, default=2000)
    parser.add_argument("--worker-class", default="gevent", choices=["gevent", "gthread"],
                        help="gunicorn worker class (gevent as served; gthread to compare)")
    parser.add_argument("--shared", action="store_true",
                        help="streams and alerts on the same workers as the pushes, one process "
                             "at one priority (make serve-pg), to compare")
    args = parser.parse_args()

    with bench_database("backup_fanout") as db:
        app = app_for(db)
        _, responders, calls = seed_unit_with_responders(app, 1, "FANOUT-1", 1)
        listener_names = seed_listeners(app, args.clients)
        storm_people = seed_storm_crews(app, args.storm_devices)
        server = Gunicorn(db, workers=2, worker_class=args.worker_class,
                          nice=0 if args.shared else APP_NICE,
                          env=None if args.shared else {"SYNC_CONCURRENCY": APP_SYNC_CONCURRENCY})
        alerts = server if args.shared else Gunicorn(db, workers=2,
                                                     worker_class=args.worker_class)
        listeners: Listeners | None = None
        try:
            t0 = time.perf_counter()
            with ThreadPoolExecutor(LOGIN_THREADS) as pool:
                tokens = [t for t, _ in pool.map(lambda n: login(server.url, n), listener_names)]
                storm_tokens = [t for t, _ in pool.map(lambda pc: login(server.url, pc[0]),
                                                       storm_people)]
            poster, _ = login(server.url, responders[0])
            print(f"{len(tokens) + len(storm_tokens) + 1} sign-ins in "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
            listeners = Listeners(alerts.url, tokens)
            listeners.start()
            print(f"{args.clients} streams open; per worker: {streams_per_worker(alerts)}",
                  flush=True)

            idle_posts: list[float] = []
            idle_sent = post_requests(alerts.url, poster, calls[0], args.requests, idle_posts)
            idle, idle_missed = latencies(listeners, idle_sent)
            summary("idle", idle, idle_missed)
            split(listeners, idle_sent)
            print(f"baseline: the POST's own round trip p50 {p(idle_posts, 50):.1f} ms", flush=True)

            crews = [(token, unit_calls) for (_, unit_calls), token
                     in zip(storm_people, storm_tokens, strict=True)]
            fork = multiprocessing.get_context("fork")
            ready = fork.Event()
            stormer = fork.Process(target=storm_process,
                                   args=(server.url, crews, args.storm_ops, ready))
            stormer.start()
            ready.wait()
            t_storm = time.perf_counter()
            storm_posts: list[float] = []
            storm_sent = post_requests(alerts.url, poster, calls[0], args.requests, storm_posts)
            still_storming = stormer.is_alive()
            under, under_missed = latencies(listeners, storm_sent)
            stormer.join()
            print(f"storm: {args.storm_devices} devices x {args.storm_ops} ops in "
                  f"{time.perf_counter() - t_storm:.1f} s; "
                  f"{'still' if still_storming else 'no longer'} pushing when the last "
                  "request was posted", flush=True)
            summary("under the storm", under, under_missed)
            split(listeners, storm_sent)
            print(f"baseline under the storm: the POST's round trip p50 "
                  f"{p(storm_posts, 50):.1f} ms", flush=True)
            print(f"stream reconnects: {listeners.reconnects}", flush=True)
        finally:
            if listeners is not None:
                listeners.stop()
            server.stop()
            alerts.stop()

    emit({"bench": "backup_fanout", "clients": args.clients, "p50_ms": round(p(idle, 50), 1),
          "p99_ms": round(p(idle, 99), 1), "missed": idle_missed + under_missed,
          "post_p50_ms": round(p(idle_posts, 50), 1),
          "ratio": round(p(idle, 50) / p(idle_posts, 50), 2),
          "p50_ms_under_storm": round(p(under, 50), 1),
          "p99_ms_under_storm": round(p(under, 99), 1)})


if __name__ == "__main__":
    main()
