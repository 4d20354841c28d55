"""`make serve-split` end to end, as a department's host runs it: nginx on one port in front of
the alert process (the live stream and backup requests) and the app process (the rest, at a
lower CPU priority), both gunicorn with 2 workers on one PostgreSQL database.

A backup request posted through the front door reaches a supervisor's stream opened through
it; both were served by the alert process, a sync pull by the app process, which runs niced.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from tests.fixtures.databases import fresh_pg_database
from tests.test_gunicorn_pg import free_port

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parent.parent
# make installs nginx on first use, migrates and seeds the demo city, then starts 4 workers.
STARTUP_SECONDS = 180
DEMO_PASSWORD = "heart-demo-2026"
APP_NICE = 10  # the Makefile's defaults
APP_SYNC_CONCURRENCY = "1"
MAKE = shutil.which("make") or "/usr/bin/make"
SS = shutil.which("ss") or "/usr/bin/ss"  # iproute2's socket lister


@dataclass(frozen=True)
class Split:
    url: str
    alert_port: int
    app_port: int


@pytest.fixture
def split(tmp_path: Path) -> Iterator[Split]:
    port, alert_port, app_port = free_port(), free_port(), free_port()
    with fresh_pg_database("heart_split") as url:
        log = (tmp_path / "serve-split.log").open("w")
        env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(48)}
        process = subprocess.Popen(
            [MAKE, "--no-print-directory", "serve-split", f"PG_URL={url}", f"PORT={port}",
             f"ALERT_PORT={alert_port}", f"APP_PORT={app_port}", f"SPLIT_DIR={tmp_path}/nginx"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        front = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(front, alert_port, app_port, process, tmp_path / "serve-split.log")
            yield Split(front, alert_port, app_port)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            wait_for_exit(process.pid)
            log.close()


def wait_until_up(front: str, alert_port: int, app_port: int, process: subprocess.Popen[bytes],
                  log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make serve-split exited with {process.returncode}:\n{log.read_text()}")
        try:
            if all(requests.get(f"{base}/healthz", timeout=2).status_code == 200
                   for base in (front, f"http://127.0.0.1:{alert_port}",
                                f"http://127.0.0.1:{app_port}")):
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.5)
    pytest.fail(f"serve-split was not up within {STARTUP_SECONDS} s:\n{log.read_text()}")


def wait_for_exit(group: int) -> None:
    """The process group is gone (nginx and both gunicorns), so ports and files are free."""
    for _ in range(100):
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)


def sign_in(url: str, username: str) -> str:
    answer = requests.post(f"{url}/api/v1/auth/login", timeout=10, json={
        "username": username, "password": DEMO_PASSWORD, "device_name": f"{username} tablet"})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def established_to(port: int) -> int:
    """Connections open to a local port (nginx's to an upstream)."""
    out = subprocess.run([SS, "-tnH", "state", "established", f"( dport = :{port} )"],
                         capture_output=True, text=True, check=True).stdout
    return len(out.splitlines())


def processes_on(port: int) -> set[int]:
    """The processes holding the port's listening socket (a gunicorn master and its workers)."""
    out = subprocess.run([SS, "-ltnpH", f"( sport = :{port} )"], capture_output=True,
                         text=True, check=True).stdout
    pids = {int(pid) for pid in re.findall(r"pid=(\d+)", out)}
    assert pids, out
    return pids


def nice_of_processes_on(port: int) -> set[int]:
    # /proc/<pid>/stat: the 19th field is the nice value (after the parenthesised name).
    return {int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
            for pid in processes_on(port)}


def test_a_backup_through_the_front_door_reaches_a_stream_served_by_the_alert_process(
        split: Split) -> None:
    supervisor, responder = sign_in(split.url, "supervisor"), sign_in(split.url, "emt1")
    events: list[str] = []
    opened = threading.Event()

    def listen() -> None:
        with requests.get(f"{split.url}/api/v1/stream", stream=True, timeout=30,
                          headers={"Authorization": f"Bearer {supervisor}"}) as answer:
            assert answer.status_code == 200
            for line in answer.iter_lines():
                if line.startswith(b"event: "):
                    events.append(line.decode().removeprefix("event: "))
                    opened.set()
                if "backup.requested" in events:
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(20), "the stream did not open through nginx"
    assert events == ["ready"]
    assert established_to(split.alert_port) >= 1

    request_id = str(uuid.uuid4())
    posted = requests.post(f"{split.url}/api/v1/backups", timeout=10, json={
        "id": request_id, "urgency": "urgent", "device_time": datetime.now(UTC).isoformat()},
        headers={"Authorization": f"Bearer {responder}"})
    assert posted.status_code == 201, posted.text
    listener.join(15)
    assert "backup.requested" in events

    pulled = requests.get(f"{split.url}/api/v1/sync/pull", timeout=10,
                          headers={"Authorization": f"Bearer {responder}"})
    assert pulled.status_code == 200, pulled.text
    assert nice_of_processes_on(split.app_port) == {APP_NICE}
    assert nice_of_processes_on(split.alert_port) == {0}


def test_the_app_process_lets_one_sync_request_in_per_worker() -> None:
    """gunicorn renames its processes over their environment, so the recipe itself is read."""
    recipe = subprocess.run([MAKE, "--no-print-directory", "-n", "serve-split"], cwd=REPO,
                            capture_output=True, text=True, check=True).stdout
    app_line = next(line for line in recipe.splitlines() if "nice -n" in line)
    assert f"SYNC_CONCURRENCY={APP_SYNC_CONCURRENCY} nice -n {APP_NICE}" in app_line
