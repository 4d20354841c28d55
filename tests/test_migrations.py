"""Alembic migrations: upgrade from empty, downgrade to nothing, upgrade again, and no drift
between the models and the migrated schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_migrate import downgrade, upgrade

from server.extensions import db
from server.models_base import Base
from tests.conftest import make_app

MODEL_TABLES = {table.name for table in Base.metadata.sorted_tables}


@pytest.fixture
def empty_app(empty_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(empty_database_url)
    app.instance_path = str(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def applied_revisions() -> set[str]:
    with db.engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def script_directory() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def test_migrations_form_one_line_of_history(empty_app: Flask) -> None:
    heads = script_directory().get_heads()
    assert len(heads) == 1, f"several heads, merge them: {heads}"


def test_upgrade_from_empty_then_downgrade_to_base_then_upgrade_again(empty_app: Flask) -> None:
    assert table_names() == set()
    head = script_directory().get_current_head()

    upgrade()
    assert table_names() >= MODEL_TABLES
    assert applied_revisions() == {head}

    downgrade(revision="base")
    assert table_names() <= {"alembic_version"}
    assert applied_revisions() == set()

    upgrade()
    assert table_names() >= MODEL_TABLES
    assert applied_revisions() == {head}


def test_models_and_migrations_do_not_drift(empty_app: Flask) -> None:
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_running_migrations_leaves_the_apps_loggers_enabled(empty_app: Flask) -> None:
    """alembic's fileConfig would otherwise disable every logger created before it."""
    before = logging.getLogger("server")
    upgrade()
    assert not before.disabled
    assert not empty_app.logger.disabled


def test_devices_revoked_before_0010_count_as_lost_and_name_their_registrant_last(
        empty_app: Flask) -> None:
    upgrade(revision="0008")
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String),
                     sa.column("full_name", sa.String), sa.column("role", sa.String),
                     sa.column("password_hash", sa.String), sa.column("active", sa.Boolean),
                     sa.column("created_at", sa.DateTime(timezone=True)))
    devices = sa.table("devices", sa.column("id", sa.Uuid), sa.column("name", sa.String),
                       sa.column("user_id", sa.Integer),
                       sa.column("registered_at", sa.DateTime(timezone=True)),
                       sa.column("revoked_at", sa.DateTime(timezone=True)))
    lost, kept = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        conn.execute(users.insert().values(id=1, username="ana", full_name="Ana", role="admin",
                                           password_hash="x", active=True, created_at=now))
        conn.execute(devices.insert(), [
            {"id": lost, "name": "Tablet", "user_id": 1, "registered_at": now, "revoked_at": now},
            {"id": kept, "name": "Tablet", "user_id": 1, "registered_at": now, "revoked_at": None}])

    upgrade(revision="0010")

    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, revocation_reason, last_user_id FROM devices"))
        found = {uuid.UUID(str(r[0])): (r[1], r[2]) for r in rows}  # SQLite: hex text
    assert found == {lost: ("lost", 1), kept: (None, 1)}
