"""The request's database session: released at teardown without ever raising, and database
failures told apart (busy: a lock not granted in time; unreachable: the connection is gone).

A connection the database dropped mid-request cannot even roll back: the rollback itself
raises. Such a session is invalidated instead (its connections are discarded, not returned
to the pool), so the answer already built still goes out and the next request connects anew.
"""

from __future__ import annotations

import enum
from typing import Any

from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from server.extensions import db

# SQLite's messages for a lock not granted within the busy timeout.
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")
# PostgreSQL SQLSTATEs for a transaction that lost a race for a lock, not a broken database:
# lock_not_available (lock_timeout, NOWAIT), serialization_failure, deadlock_detected.
POSTGRES_BUSY_STATES = frozenset({"55P03", "40001", "40P01"})


def dialect_insert(session: Session, target: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `target` (a table or a mapped class) that can say ON CONFLICT, in the
    session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


class DatabaseTrouble(enum.StrEnum):
    """Why the database could not serve a request; the error envelope's `reason`."""

    BUSY = "busy"
    UNREACHABLE = "unreachable"


def classify(error: BaseException) -> DatabaseTrouble | None:
    """busy or unreachable for a database failure worth retrying; None for anything else."""
    if not isinstance(error, OperationalError | InterfaceError):
        return None
    orig = error.orig
    state = getattr(orig, "sqlstate", None)
    if state in POSTGRES_BUSY_STATES:
        return DatabaseTrouble.BUSY
    if any(message in str(orig).lower() for message in SQLITE_BUSY_MESSAGES):
        return DatabaseTrouble.BUSY
    return DatabaseTrouble.UNREACHABLE


def discard_session() -> None:
    """Roll the request's session back; when even that fails (the connection is gone),
    invalidate it so its connections are thrown away. Never raises."""
    try:
        db.session.rollback()
    except DBAPIError as error:
        current_app.logger.warning("rollback failed, discarding the connection: %s", error.orig)
        _invalidate()


def _invalidate() -> None:
    try:
        db.session().invalidate()
    except Exception:  # a broken connection may fail its close too: it is dropped either way
        current_app.logger.exception("discarding the session's connection failed")
    finally:
        db.session.registry.clear()


def init_app(app: Flask) -> None:
    """Release the session at the end of every app context, before Flask-SQLAlchemy's own
    teardown (which would then find nothing left to roll back and cannot raise)."""

    @app.teardown_appcontext
    def release_session(_error: BaseException | None) -> None:
        try:
            db.session.remove()
        except Exception as error:  # the answer is built: it must still go out
            app.logger.warning("closing the session failed, discarding its connection: %r", error)
            _invalidate()
