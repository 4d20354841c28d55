"""Scheduled jobs. Every gunicorn worker runs a scheduler; a PostgreSQL advisory lock makes
each run happen in one process only (on SQLite there is one process)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from server.auth.throttle import Policy, purge_login_throttle
from server.extensions import db
from server.models_base import utcnow
from server.sync.services import purge_feed

# Arbitrary constant naming the jobs' advisory lock (ASCII "HEARTJOB").
JOBS_LOCK_KEY = 0x4845_4152_544A_4F42
# Feed rows expire after days, sign-in failures after a day; looking hourly keeps the tables
# small without churn.
PURGE_INTERVAL_HOURS = 1


def run_purge(app: Flask) -> int:
    """Drop change-feed rows older than the retention, and sign-in failures older than their
    window; returns how many feed rows (0 if another process ran it)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            got = db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(JOBS_LOCK_KEY)))
            if not got:
                db.session.rollback()
                return 0
        removed = purge_feed(db.session(), timedelta(days=app.config["SYNC_RETENTION_DAYS"]))
        purge_login_throttle(db.session(), Policy.from_config(app.config), utcnow())
        db.session.commit()
        return removed


def init_app(app: Flask) -> None:
    if not app.config.get("SCHEDULER_ENABLED"):
        return
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(run_purge, "interval", hours=PURGE_INTERVAL_HOURS, args=[app],
                      id="purge-feed", coalesce=True, max_instances=1)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
