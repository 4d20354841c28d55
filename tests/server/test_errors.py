"""Every failure answers the JSON error envelope: werkzeug's own errors, an exception nobody
expected, a database that is busy or gone, and whatever escapes Flask (a teardown that
raises, a body that fails while it is produced)."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from werkzeug.test import Client

from server.errors import LastResort
from server.extensions import db
from tests.conftest import make_app

ENVELOPE_KEYS = {"code", "status", "message", "errors"}
# A view anyone may call: the failing stand-ins replace it.
HEALTH = "health.healthz"


@pytest.fixture
def own_contexts(database_url: str) -> Iterator[Flask]:
    """The app with no app context held open by the test: each request pushes its own and
    tears it down, as under gunicorn (the `app` fixture's context would be reused instead)."""
    app = make_app(database_url)
    if database_url.startswith("sqlite"):
        with app.app_context():
            db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


def assert_envelope(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json", response.data
    body: dict[str, Any] = response.get_json()
    assert body.keys() >= ENVELOPE_KEYS, body
    assert body["code"] == status, body
    return body


def locked() -> OperationalError:
    return OperationalError("INSERT INTO ...", {}, sqlite3.OperationalError("database is locked"))


def unreachable() -> OperationalError:
    return OperationalError("SELECT 1", {}, sqlite3.OperationalError("server closed the connection"))


def test_unknown_api_path_and_wrong_method_answer_the_envelope(client: FlaskClient) -> None:
    assert_envelope(client.get("/api/v1/no-such-thing"), 404)
    wrong = client.delete("/api/v1/auth/login")
    assert_envelope(wrong, 405)
    assert "POST" in wrong.headers["Allow"]


def test_an_exception_nobody_expected_is_a_json_500_and_is_logged(
        app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> str:
        raise RuntimeError("a bug in a view")

    monkeypatch.setitem(app.view_functions, HEALTH, boom)
    with caplog.at_level(logging.ERROR):
        body = assert_envelope(client.get("/healthz"), 500)
    assert "reason" not in body
    assert "a bug in a view" in caplog.text


@pytest.mark.parametrize(("error", "reason", "retry"), [(locked, "busy", "1"),
                                                       (unreachable, "unreachable", "5")])
def test_a_busy_database_and_a_lost_one_are_503s_that_say_which(
        app: Flask, client: FlaskClient, error: Callable[[], Exception], reason: str,
        retry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def trouble() -> str:
        raise error()

    monkeypatch.setitem(app.view_functions, HEALTH, trouble)
    response = client.get("/healthz")
    body = assert_envelope(response, 503)
    assert body["reason"] == reason
    assert response.headers["Retry-After"] == retry


@pytest.mark.parametrize(("error", "status"), [(RuntimeError, 500), (unreachable, 503)])
def test_a_teardown_that_raises_after_the_answer_was_built_still_answers_json(
        own_contexts: Flask, error: Callable[[], Exception], status: int) -> None:
    failures = [error()]

    @own_contexts.teardown_appcontext
    def failing_once(_exc: BaseException | None) -> None:
        if failures:
            raise failures.pop()

    response = own_contexts.test_client().get("/healthz")
    body = assert_envelope(response, status)
    assert response.headers["Cache-Control"] == "no-store"
    if status == 503:
        assert response.headers["Retry-After"] == "5"
        assert body["reason"] == "unreachable"


@pytest.mark.parametrize(("error", "status"), [(RuntimeError, 500), (unreachable, 503)])
def test_a_failure_after_the_view_is_answered_from_its_cause(
        app: Flask, client: FlaskClient, error: Callable[[], Exception], status: int) -> None:
    def failing_hook(_response: Any) -> Any:
        raise error()

    app.after_request_funcs.setdefault(None, []).append(failing_hook)
    body = assert_envelope(client.get("/healthz"), status)
    assert body.get("reason") == ("unreachable" if status == 503 else None)


def test_a_session_whose_rollback_fails_is_discarded_and_the_answer_goes_out(
        own_contexts: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    real_close = db.session.session_factory.class_.close
    calls: list[str] = []

    def close_on_a_dead_connection(session: Any) -> None:
        calls.append("close")
        if len(calls) == 1:
            raise unreachable()
        real_close(session)

    monkeypatch.setattr(db.session.session_factory.class_, "close", close_on_a_dead_connection)
    client = own_contexts.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert calls  # the teardown did close the session, and its failure stayed inside
    assert client.get("/healthz").get_json()["database"]["reachable"] is True


def wsgi(chunks: Callable[[], Iterator[bytes]]) -> Callable[..., Any]:
    def app(_environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return chunks()
    return app


def test_a_body_failing_before_its_first_bytes_is_replaced_by_the_envelope() -> None:
    def chunks() -> Iterator[bytes]:
        raise unreachable()
        yield b"{}"  # pragma: no cover - a generator that fails on its first step

    response = Client(LastResort(wsgi(chunks), logging.getLogger("test"))).get("/api/v1/calls")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "unreachable"
    assert response.headers["Retry-After"] == "5"


def test_a_body_failing_after_its_first_bytes_is_cut_not_patched() -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"results": ['
        raise RuntimeError("lost halfway")

    response = Client(LastResort(wsgi(chunks), logging.getLogger("test"))).get("/api/v1/sync/pull")
    assert response.status_code == 200  # the headers were out before the body failed
    with pytest.raises(RuntimeError, match="lost halfway"):
        response.get_data()


def test_a_whole_answer_passes_through_unchanged_and_is_closed() -> None:
    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            return iter([b'{"ok":', b" true}"])

        def close(self) -> None:
            closed.append(True)

    def app(_environ: dict[str, Any], start_response: Callable[..., Any]) -> Body:
        start_response("201 CREATED", [("Content-Type", "application/json"), ("X-Seen", "1")])
        return Body()

    response = Client(LastResort(app, logging.getLogger("test"))).post("/api/v1/calls")
    assert (response.status_code, response.get_json()) == (201, {"ok": True})
    assert response.headers["X-Seen"] == "1"
    assert closed == [True]
