"""Liveness and readiness: database reachability and the app version."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app
from sqlalchemy.exc import SQLAlchemyError

from server.database import discard_session
from server.extensions import db
from server.version import __version__

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    try:
        db.session.execute(sa.text("SELECT 1"))
        reachable = True
    except SQLAlchemyError:
        current_app.logger.exception("database unreachable")
        discard_session()  # a lost connection cannot roll back: it is dropped instead
        reachable = False
    body = {
        "status": "ok" if reachable else "unavailable",
        "database": {"reachable": reachable, "dialect": db.engine.dialect.name},
        "version": __version__,
    }
    return body, 200 if reachable else 503
