"""Test app and database fixtures: every API test runs on SQLite and on PostgreSQL.

PostgreSQL tests create a database of their own per run (one per xdist worker) and drop it
at the end. Without a reachable server they skip locally; with CI=true they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings

from server import create_app
from server.background import stop_background
from server.config import Config
from server.extensions import db
from server.models_base import Base

pytest_plugins = ["tests.fixtures.people", "tests.fixtures.calls", "tests.fixtures.databases",
                  "tests.fixtures.sync", "tests.fixtures.supplies", "tests.fixtures.concurrency",
                  "tests.fixtures.backups", "tests.fixtures.notifiers", "tests.fixtures.dispatch",
                  "tests.fixtures.care"]

PG_ADMIN_URL = os.environ.get("HEART_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"

# `make test-long` sets HYPOTHESIS_PROFILE=long: many more examples for the tests marked slow.
settings.register_profile("long", max_examples=150, stateful_step_count=50, deadline=None)
# `make mutate` sets HYPOTHESIS_PROFILE=mutate: the same examples for every mutant, so whether a
# mutant is killed depends on the mutant alone.
settings.register_profile("mutate", derandomize=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"
    # Cheap hashing keeps hundreds of sign-ins fast; production keeps Argon2id's defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 256


def _pg_server_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def pg_database(worker_id: str) -> Iterator[str]:
    """A PostgreSQL database made for this run (and xdist worker), dropped afterwards."""
    if not _pg_server_reachable():
        if IN_CI:
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} and CI=true")
        pytest.skip("PostgreSQL not reachable (set CI=true to make this a failure)")
    name = f"heart_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    make_app(url)  # imports every feature's models (some only load with the app), so all tables exist
    engine = sa.create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate_all(url: str) -> None:
    engine = sa.create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """Each test gets an empty database: a fresh SQLite file, or a truncated PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'heart.sqlite'}"
        return
    url = request.getfixturevalue("pg_database")
    _truncate_all(url)
    yield url


def make_app(database_url: str, **overrides: Any) -> Flask:
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    config = type("RunConfig", (TestConfig,), settings)
    return create_app(config)


@contextmanager
def running_app(database_url: str, tmp_path: Any, **overrides: Any) -> Iterator[Flask]:
    """An app on the test's database (its tables made on SQLite), inside its app context,
    its instance folder the test's own; its connections closed afterwards."""
    app = make_app(database_url, **overrides)
    app.instance_path = str(tmp_path)
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        yield app
        stop_background(app)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Any) -> Iterator[Flask]:
    with running_app(database_url, tmp_path) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `last` go after the rest, whatever order the random plug-in chose."""
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)
