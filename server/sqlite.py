"""SQLite set up for many devices at once: every new connection gets WAL, a busy timeout
and synchronous=NORMAL.

WAL lets readers go on while one transaction writes (the rollback journal blocks them all
during a commit). The busy timeout makes a writer wait its turn for the one write lock
instead of failing at once with "database is locked". synchronous=NORMAL is durable in WAL
across an app crash; only a power cut can lose the last transactions, and the devices keep
those ops queued until they are acknowledged.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
from flask import Flask

# How long a writer waits for the write lock before the answer is 503 busy: a push of
# MAX_PUSH_BATCH ops holds it well under a second, so 30 devices pushing at once wait a
# few seconds at most; kept under gunicorn's 30 s worker timeout.
BUSY_TIMEOUT_MS = 15_000


def configure_connection(dbapi_connection: Any, _record: Any) -> None:
    """The pragmas for one new pysqlite connection; other drivers are left alone."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def init_app(app: Flask) -> None:
    """Configure the app's engine when it is SQLite (after Flask-SQLAlchemy's init_app)."""
    from server.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", configure_connection)
