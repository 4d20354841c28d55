"""Scheduled jobs: a registry of named periodic jobs, each run once per period across every
worker and host.

A job is `Job(name, interval, run)`, `run(session, now, config) -> summary dict`. The JOBS
setting lists them as "module:attribute" (a feature adds its own there; this module names
none but the feed purge). Every gunicorn worker runs a scheduler that asks `run_job` for
each job every few minutes; `run_job` inserts the period's `job_runs` row first, in its own
transaction: the one process whose insert lands runs the job, the others skip. On
PostgreSQL the winner also holds an advisory lock on the job's name while it runs, so an
operator's forced run never overlaps a scheduled one. A run that dies leaves its row
without `finished_at`; the next period runs again.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.auth.throttle import Policy, purge_login_throttle
from server.background import scheduler_of
from server.extensions import db
from server.models_base import Base, utcnow
from server.sync.services import purge_feed

log = logging.getLogger(__name__)

JobFunction = Callable[[Session, datetime, Mapping[str, Any]], dict[str, Any]]
EXTENSION_KEY = "heart_jobs"
# Each worker asks every job this often whether its period has a run yet: a daily job then
# runs within minutes of midnight UTC even though workers restart at any time (an interval
# trigger of a day would fire a day after each start, or never). A tick that finds the
# period taken costs one refused insert.
CHECK_EVERY = timedelta(minutes=5)
# Periods are counted from here: an hourly job's period starts on the hour, a daily one at
# midnight UTC.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: JobFunction


@dataclass(frozen=True)
class RunResult:
    status: Literal["ran", "skipped", "failed"]
    period_start: datetime
    summary: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


class JobRun(Base):
    """One run of a job for one period (a forced run: the period plus a suffix)."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "period_start", "suffix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(80))
    period_start: Mapped[datetime]
    # Empty for the scheduled run (the one the unique key allows per period); an operator's
    # forced run gets its own, so it never takes a scheduled period's place.
    suffix: Mapped[str] = mapped_column(sa.String(40), default="")
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    host: Mapped[str] = mapped_column(sa.String(255))
    pid: Mapped[int]
    summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)


# --- the registry ---------------------------------------------------------------------------

def load_jobs(paths: list[str]) -> dict[str, Job]:
    """The jobs named "module:attribute" in the JOBS setting, by name."""
    jobs: dict[str, Job] = {}
    for path in paths:
        module, _, attribute = path.partition(":")
        job = getattr(importlib.import_module(module), attribute)
        if not isinstance(job, Job):
            raise TypeError(f"{path} is not a Job")
        if job.name in jobs:
            raise ValueError(f"two jobs are named {job.name!r}")
        jobs[job.name] = job
    return jobs


def jobs_of(app: Flask) -> dict[str, Job]:
    jobs: dict[str, Job] = app.extensions[EXTENSION_KEY]
    return jobs


def period_start(now: datetime, interval: timedelta) -> datetime:
    """`now` floored to the interval, counted from the epoch."""
    return EPOCH + ((now - EPOCH) // interval) * interval


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the job's advisory lock (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(f"heart-job:{name}".encode(), digest_size=8).digest(),
                          "big", signed=True)


# --- running --------------------------------------------------------------------------------

def run_job(app: Flask, name: str, now: datetime | None = None, *,
            force: bool = False) -> RunResult:
    """Run the job for the period `now` is in, unless another process already has; `force`
    runs it again in a period of its own (for an operator)."""
    job = jobs_of(app)[name]
    now = now or utcnow()
    start = period_start(now, job.interval)
    suffix = f"forced-{uuid.uuid4().hex[:12]}" if force else ""
    with app.app_context():
        run_id = _claim_period(job.name, start, suffix)
        if run_id is None:
            return RunResult("skipped", start)
        with _advisory_lock(job.name) as locked:
            if not locked:
                _finish(run_id, {}, "another run of this job held its lock")
                return RunResult("skipped", start, error="locked")
            return _run_claimed(app, job, run_id, start, now)


def _run_claimed(app: Flask, job: Job, run_id: int, start: datetime, now: datetime) -> RunResult:
    session = db.session()
    try:
        summary = job.run(session, now, app.config)
        session.commit()
    except Exception as exc:  # a failed job is recorded and logged; the scheduler carries on
        session.rollback()
        log.exception("job %s failed", job.name)
        _finish(run_id, {}, f"{type(exc).__name__}: {exc}")
        return RunResult("failed", start, error=str(exc))
    finally:
        db.session.remove()
    _finish(run_id, summary, None)
    return RunResult("ran", start, summary)


def _claim_period(name: str, start: datetime, suffix: str) -> int | None:
    """Insert the period's row in a transaction of its own: its id, or None if taken."""
    row = {"job": name, "period_start": start, "suffix": suffix, "started_at": utcnow(),
           "host": socket.gethostname(), "pid": os.getpid()}
    try:
        with db.engine.begin() as conn:
            run_id: int = conn.execute(sa.insert(JobRun).values(row).returning(JobRun.id)).scalar_one()
            return run_id
    except sa.exc.IntegrityError:
        return None


def _finish(run_id: int, summary: dict[str, Any], error: str | None) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.update(JobRun).where(JobRun.id == run_id).values(
            finished_at=utcnow(), summary=summary, error=error))


@contextmanager
def _advisory_lock(name: str) -> Iterator[bool]:
    """On PostgreSQL, the job's transaction-level advisory lock, held on a connection of its
    own for the whole run (the job may commit between chunks of its work); elsewhere True."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    conn: Connection
    with db.engine.connect() as conn, conn.begin():
        yield bool(conn.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(lock_key(name)))))


# --- the feed purge -------------------------------------------------------------------------

# The record of past runs answers "did last night's retention run, and what did it do": a
# quarter covers any question an operator asks about a recent run (an hourly job leaves
# about 2,200 rows in that time).
JOB_RUNS_KEPT = timedelta(days=90)


def purge_expired(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    """Drop change-feed rows older than the retention, sign-in failures older than their
    window, and the record of job runs older than JOB_RUNS_KEPT."""
    feed_rows = purge_feed(session, timedelta(days=config["SYNC_RETENTION_DAYS"]))
    throttle_rows = purge_login_throttle(session, Policy.from_config(config), now)
    runs = session.execute(sa.delete(JobRun).where(JobRun.started_at < now - JOB_RUNS_KEPT)
                           .execution_options(synchronize_session=False))
    return {"feed_rows": feed_rows, "throttle_rows": throttle_rows,
            "job_runs": int(runs.rowcount)}  # type: ignore[attr-defined]  # a DML result


# Feed rows expire after days, sign-in failures after a day; looking hourly keeps the tables
# small without churn.
FEED_PURGE = Job("feed_purge", timedelta(hours=1), purge_expired)


# --- the scheduler --------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = load_jobs(app.config["JOBS"])
    if not app.config.get("SCHEDULER_ENABLED"):
        return
    scheduler = scheduler_of(app)
    for job in jobs_of(app).values():
        every = min(job.interval, CHECK_EVERY)
        scheduler.add_job(run_job, "interval", seconds=every.total_seconds(), args=[app, job.name],
                          id=f"job-{job.name}", coalesce=True, max_instances=1)
