"""A real HEART Field server and system Chromium for the browser tests and bench/pwa_cold_start.py.

The server is the Flask app on a temporary SQLite file (migrated with `flask db upgrade`, demo
data built in-process), served by werkzeug in a thread on a free 127.0.0.1 port, from a copy of
pwa/dist (so a test can publish a "new release" of the service worker without touching the build).
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from werkzeug.serving import BaseWSGIServer, make_server

ROOT = Path(__file__).resolve().parents[2]
PWA = ROOT / "pwa"
DIST = PWA / "dist"
VENV_BIN = ROOT / ".venv" / "bin"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"]
PASSWORD = "heart-demo-2026"
SECRET = "e2e-secret-key-that-is-long-enough-for-hs256-signing"
# A tablet in landscape: the smallest width the app is designed for is 768 px.
VIEWPORT = {"width": 1024, "height": 768}


def _newest_mtime(paths: Iterable[Path]) -> float:
    newest = 0.0
    for p in paths:
        if p.is_dir():
            newest = max([newest, *(f.stat().st_mtime for f in p.rglob("*") if f.is_file())])
        elif p.exists():
            newest = max(newest, p.stat().st_mtime)
    return newest


def ensure_pwa_built() -> None:
    """Build pwa/dist when index.html is missing or older than the sources (`make test` built it)."""
    index = DIST / "index.html"
    sources = [PWA / "src", PWA / "public", PWA / "index.html", PWA / "vite.config.ts"]
    if index.exists() and index.stat().st_mtime >= _newest_mtime(sources):
        return
    if not (PWA / "node_modules").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PWA, check=True,  # noqa: S607
                       capture_output=True)
    subprocess.run(["npm", "run", "build"], cwd=PWA, check=True, capture_output=True)  # noqa: S607


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Gate:
    """Makes the API answer 503 on demand while the app shell (and sw.js) are still served:
    a server that cannot be reached for sync while a new release is published."""

    api_down: bool = False
    requests: list[str] = field(default_factory=list)

    def wrap(self, app: Any) -> Callable[..., Any]:
        def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            path = environ.get("PATH_INFO", "")
            self.requests.append(f"{environ.get('REQUEST_METHOD')} {path}")
            if self.api_down and path.startswith("/api/"):
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                return [b'{"code":503,"status":"Service Unavailable","message":"down","errors":{}}']
            return app(environ, start_response)

        return middleware


@dataclass
class LiveServer:
    url: str
    db_url: str
    dist: Path
    app: Any
    gate: Gate
    engine: sa.Engine
    _server: BaseWSGIServer
    _thread: threading.Thread

    def api(self, method: str, path: str, token: str | None = None, **kw: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kw)

    def login(self, username: str) -> dict[str, Any]:
        """An API sign-in (registers a device of its own; fine for supervisors and checks)."""
        r = self.api("POST", "/auth/login", json={"username": username, "password": PASSWORD,
                                                   "device_name": "e2e checker"})
        r.raise_for_status()
        return dict(r.json())

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params))

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(10)
        self._server.server_close()
        self.engine.dispose()
        with self.app.app_context():
            from server.extensions import db

            db.session.remove()
            db.engine.dispose()


def start_server(workdir: Path, *, access_seconds: int = 900,
                 seed: Callable[[Any], None] | None = None) -> LiveServer:
    """Migrate a SQLite file under workdir, build the demo city (plus `seed(app)`), serve it."""
    ensure_pwa_built()
    dist = workdir / "dist"
    shutil.copytree(DIST, dist)
    db_path = workdir / "heart.sqlite"
    db_url = f"sqlite:///{db_path}"
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": SECRET, "FLASK_APP": "server",
           "HEART_ENV": "development", "PYTHONPATH": str(ROOT)}
    flask_bin = VENV_BIN / "flask"
    subprocess.run([str(flask_bin) if flask_bin.exists() else "flask", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)

    from server import create_app
    from server.demo import build_demo_city
    from server.extensions import db

    app = create_app({
        "SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": SECRET, "PWA_DIST": str(dist),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=access_seconds),
        # Cheap hashing: a dozen sign-ins per run; production keeps Argon2id's defaults.
        "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 256,
        # Sign-ins are many and from one address in a test run.
        "LOGIN_FREE_FAILURES_PER_NAME": 1000, "LOGIN_FREE_FAILURES_PER_ADDRESS": 1000,
    })
    app.instance_path = str(workdir / "instance")
    with app.app_context():
        build_demo_city(db.session())
        db.session.commit()
        if seed:
            seed(app)
        db.session.remove()
    gate = Gate()
    port = free_port()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, gate.wrap(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    live = LiveServer(url=f"http://127.0.0.1:{port}", db_url=db_url, dist=dist, app=app, gate=gate,
                      engine=sa.create_engine(db_url), _server=server, _thread=thread)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{live.url}/", timeout=2).ok:
                return live
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("the e2e server did not answer")


def seed_open_calls(session: Any, call_sign: str, count: int, prefix: str = "E2E") -> None:
    """`count` more open (dispatched) calls for a unit, at the demo's premises, in its feed."""
    import random
    from datetime import UTC, datetime

    from server.auth.models import User
    from server.calls.models import Call, CallStatus, CallType, Premise
    from server.calls.services import note_call_changed
    from server.demo import narrative_for
    from server.units.models import Unit

    rng = random.Random(f"{call_sign}-{count}")
    unit = session.scalar(sa.select(Unit).where(Unit.call_sign == call_sign))
    dispatcher = session.scalar(sa.select(User).where(User.username == "dispatcher"))
    types = list(session.scalars(sa.select(CallType)))
    premises = list(session.scalars(sa.select(Premise)))
    now = datetime.now(UTC)
    for n in range(count):
        call_type = rng.choice(types)
        received = now - timedelta(minutes=rng.randrange(5, 600), seconds=n)
        call = Call(cad_number=f"{prefix}-{call_sign}-{n:05d}", call_type=call_type,
                    priority=call_type.default_priority, premise=rng.choice(premises),
                    narrative=narrative_for(call_type.code), received_at=received, dispatched_at=received,
                    unit_id=unit.id, status=CallStatus.DISPATCHED, updated_by_id=dispatcher.id)
        session.add(call)
        session.flush()
        note_call_changed(session, call)
    session.commit()


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


# ---- page helpers shared by the tests and the bench -------------------------------------------

def wait_controlled(page: Any, timeout_s: float = 15) -> None:
    """The service worker must control the page before going offline ('prompt' flow: reload once)."""
    deadline = time.monotonic() + timeout_s
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    while not page.evaluate("navigator.serviceWorker.controller !== null"):
        if time.monotonic() > deadline:
            raise AssertionError("the service worker never controlled the page")
        page.reload()
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")


#: The last user signed in per browser context: who unlocks when a test names nobody (the unlock
#: screen shows no names, it asks for one).
_signed_in: dict[int, str] = {}


def sign_in(page: Any, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.get_by_test_id("current-user").wait_for()
    _signed_in[id(page.context)] = username


def unlock(page: Any, password: str = PASSWORD, username: str | None = None) -> None:
    page.get_by_test_id("unlock-form").wait_for()
    page.get_by_test_id("unlock-username").fill(username or _signed_in[id(page.context)])
    page.get_by_test_id("unlock-password").fill(password)
    page.get_by_test_id("unlock-submit").click()
    page.get_by_test_id("current-user").wait_for()


def unlock_if_locked(page: Any, password: str = PASSWORD, username: str | None = None) -> None:
    """After a reload the app asks to unlock (the data key lives only in memory)."""
    page.locator('[data-testid="current-user"], [data-testid="unlock-form"]').first.wait_for()
    if page.get_by_test_id("unlock-form").count():
        unlock(page, password, username)


def unsent(page: Any) -> int:
    return int(page.get_by_test_id("unsent-count").get_attribute("data-count") or 0)


def press_sync_now(page: Any) -> None:
    """Presses "Sync now" if it is there and enabled. Pressed as a script would: the sticky
    top bar may lie over it while a banner grows it, and what is tested is the sync, not where
    the button sits (the layout tests check that)."""
    sync_now = page.get_by_test_id("sync-now")
    if sync_now.count() and sync_now.is_enabled():
        sync_now.evaluate("button => button.click()")


def wait_synced(page: Any, timeout_s: float = 30) -> None:
    """Press "Sync now" until nothing is unsent and no pass is running."""
    deadline = time.monotonic() + timeout_s
    while True:
        if unsent(page) == 0 and page.get_by_test_id("sync-progress").count() == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{unsent(page)} operations still unsent")
        press_sync_now(page)
        page.wait_for_timeout(300)


# How long a call screen waits for its call to land before nudging the sync loop again.
CALL_ARRIVAL_NUDGE_MS = 3_000
# Nudges by "Sync now" before the page is reloaded instead (a reload starts the app afresh,
# and it pulls as it starts).
NUDGES_BEFORE_RELOAD = 4


def open_call(page: Any, call_id: str, timeout_s: float = 60) -> None:
    """Opens a call's screen and waits for the call to land in the tablet's store, pressing
    "Sync now" when it has not yet (a pull slowed by a loaded machine, or in backoff), and
    reloading after a few presses."""
    url = f"/#/call/{call_id}"
    page.goto(url)
    detail = page.locator(f'[data-testid="call-detail"][data-call-id="{call_id}"]')
    deadline = time.monotonic() + timeout_s
    for nudge in itertools.count(1):
        try:
            detail.wait_for(timeout=CALL_ARRIVAL_NUDGE_MS)
            return
        except PlaywrightTimeoutError:
            if time.monotonic() > deadline:
                raise AssertionError(f"call {call_id} never reached the tablet's screen; it "
                                     f"shows: {page.locator('body').inner_text()[:400]!r}") from None
        if nudge % NUDGES_BEFORE_RELOAD == 0:
            page.reload()
            unlock_if_locked(page)
            page.goto(url)
        else:
            press_sync_now(page)


def eventually(check: Callable[[], Any], timeout_s: float = 20, what: str = "condition") -> Any:
    """Polls `check` until it returns something truthy (server state arrives after a sync pass)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


# Everything IndexedDB holds on this origin, as text: every database, every store, every value.
DUMP_INDEXEDDB_JS = """
async () => {
  const out = [];
  const dbs = await indexedDB.databases();
  for (const info of dbs) {
    const db = await new Promise((res, rej) => {
      const r = indexedDB.open(info.name);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    for (const store of Array.from(db.objectStoreNames)) {
      const rows = await new Promise((res, rej) => {
        const acc = [];
        const req = db.transaction(store, 'readonly').objectStore(store).openCursor();
        req.onsuccess = () => {
          const c = req.result;
          if (!c) return res(acc);
          acc.push(JSON.stringify({key: c.key, value: c.value}, (k, v) =>
            v instanceof ArrayBuffer || ArrayBuffer.isView(v)
              ? Array.from(new Uint8Array(v.buffer || v)).map((b) => String.fromCharCode(b)).join('')
              : v));
          c.continue();
        };
        req.onerror = () => rej(req.error);
      });
      out.push({db: info.name, store, rows});
    }
    db.close();
  }
  return out;
}
"""
