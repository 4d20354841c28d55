"""Alembic migrations: upgrade from empty, downgrade to nothing, upgrade again, and no drift
between the models and the migrated schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Iterator
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
