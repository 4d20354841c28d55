"""The production set-up end to end: gunicorn with 2 workers on a migrated PostgreSQL database.

The same as `make serve-pg`, started by hand:
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/heart .venv/bin/flask db upgrade
    DATABASE_URL=... HEART_ENV=production SECRET_KEY=... .venv/bin/gunicorn --workers 2 \
        --no-control-socket --graceful-timeout 5 --bind 127.0.0.1:8000 'server:create_app()'
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from tests.conftest import PG_ADMIN_URL
from tests.fixtures.databases import fresh_pg_database

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 20
PASSWORD = "a-long-enough-password"
# Requests sent while the workers' connections are being dropped, as in the fault test that
# found HTML error pages (24 of 58 answers).
FAULT_REQUESTS = 60
# Often enough that some requests lose their connection between their last query and the
# teardown's rollback (the narrow window that gave HTML pages: 2 of 60 before the fix).
DROP_EVERY_SECONDS = 0.002


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def flask_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def production_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    with fresh_pg_database("heart_gunicorn") as url:
        env = {**os.environ, "DATABASE_URL": url, "HEART_ENV": "production",
               "SECRET_KEY": secrets.token_urlsafe(48), "FLASK_APP": "server"}
        flask_cli(env, "db", "upgrade")
        flask_cli(env, "seed-call-types")
        flask_cli(env, "create-user", "dispatch1", "dispatcher", "--password", PASSWORD)
        yield env


@pytest.fixture
def server_url(production_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--no-control-socket", "--graceful-timeout", "5",
         "--bind", f"127.0.0.1:{port}", "server:create_app()"],
        env=production_env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, tmp_path / "gunicorn.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or a worker still importing the app answers late
        time.sleep(0.2)
    pytest.fail(f"gunicorn was not healthy within {STARTUP_SECONDS} s:\n{log.read_text()}")


def test_gunicorn_with_two_workers_serves_the_api_on_postgresql(
        server_url: str, tmp_path: Path) -> None:
    with requests.Session() as http:
        health = http.get(f"{server_url}/healthz", timeout=5).json()
        assert health["database"] == {"reachable": True, "dialect": "postgresql"}

        login = http.post(f"{server_url}/api/v1/auth/login", timeout=5,
                          json={"username": "dispatch1", "password": PASSWORD})
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"

        created = http.post(f"{server_url}/api/v1/calls", timeout=5, json={
            "cad_number": "G-1", "call_type": "welfare_check", "address": "1 Main St",
            "lat": 35.99, "lon": -78.9})
        assert created.status_code == 201, created.text
        call_id = created.json()["id"]
        # Several requests, so both workers answer some: each must see the other's writes.
        for _ in range(6):
            assert http.get(f"{server_url}/api/v1/calls/{call_id}", timeout=5).status_code == 200
            assert http.get(f"{server_url}/api/v1/auth/me", timeout=5).json()["username"] == \
                "dispatch1"
        listed = http.get(f"{server_url}/api/v1/calls", timeout=5).json()
        assert [c["cad_number"] for c in listed] == ["G-1"]
        assert http.get(f"{server_url}/api/openapi.json", timeout=5).status_code == 200
    log = (tmp_path / "gunicorn.log").read_text()
    assert log.count("Booting worker") == 2, log


def terminate_backends(url: str) -> int:
    """End every connection the workers hold to the app's database (a failover, a restart)."""
    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchall()
    return len(rows)


def test_connections_dropped_under_load_are_answered_in_json_never_an_html_page(
        server_url: str, production_env: dict[str, str]) -> None:
    with requests.Session() as http:
        login = http.post(f"{server_url}/api/v1/auth/login", timeout=5,
                          json={"username": "dispatch1", "password": PASSWORD})
        assert login.status_code == 200, login.text
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        stop = threading.Event()

        def keep_dropping() -> None:
            while not stop.is_set():
                terminate_backends(production_env["DATABASE_URL"])
                stop.wait(DROP_EVERY_SECONDS)

        dropper = threading.Thread(target=keep_dropping, daemon=True)
        dropper.start()
        answers: list[requests.Response] = []
        try:
            for n in range(FAULT_REQUESTS):
                if n % 3 == 0:
                    answers.append(http.post(f"{server_url}/api/v1/calls", timeout=10, json={
                        "cad_number": f"F-{n}", "call_type": "welfare_check",
                        "address": f"{n} Main St", "lat": 35.99, "lon": -78.9}))
                else:
                    answers.append(http.get(f"{server_url}/api/v1/calls", timeout=10))
        finally:
            stop.set()
            dropper.join()
        not_json = [(a.status_code, a.text[:80]) for a in answers
                    if a.headers.get("Content-Type") != "application/json"]
        assert not_json == []
        failed = [a for a in answers if a.status_code >= 500]
        assert failed, "no request met a dropped connection: the test injected nothing"
        assert {a.status_code for a in failed} == {503}
        assert all(a.json()["reason"] == "unreachable" for a in failed)
        assert all(int(a.headers["Retry-After"]) > 0 for a in failed)
        # Once the drops stop, every worker serves again on new connections.
        assert all(http.get(f"{server_url}/api/v1/calls", timeout=5).status_code == 200
                   for _ in range(6))
