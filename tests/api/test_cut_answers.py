"""The reference client over a real HTTP connection whose answers are cut off after their
headers (the server had committed the push): requests raises ChunkedEncodingError, the client
retries with backoff, and every op is stored exactly once.

The API is served by werkzeug on a free port; a WSGI middleware in front of it lets the app
answer in full, then sends the headers (with the full Content-Length) and half of the body,
and the connection closes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from server.auth.models import Role, User
from server.kinds import record_registry
from server.locations.models import LocationPoint
from server.units.models import Unit
from sync.client import Client
from tests.fixtures.people import PASSWORD
from tests.fixtures.sync import PUSH, count_rows

POINTS = 3


class CutAfterHeaders:
    """Lets the next `cuts` answers to `path` out with their headers and half their body."""

    def __init__(self, app: Callable[..., Iterable[bytes]], path: str) -> None:
        self.app, self.path, self.cuts = app, path, 0
        self.cut_answers: list[int] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.cuts == 0 or environ.get("PATH_INFO") != self.path:
            return self.app(environ, start_response)
        self.cuts -= 1
        held: list[Any] = []

        def hold(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
            held[:] = [status, headers]

        answer = self.app(environ, hold)
        try:
            body = b"".join(answer)
        finally:
            getattr(answer, "close", lambda: None)()
        status, headers = held
        self.cut_answers.append(int(status.split()[0]))
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return iter([body[: len(body) // 2]])


@pytest.fixture
def cutter(app: Flask) -> Iterator[tuple[str, CutAfterHeaders]]:
    middleware = CutAfterHeaders(app.wsgi_app, PUSH)
    server = make_server("127.0.0.1", 0, middleware, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", middleware
    finally:
        server.shutdown()
        thread.join()


def test_a_push_answer_cut_after_its_headers_is_retried_and_each_op_stored_once(
        cutter: tuple[str, CutAfterHeaders], create_unit: Callable[..., Unit],
        create_user: Callable[..., User], tmp_path: Path) -> None:
    url, middleware = cutter
    responder = create_user(Role.RESPONDER_EMT, unit=create_unit())
    sleeps: list[float] = []
    tablet = Client(url, tmp_path / "tablet.sqlite3", record_registry(),
                    sleep=sleeps.append, rand=lambda: 0.5)
    try:
        tablet.login(responder.username, PASSWORD)
        for i in range(POINTS):
            tablet.record_location(35.99 + i / 1000, -78.9)
        middleware.cuts = 2
        report = tablet.push()
    finally:
        tablet.close()
    assert middleware.cut_answers == [200, 200]  # committed twice over, answered in halves
    assert report.replayed == POINTS
    assert report.outcomes == {"applied": POINTS}
    assert sleeps == [0.5, 1.0]
    assert count_rows(LocationPoint) == POINTS
