"""The live stream across server processes on PostgreSQL: two gunicorns (one gevent worker
each, as on two hosts) on one migrated database. A backup request posted to one reaches a
supervisor listening on the other, not a responder of another unit far away; a worker killed
with -9 while streams are open is replaced, and its listeners resume with Last-Event-ID and
miss nothing; the first streams of a fresh process, more than its pool of connections holds,
all open."""

from __future__ import annotations

import os
import queue
import secrets
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from server.auth.models import Role
from server.auth.services import create_user
from server.extensions import db
from server.units.models import Program, Unit
from tests.conftest import make_app
from tests.fixtures.databases import fresh_pg_database
from tests.fixtures.people import PASSWORD, put_on_shift
from tests.test_gunicorn_pg import BIN, REPO, flask_cli, free_port, wait_until_healthy

pytestmark = pytest.mark.postgres

# Far beyond a delivery (milliseconds) and a worker's restart (a second or two), short
# enough that a lost event fails the test quickly.
ARRIVES_WITHIN_SECONDS = 20
# After the supervisor has an event, how long the far responder's stream is watched for it.
QUIET_SECONDS = 1.0
# Several times what one process's pool holds (SQLAlchemy's 5 + 10 overflow), opened at once.
FIRST_STREAMS = 60
# A stopped client's read ends when its server stops (within the servers' own 15 s bound).
STOP_SECONDS = 20


@dataclass
class Listener:
    """A stream client as the tablet's: frames into a queue, reconnecting with Last-Event-ID."""

    url: str
    token: str
    frames: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    last_id: str | None = None
    connects: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    #: What broke the client other than a server going away: raised by next() and join().
    error: BaseException | None = None
    thread: threading.Thread | None = None

    def start(self, together: threading.Barrier | None = None) -> Listener:
        self.thread = threading.Thread(target=self._run, args=(together,), daemon=True)
        self.thread.start()
        return self

    def join(self) -> None:
        """Waits for the client, stopped and its server gone, and raises what broke it."""
        if self.thread is not None:
            self.thread.join(timeout=STOP_SECONDS)
            assert not self.thread.is_alive(), "a stream client did not stop"
        if self.error is not None:
            raise self.error

    def _run(self, together: threading.Barrier | None) -> None:
        try:
            self._listen(together)
        except BaseException as error:  # kept for the test's thread, which reports it
            self.error = error

    def _listen(self, together: threading.Barrier | None) -> None:
        if together is not None:
            together.wait()
        while not self.stopping.is_set():
            headers = {"Authorization": f"Bearer {self.token}"}
            if self.last_id is not None:
                headers["Last-Event-ID"] = self.last_id
            try:
                with requests.get(f"{self.url}/api/v1/stream", headers=headers, stream=True,
                                  timeout=(5, 30)) as answer:
                    answer.raise_for_status()
                    self.connects += 1
                    frame: dict[str, Any] = {}
                    for line in answer.iter_lines(decode_unicode=True):
                        if line:
                            key, _, value = line.partition(": ")
                            frame[key] = value
                            continue
                        if "id" in frame:
                            self.last_id = frame["id"]
                        if "data" in frame:
                            frame["data"] = orjson.loads(frame["data"])
                            self.frames.put(frame)
                        frame = {}
            except requests.RequestException:
                pass  # the worker went away: reconnect below, as the tablet does
            time.sleep(0.2)

    def next(self, event: str) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        deadline = time.monotonic() + ARRIVES_WITHIN_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.frames.get(timeout=left)
            except queue.Empty:
                break
            if frame.get("event") == event:
                return frame
        raise AssertionError(f"no {event} within {ARRIVES_WITHIN_SECONDS} s")

    def seen(self, event: str) -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                frame = self.frames.get_nowait()
            except queue.Empty:
                return found
            if frame.get("event") == event:
                found.append(frame)


class Server:
    """gunicorn with one gevent worker (gunicorn.conf.py's class) on the shared database."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "1", "--no-control-socket",
             "--graceful-timeout", "2", "--bind", self.url.removeprefix("http://"),
             "server:create_app()"], env=env, cwd=REPO, stdout=self._out,
            stderr=subprocess.STDOUT)
        wait_until_healthy(self.url, self.process, log)

    def worker_pid(self) -> int:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        children = path.read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def stop(self) -> None:
        if self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()


@pytest.fixture
def city() -> Iterator[dict[str, str]]:
    """A migrated database with a supervisor, a dispatcher and two units' responders."""
    with fresh_pg_database("heart_stream") as url:
        env = {**os.environ, "DATABASE_URL": url, "HEART_ENV": "production",
               "SECRET_KEY": secrets.token_urlsafe(48), "FLASK_APP": "server"}
        flask_cli(env, "db", "upgrade")
        app = make_app(url)
        with app.app_context():
            near, far = (Unit(call_sign=s, program=Program.COMMUNITY_RESPONSE)
                         for s in ("NEAR-1", "FAR-1"))
            db.session.add_all([near, far])
            db.session.flush()
            for name, role, unit in (("sup", Role.SUPERVISOR, None),
                                     ("disp", Role.DISPATCHER, None),
                                     ("near", Role.RESPONDER_EMT, near),
                                     ("far", Role.RESPONDER_EMT, far)):
                user = create_user(db.session, username=name, full_name=name.title(), role=role,
                                   password=PASSWORD)
                if unit is not None:
                    put_on_shift(unit, user)
            db.session.commit()
            db.engine.dispose()
        yield env


@pytest.fixture
def servers(city: dict[str, str], tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    first = Server(city, tmp_path / "a.log")
    try:
        second = Server(city, tmp_path / "b.log")
    except BaseException:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture
def listen(servers: tuple[Server, Server]) -> Iterator[Callable[[Server, str], Listener]]:
    """Stream clients that stop, raising what broke any of them, before the servers stop."""
    made: list[Listener] = []

    def make(server: Server, token: str) -> Listener:
        made.append(Listener(server.url, token))
        return made[-1]

    yield make
    # Stopped before their servers go: a client left reconnecting could reach a later test's
    # server on the same port.
    for listener in made:
        listener.stopping.set()
    for server in servers:
        server.stop()
    for listener in made:
        listener.join()


def sign_in(server: Server, username: str) -> str:
    answer = requests.post(f"{server.url}/api/v1/auth/login", timeout=30,
                           json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def ask_for_backup(server: Server, token: str) -> str:
    now = datetime.now(UTC).isoformat()
    request_id = str(uuid.uuid4())
    answer = requests.post(f"{server.url}/api/v1/backups", timeout=30,
                           headers={"Authorization": f"Bearer {token}"},
                           json={"id": request_id, "urgency": "urgent", "device_time": now,
                                 "position": {"lat": 35.99, "lon": -78.9, "recorded_at": now}})
    assert answer.status_code == 201, answer.text
    return request_id


def test_a_request_posted_to_one_process_reaches_a_supervisor_on_another(
        servers: tuple[Server, Server], listen: Callable[[Server, str], Listener]) -> None:
    a, b = servers
    supervisor = listen(b, sign_in(b, "sup")).start()
    far = listen(b, sign_in(b, "far")).start()
    supervisor.next("ready")
    far.next("ready")
    request_id = ask_for_backup(a, sign_in(a, "near"))
    assert supervisor.next("backup.requested")["data"]["id"] == request_id
    time.sleep(QUIET_SECONDS)
    assert far.seen("backup.requested") == []  # another unit, no position near: not theirs


def test_listeners_of_a_killed_worker_resume_and_miss_nothing(
        servers: tuple[Server, Server], listen: Callable[[Server, str], Listener]) -> None:
    a, b = servers
    near = sign_in(a, "near")
    supervisor = listen(b, sign_in(b, "sup")).start()
    dispatcher = listen(b, sign_in(b, "disp")).start()
    for listener in (supervisor, dispatcher):
        listener.next("ready")
    before = ask_for_backup(a, near)
    for listener in (supervisor, dispatcher):
        assert listener.next("backup.requested")["data"]["id"] == before
    os.kill(b.worker_pid(), signal.SIGKILL)
    while_down = [ask_for_backup(a, near) for _ in range(3)]
    after = ask_for_backup(a, near)
    for listener in (supervisor, dispatcher):
        got = [listener.next("backup.requested")["data"]["id"] for _ in range(4)]
        assert got == [*while_down, after]  # in order, none missed, none twice
        assert listener.connects >= 2
    assert "Booting worker" in b.log.read_text()


def test_the_first_streams_of_a_fresh_process_all_open(
        servers: tuple[Server, Server], listen: Callable[[Server, str], Listener]) -> None:
    a, b = servers
    token = sign_in(a, "sup")  # signed in on one process; the streams open on the other
    listeners = [listen(b, token) for _ in range(FIRST_STREAMS)]
    together = threading.Barrier(FIRST_STREAMS)
    for listener in listeners:
        listener.start(together)
    for listener in listeners:
        listener.next("ready")
    request_id = ask_for_backup(a, sign_in(a, "near"))
    for listener in listeners:
        assert listener.next("backup.requested")["data"]["id"] == request_id
