"""The app factory: test configurations, production refusals, the development secret,
/healthz, and the API docs page that works with no internet."""

from __future__ import annotations

import re
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from server import create_app
from server.auth.models import Role, User
from server.auth.services import create_user
from server.config import DevelopmentConfig, ProductionConfig
from server.extensions import db
from server.version import __version__
from tests.conftest import make_app
from tests.fixtures.people import PASSWORD

GOOD_SECRET = "a-production-secret-of-more-than-32-characters"
ENV_VARS = ("HEART_ENV", "DATABASE_URL", "SECRET_KEY", "SYNC_RETENTION_DAYS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No configuration leaks in from the shell, and instance/ is a temporary folder."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda _self: str(instance))
    return instance


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_in_memory_sqlite_app_serves_a_signed_in_request() -> None:
    app = make_app("sqlite://")
    with app.app_context():
        db.create_all()
        create_user(db.session, username="ada", full_name="Ada", role=Role.DISPATCHER,
                    password=PASSWORD)
        db.session.commit()
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    assert login.status_code == 200
    me = client.get("/api/v1/auth/me",
                    headers={"Authorization": f"Bearer {login.json['access_token']}"})
    assert me.status_code == 200
    assert me.json["username"] == "ada"
    with app.app_context():
        assert db.session.scalar(sa.select(User.username)) == "ada"


def test_a_mapping_of_overrides_builds_an_app() -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": GOOD_SECRET,
                      "TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert app.config["JWT_SECRET_KEY"] == GOOD_SECRET


def test_production_refuses_to_start_without_a_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


@pytest.mark.parametrize("weak", ["a" * 32, "abcd" * 8, "ab" * 40],
                         ids=["one-character", "four-characters", "two-characters-long"])
def test_production_refuses_a_secret_key_of_too_few_characters(
        monkeypatch: pytest.MonkeyPatch, weak: str) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_accepts_a_random_key_of_the_minimum_length(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(ProductionConfig.MIN_SECRET_LENGTH // 2))
    assert create_app(ProductionConfig).config["ENV_NAME"] == "production"


def test_serve_pg_never_falls_back_to_the_development_key() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    serve_pg = makefile.split("\nserve-pg:", 1)[1].split("\n\n", 1)[0]
    assert "instance/secret_key" not in serve_pg
    assert "SECRET_KEY=$${SECRET_KEY:-$$(cat $(PROD_KEY))}" in serve_pg
    assert "PROD_KEY := instance/production_secret_key" in makefile


def test_production_refuses_a_short_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("SECRET_KEY", "x" * (ProductionConfig.MIN_SECRET_LENGTH - 1))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_to_start_without_a_database_url(
        monkeypatch: pytest.MonkeyPatch, clean_environment: Path) -> None:
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("HEART_ENV", "production")
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app()
    assert not (clean_environment / "heart.sqlite").exists()


def test_heart_env_production_with_both_settings_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEART_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("SECRET_KEY", GOOD_SECRET)
    app = create_app()
    assert app.config["ENV_NAME"] == "production"
    assert app.config["SECRET_KEY"] == GOOD_SECRET
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


def test_development_generates_a_secret_under_instance_and_reuses_it(
        clean_environment: Path) -> None:
    first = create_app(DevelopmentConfig)
    key_file = clean_environment / "secret_key"
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0, "the key must be readable by its owner only"
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= ProductionConfig.MIN_SECRET_LENGTH
    second = create_app(DevelopmentConfig)
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    default_database = f"sqlite:///{clean_environment / 'heart.sqlite'}"
    assert second.config["SQLALCHEMY_DATABASE_URI"] == default_database


def test_healthz_reports_a_reachable_database_and_the_version(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["database"]["reachable"] is True
    assert response.json["version"] == __version__


@pytest.fixture
def unreachable_app() -> Iterator[Flask]:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/heart?connect_timeout=2"
    app = make_app(url)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_healthz_is_503_when_the_database_is_unreachable(unreachable_app: Flask) -> None:
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"]["reachable"] is False
    assert response.json["status"] == "unavailable"
    assert response.json["version"] == __version__


def test_an_api_call_with_the_database_down_is_not_a_bare_500(unreachable_app: Flask) -> None:
    response = unreachable_app.test_client().post(
        "/api/v1/auth/login", json={"username": "ada", "password": PASSWORD})
    assert response.status_code == 503
    assert response.json["code"] == 503
    assert int(response.headers["Retry-After"]) > 0


@pytest.fixture
def memory_app() -> Flask:
    return make_app("sqlite://")


def test_docs_page_renders_with_local_assets_only(memory_app: Flask) -> None:
    client = memory_app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.findall(r"https?://[^\s\"'<>]+", html) == []
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert "/swagger-ui-dist/swagger-ui-bundle.js" in assets
    for asset in assets:
        assert asset.startswith("/"), asset
        with client.get(asset) as response:
            assert response.status_code == 200, asset
    assert '"/api/openapi.json"' in html


def test_swagger_ui_bundle_is_served_from_this_server(memory_app: Flask) -> None:
    with memory_app.test_client().get("/swagger-ui-dist/swagger-ui-bundle.js") as response:
        assert response.status_code == 200
        assert b"SwaggerUIBundle" in response.get_data()
