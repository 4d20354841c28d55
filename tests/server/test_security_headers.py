"""Security headers on every answer (API, errors, the app shell, the docs page), no-store on
API answers, HSTS only in production; the request body limit answers 413 in the envelope and
keeps nothing of the refused body."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.auth.models import Role
from server.config import MAX_REQUEST_BYTES
from server.extensions import db
from server.security import script_hashes
from server.sync.models import RejectedOp
from tests.conftest import make_app
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet, outcomes

COMMON = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
          "Referrer-Policy": "no-referrer"}


@pytest.fixture
def built_app(app: Flask, tmp_path: Path) -> Flask:
    """The app serving a minimal built web app."""
    (tmp_path / "index.html").write_text("<!doctype html><title>HEART Field</title>")
    app.config["PWA_DIST"] = str(tmp_path)
    return app


def _assert_common(response: Any) -> None:
    for name, value in COMMON.items():
        assert response.headers[name] == value, name
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("path", ["/api/v1/auth/me", "/api/v1/units", "/api/v1/nowhere",
                                  "/api/openapi.json", "/healthz"])
def test_every_answer_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    _assert_common(client.get(path))


def test_api_answers_are_not_stored_signed_in_or_refused(
        signed_in: Callable[..., Session], client: FlaskClient) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    answers = [dispatcher.get("/api/v1/auth/me"), client.get("/api/v1/auth/me"),
               client.post("/api/v1/auth/login", json={"username": ""}),
               dispatcher.get("/api/v1/calls/00000000-0000-0000-0000-000000000000")]

    assert [a.status_code for a in answers] == [200, 401, 422, 404]
    assert {a.headers["Cache-Control"] for a in answers} == {"no-store"}


def test_the_app_shell_keeps_its_own_caching_and_gets_the_headers(
        built_app: Flask) -> None:
    shell = built_app.test_client().get("/")

    shell.close()
    assert shell.status_code == 200
    assert shell.headers["Cache-Control"] == "no-cache"
    _assert_common(shell)


def test_the_docs_page_allows_exactly_its_own_inline_script(client: FlaskClient) -> None:
    page = client.get("/api/docs")

    hashes = script_hashes(page.get_data(as_text=True))
    assert page.status_code == 200
    assert len(hashes) == 1
    assert f"script-src 'self' 'wasm-unsafe-eval' {hashes[0]};" in page.headers["Content-Security-Policy"]
    assert "sha256-" not in client.get("/api/v1/units").headers["Content-Security-Policy"]


def test_hsts_only_in_production(client: FlaskClient, database_url: str,
                                 tmp_path: Path) -> None:
    production = make_app(database_url, ENV_NAME="production")
    production.instance_path = str(tmp_path)

    answer = production.test_client().get("/healthz")
    with production.app_context():
        db.engine.dispose()

    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_10_mb_note_is_refused_with_413_and_nothing_is_kept(
        tablet: Callable[..., Tablet], create_call: Callable[..., Any]) -> None:
    device = tablet()
    call = create_call(device.unit)

    response = device.push([device.note(call, "x" * 10_000_000)], expect=None)

    assert response.status_code == 413
    assert response.json["code"] == 413
    assert response.json["status"] == "Request Entity Too Large"
    assert "fewer operations" in response.json["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RejectedOp)) == 0


def test_a_full_push_of_notes_of_several_thousand_characters_fits(
        tablet: Callable[..., Tablet], create_call: Callable[..., Any]) -> None:
    device = tablet()
    call = create_call(device.unit)
    ops = [device.note(call, f"{n} " + "Checked on the neighbour. " * 250) for n in range(500)]
    body_size = len(device.session.client.application.json.dumps(
        {"protocol_version": 2, "device_time": "2026-12-01T00:00:00+00:00", "ops": ops}))

    response = device.push(ops)

    assert body_size > MAX_REQUEST_BYTES // 3
    assert set(outcomes(response)) == {"applied"}


def test_an_oversized_body_is_refused_before_sign_in_is_even_tried(client: FlaskClient) -> None:
    response = client.post("/api/v1/auth/login", data=b"{" + b" " * MAX_REQUEST_BYTES + b"}",
                           content_type="application/json")

    assert response.status_code == 413
    assert response.json["errors"] == {}
    assert response.headers["Cache-Control"] == "no-store"

