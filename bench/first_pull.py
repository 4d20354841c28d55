"""A fresh device pulls a responder's scope over HTTP with gzip: 500 calls assigned to its
unit (premises shared, so each carries a history of earlier calls; status events and
notes), 10,000 recent location points of the unit, the supply catalog and the kit.

Usage: .venv/bin/python bench/first_pull.py [--calls 500] [--points 10000] [--limit 5000]
Last line: {"bench": "first_pull", "seconds": ..., "gzip_bytes": ...}
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    Gunicorn,
    app_for,
    bench_database,
    dsn,
    emit,
    login,
    seed_unit_with_responders,
)

PREMISES = 160


def seed_calls(app: Any, unit_id: int, n_calls: int) -> None:
    """Calls in the unit's history (most cleared, some open), on shared premises, with
    status events and notes; the supply catalog and the unit's vehicle kit."""
    import sqlalchemy as sa

    from server.auth.models import Role
    from server.auth.services import create_user
    from server.calls.models import Call, CallNote, CallStatus, CallStatusEvent, CallType, Premise
    from server.demo import _supplies
    from server.extensions import db
    from server.models_base import utcnow
    from server.units.models import Unit

    rng = random.Random(7)
    with app.app_context():
        session = db.session
        now = utcnow()
        types = list(session.scalars(sa.select(CallType)))
        premises = [Premise(address=f"{100 + i} Bench Ave, Durham NC", lat=35.99 + i * 1e-4,
                            lon=-78.9 - i * 1e-4) for i in range(PREMISES)]
        session.add_all(premises)
        session.flush()
        for n in range(n_calls):
            received = now - timedelta(minutes=rng.randrange(5, 30 * 24 * 60))
            call_type = rng.choice(types)
            call = Call(id=uuid.uuid4(), cad_number=f"P{n:06d}", call_type=call_type,
                        priority=call_type.default_priority, premise=rng.choice(premises),
                        narrative="Caller reports neighbor pacing in the street, talking to himself.",
                        received_at=received, dispatched_at=received + timedelta(minutes=2),
                        unit_id=unit_id, status=CallStatus.DISPATCHED)
            at = received + timedelta(minutes=2)
            for status in (CallStatus.EN_ROUTE, CallStatus.ON_SCENE, CallStatus.CLEARED):
                at += timedelta(minutes=rng.randrange(2, 20))
                call.status_events.append(CallStatusEvent(
                    id=uuid.uuid4(), status=status, device_time=at, corrected_time=at,
                    received_at=at))
                call.status = status
            call.disposition = "Resolved on scene"
            if n % 2:
                call.notes.append(CallNote(id=uuid.uuid4(), body="Client engaged, accepted "
                                           "water and a ride to the shelter.", device_time=at,
                                           corrected_time=at, received_at=at))
            session.add(call)
        manager = create_user(session, username="bench-supplies", full_name="Supplies",
                              role=Role.SUPPLY_MANAGER, password="bench-password-2026")
        unit = session.get(Unit, unit_id)
        _supplies(session, rng, now, {unit.call_sign: unit}, manager)
        session.commit()


def seed_points(db: str, unit_id: int, n: int) -> None:
    """Recent track of the unit (the last few hours), written with COPY."""
    now = datetime.now(UTC)
    with psycopg.connect(dsn(db)) as conn:
        user_id = conn.execute("SELECT id FROM users WHERE username LIKE 'pull-%' LIMIT 1"
                               ).fetchone()[0]  # type: ignore[index]
        cols = ("id, device_id, user_id, device_time, corrected_time, received_at, hlc, unit_id,"
                " lat, lon, accuracy_m")
        with conn.cursor().copy(f"COPY location_points ({cols}) FROM STDIN") as copy:
            device = uuid.uuid4()
            for i in range(n):
                t = now - timedelta(seconds=(n - i) * 2)
                copy.write_row((uuid.uuid4(), device, user_id, t, t, t,
                                f"{int(t.timestamp() * 1000):013d}-0000-seed", unit_id,
                                35.99 + (i % 1000) * 1e-5, -78.9 - (i % 777) * 1e-5, 5.0))
        conn.commit()


def pull_all(base: str, token: str, limit: int) -> tuple[float, int, int, Counter[str], int]:
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    cursor: str | None = None
    wire = raw = pages = 0
    kinds: Counter[str] = Counter()
    t0 = time.perf_counter()
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = http.get(base + "/api/v1/sync/pull", params=params, headers=headers, stream=True,
                     timeout=60)
        body = r.raw.read(decode_content=False)
        if r.status_code != 200:
            raise SystemExit(f"pull failed: {r.status_code} {body[:300]!r}")
        wire += len(body)
        if r.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        raw += len(body)
        page = json.loads(body)
        pages += 1
        kinds.update(c["kind"] for c in page["changes"])
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    return time.perf_counter() - t0, wire, raw, kinds, pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3, help="fresh devices; the median run counts")
    args = parser.parse_args()

    with bench_database("first_pull") as db:
        app = app_for(db)
        unit_id, names, _ = seed_unit_with_responders(app, 1, "PULL-1")
        seed_calls(app, unit_id, args.calls)
        seed_points(db, unit_id, args.points)
        server = Gunicorn(db, workers=2)
        try:
            runs = []
            for _ in range(args.runs):
                token, _device = login(server.url, names[0], "fresh tablet")
                runs.append(pull_all(server.url, token, args.limit))
        finally:
            server.stop()

    for i, (seconds, wire, raw, kinds, pages) in enumerate(runs, 1):
        print(f"run {i}: {seconds:.3f} s, {pages} pages, {wire / 1e6:.3f} MB gzip on the wire "
              f"({raw / 1e6:.2f} MB JSON); {sum(kinds.values())} changes: {dict(sorted(kinds.items()))}")
    best = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    seconds, wire, _raw, kinds, _pages = best
    if kinds["call"] != args.calls or kinds["location_point"] != args.points:
        raise SystemExit(f"incomplete pull: {dict(kinds)}")
    emit({"bench": "first_pull", "seconds": round(seconds, 3), "gzip_bytes": wire,
          "runs": len(runs)})


if __name__ == "__main__":
    main()
