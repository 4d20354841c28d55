"""PostgreSQL drops a request's connection part-way (pg_terminate_backend from another
connection): at the sign-in guard, in the view, or after the view while the session still
holds a transaction that teardown must roll back. Every answer is the JSON envelope, a lost
database is 503 with Retry-After, and the next request is served on a new connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask, Response
from flask.testing import FlaskClient

from server.auth.models import Role
from server.auth.services import create_user
from server.demo import seed_call_types
from server.extensions import db
from tests.conftest import PG_ADMIN_URL, _truncate_all, make_app
from tests.fixtures.people import PASSWORD, bearer

pytestmark = pytest.mark.postgres

CALLS = "/api/v1/calls"
# A safety net only: the terminated backend is normally gone within milliseconds.
BACKEND_GONE_WITHIN_SECONDS = 10


def terminate_own_backend() -> None:
    """Have another connection terminate the one this request's session is using."""
    pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    deadline = time.monotonic() + BACKEND_GONE_WITHIN_SECONDS
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            assert time.monotonic() < deadline, "the backend was not terminated"
            time.sleep(0.01)


@pytest.fixture
def pg_app(pg_database: str) -> Iterator[Flask]:
    """The app on the PostgreSQL test database, no app context held open by the test (each
    request pushes and tears down its own, as under gunicorn)."""
    _truncate_all(pg_database)
    app = make_app(pg_database)
    with app.app_context():
        seed_call_types(db.session)
        create_user(db.session, username="dispatch", full_name="Dispatch",
                    role=Role.DISPATCHER, password=PASSWORD)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def dispatcher(pg_app: Flask) -> tuple[FlaskClient, dict[str, str]]:
    client = pg_app.test_client()
    return client, bearer(client, "dispatch")


def kill_before_the_guard(app: Flask, armed: list[bool]) -> None:
    def hook() -> None:
        if armed:
            armed.clear()
            terminate_own_backend()
    app.before_request_funcs.setdefault(None, []).insert(0, hook)


def kill_in_the_view(app: Flask, armed: list[bool]) -> None:
    def hook() -> None:
        if armed:
            armed.clear()
            terminate_own_backend()
    app.before_request_funcs.setdefault(None, []).append(hook)  # after the guard's query


def kill_after_the_view(app: Flask, armed: list[bool]) -> None:
    def hook(response: Response) -> Response:
        if armed:
            armed.clear()
            db.session.execute(sa.text("SELECT 1"))  # teardown has a transaction to roll back
            terminate_own_backend()
        return response
    app.after_request_funcs.setdefault(None, []).append(hook)  # the first to run


def assert_json_answer(response: Any) -> None:
    assert response.mimetype == "application/json", response.data
    body = response.get_json()
    if response.status_code >= 500:
        assert response.status_code == 503, body
        assert body["reason"] == "unreachable"
        assert int(response.headers["Retry-After"]) > 0


def new_call(n: int) -> dict[str, Any]:
    return {"cad_number": f"LOST-{n}", "call_type": "welfare_check", "address": f"{n} Main St",
            "lat": 35.99, "lon": -78.9}


@pytest.mark.parametrize(("kill", "read_status", "write_status"), [
    (kill_before_the_guard, 503, 503),
    (kill_in_the_view, 503, 503),
    (kill_after_the_view, 200, 201),
])
def test_a_connection_dropped_mid_request_is_answered_in_json_and_the_next_one_is_served(
        pg_app: Flask, dispatcher: tuple[FlaskClient, dict[str, str]],
        kill: Callable[[Flask, list[bool]], None], read_status: int, write_status: int) -> None:
    client, headers = dispatcher
    armed: list[bool] = []
    kill(pg_app, armed)

    armed.append(True)
    read = client.get(CALLS, headers=headers)
    assert_json_answer(read)
    assert read.status_code == read_status
    assert client.get(CALLS, headers=headers).status_code == 200

    armed.append(True)
    write = client.post(CALLS, headers=headers, json=new_call(1))
    assert_json_answer(write)
    assert write.status_code == write_status
    listed = client.get(CALLS, headers=headers)
    assert listed.status_code == 200
    stored = [c["cad_number"] for c in listed.get_json()]
    assert stored == (["LOST-1"] if write_status == 201 else [])  # all of it or none of it
