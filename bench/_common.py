"""Shared set-up for the benchmarks: a throw-away PostgreSQL database, migrations, an app
context for seeding, a real HTTP server (gunicorn), sign-in, and the fact payloads."""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_HOST = os.environ.get("BENCH_PG_HOSTPORT", "postgres@127.0.0.1:5432")
PASSWORD = "bench-password-2026"
SECRET = "bench-secret-" + "x" * 40


def bin_path(name: str) -> str:
    path = VENV_BIN / name
    return str(path) if path.exists() else name


def dsn(db: str) -> str:
    return f"postgresql://{PG_HOST}/{db}"


def sqlalchemy_url(db: str) -> str:
    return f"postgresql+psycopg://{PG_HOST}/{db}"


def server_env(db: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": sqlalchemy_url(db), "SECRET_KEY": SECRET, "FLASK_APP": "server",
                "HEART_ENV": "development", "PYTHONPATH": str(ROOT)})
    return env


@contextlib.contextmanager
def bench_database(name: str) -> Iterator[str]:
    """Create, migrate, yield and finally drop heart_bench_<name>_<random>."""
    db = f"heart_bench_{name}_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    try:
        t0 = time.perf_counter()
        subprocess.run([bin_path("flask"), "db", "upgrade"], cwd=ROOT, env=server_env(db),
                       check=True, capture_output=True)
        print(f"database {db} migrated in {time.perf_counter() - t0:.1f} s", flush=True)
        yield db
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        print(f"database {db} dropped", flush=True)


def app_for(db: str) -> Any:
    """The Flask app on the bench database, for seeding in this process."""
    os.environ.update({k: v for k, v in server_env(db).items()
                       if k in ("DATABASE_URL", "SECRET_KEY", "HEART_ENV")})
    sys.path.insert(0, str(ROOT))
    from server import create_app

    return create_app()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A gthread worker compared against the served gevent one gets `make run`'s former 8 threads.
GTHREAD_THREADS = 8


class Gunicorn:
    """gunicorn serving `server:create_app()`; workers are the master's children."""

    def __init__(self, db: str, workers: int = 2, worker_class: str = "gevent",
                 config: Path | None = None, env: dict[str, str] | None = None,
                 nice: int = 0) -> None:
        """`config`: a gunicorn settings file instead of the repository's gunicorn.conf.py.
        `worker_class`: gevent as served (gunicorn.conf.py), or gthread to compare.
        `nice`: the CPU priority the server runs at, as `nice -n` takes it."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        threads = ["--threads", str(GTHREAD_THREADS)] if worker_class == "gthread" else []
        cmd = [bin_path("gunicorn"), "-w", str(workers), "-k", worker_class, *threads,
               "--no-control-socket", "--graceful-timeout", "5", "--timeout", "120",
               "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
               *(["-c", str(config)] if config else []), "server:create_app()"]
        if nice:
            cmd = ["nice", "-n", str(nice), *cmd]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**server_env(db), **(env or {})})
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/api/openapi.json", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("gunicorn did not start")
        # Wait until every worker is up (each imports the app on its own).
        deadline = time.time() + 20
        while len(self.worker_pids()) < workers and time.time() < deadline:
            time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def worker_memory_mb(self) -> dict[int, tuple[float, float]]:
        """pid -> (VmRSS, VmHWM) in MB."""
        out: dict[int, tuple[float, float]] = {}
        for pid in self.worker_pids():
            fields: dict[str, float] = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        fields[key] = int(value.split()[0]) / 1024
            except OSError:
                continue
            out[pid] = (fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0))
        return out

    def worker_cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.worker_pids())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of every postgres process on this machine (the server is local)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def seed_unit_with_responders(app: Any, n_people: int, call_sign: str = "BENCH-1",
                              calls: int = 0, unit: Any = None) -> tuple[int, list[str], list[str]]:
    """A unit on shift with n field responders (and optionally calls assigned to it).

    Returns (unit_id, usernames, call ids)."""
    from server.auth.models import Role, User
    from server.auth.services import create_user
    from server.demo import seed_call_types
    from server.extensions import db
    from server.models_base import utcnow
    from server.units.models import Program, Shift, ShiftMember, Unit

    with app.app_context():
        session = db.session
        seed_call_types(session)
        now = utcnow()
        unit = Unit(call_sign=call_sign, program=Program.COMMUNITY_RESPONSE)
        session.add(unit)
        session.flush()
        shift = Shift(unit_id=unit.id, starts_at=now - timedelta(hours=1),
                      ends_at=now + timedelta(hours=11))
        session.add(shift)
        session.flush()
        names = []
        for n in range(n_people):
            username = f"{call_sign.lower()}-r{n}"
            user: User = create_user(session, username=username, full_name=f"Responder {n}",
                                     role=Role.RESPONDER_EMT, password=PASSWORD)
            session.add(ShiftMember(shift_id=shift.id, user_id=user.id))
            names.append(username)
        session.flush()
        call_ids = [str(c) for c in create_calls(session, unit.id, calls, call_sign)]
        session.commit()
        return unit.id, names, call_ids


def create_calls(session: Any, unit_id: int, n: int, tag: str) -> list[uuid.UUID]:
    """n open calls assigned to the unit, with a dispatcher as author (fast path, no API)."""
    import sqlalchemy as sa

    from server.calls.models import Call, CallStatus, CallType, Premise
    from server.calls.services import note_call_changed
    from server.models_base import utcnow

    if n == 0:
        return []
    call_type = session.scalars(sa.select(CallType).order_by(CallType.id)).first()
    now = utcnow()
    ids = []
    for i in range(n):
        premise = Premise(address=f"{i} Bench St, Durham NC {tag}", lat=35.99, lon=-78.9)
        call = Call(id=uuid.uuid4(), cad_number=f"{tag}-{i:06d}", call_type=call_type,
                    priority=call_type.default_priority, premise=premise, narrative="Bench call",
                    received_at=now - timedelta(minutes=30), dispatched_at=now - timedelta(minutes=29),
                    unit_id=unit_id, status=CallStatus.DISPATCHED)
        session.add(call)
        ids.append(call.id)
    session.flush()
    for call in session.scalars(sa.select(Call).where(Call.id.in_(ids))):
        note_call_changed(session, call)
    return ids


def login(base_url: str, username: str, device_name: str = "bench tablet") -> tuple[str, str]:
    for attempt in range(20):
        r = requests.post(base_url + "/api/v1/auth/login", json={
            "username": username, "password": PASSWORD, "device_name": device_name}, timeout=60)
        if r.status_code == 200:
            body = r.json()
            return body["access_token"], body["device_id"]
        time.sleep(0.2 * (attempt + 1))
    raise RuntimeError(f"login failed for {username}: {r.status_code} {r.text[:200]}")


# --- operations ---------------------------------------------------------------------------

def uuid7() -> str:
    """A UUIDv7 string (time-ordered), as devices make them."""
    ms = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 \
        | 0b10 << 62 | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class OpMaker:
    """Ops of one device, seq 1, 2, 3 ... with a monotonic hlc and recent device times."""

    def __init__(self, node: str, start: datetime | None = None) -> None:
        self.node = node
        self.seq = 0
        self.t = self.learned = start or datetime.now(UTC) - timedelta(hours=1)

    def op(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """Each op carries a clock reading, as the PWA's do (server time learned at start)."""
        self.seq += 1
        self.t += timedelta(milliseconds=20)
        ms = int(self.t.timestamp() * 1000)
        clock = {"server_time": iso(self.learned), "device_time": iso(self.learned),
                 "elapsed_ms": (self.t - self.learned) // timedelta(milliseconds=1)}
        return {"id": uuid7(), "seq": self.seq, "hlc": f"{ms:013d}-0000-{self.node}",
                "kind": kind, "action": "create", "record_id": uuid7(), "base_version": None,
                "device_time": iso(self.t), "clock": clock, "data": data}

    def point(self, i: int) -> dict[str, Any]:
        return self.op("location_point", {"lat": 35.99 + (i % 1000) * 1e-5,
                                          "lon": -78.9 - (i % 777) * 1e-5, "accuracy_m": 5.0})


STATUSES = ("en_route", "on_scene", "transporting", "cleared")


def mixed_ops(maker: OpMaker, n: int, call_ids: list[str], rng: random.Random) -> list[dict[str, Any]]:
    """A crew tablet's queue: about 85% location points, 10% status taps, 5% notes on the
    unit's calls (which calls a batch names varies, so its lookups vary in size)."""
    ops = []
    for i in range(n):
        r = rng.random()
        if r < 0.85:
            ops.append(maker.point(i))
        elif r < 0.95:
            ops.append(maker.op("call_status", {"call_id": rng.choice(call_ids),
                                                "status": rng.choice(STATUSES)}))
        else:
            ops.append(maker.op("call_note", {"call_id": rng.choice(call_ids),
                                              "body": f"Field note {i}: client engaged, "
                                                      "accepted water and a referral."}))
    return ops


def push_body(ops: list[dict[str, Any]]) -> bytes:
    return json.dumps({"protocol_version": 2, "device_time": iso(datetime.now(UTC)),
                       "ops": ops}).encode()


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result), flush=True)
