"""A job started at the same instant by two real processes (two gunicorn workers, or two
hosts) runs once: the period's `job_runs` row is taken by one, the other skips. On
PostgreSQL and on SQLite (one file, two processes)."""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.jobs import Job, JobRun, run_job
from server.sqlite import configure_connection
from tests.conftest import _truncate_all, make_app

NOW = datetime(2026, 12, 1, 3, 0, 0, tzinfo=UTC)
PROCESSES = 2
# How long a process waits at the starting line for the other (seconds): a bound for a
# broken run, never reached when both start.
START_TIMEOUT = 180
PROBE_TABLE = "job_probe_runs"
PROBE_RUNS = sa.table(PROBE_TABLE, sa.column("at", sa.String))


def _record_run(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    """The probe job: one row per time it really ran, written by the job's own session."""
    session.execute(sa.insert(PROBE_RUNS).values(at=now.isoformat()))
    return {"recorded": 1}


PROBE = Job("probe", timedelta(hours=1), _record_run)


def _worker(url: str, barrier: Any, results: Any) -> None:
    try:
        app = make_app(url, JOBS=["tests.pg.test_jobs_once:PROBE"])
        barrier.wait(START_TIMEOUT)
        result = run_job(app, "probe", NOW)
    except BaseException:  # the test reports it, rather than waiting for an answer never sent
        results.put(("crashed", traceback.format_exc()))
        raise
    results.put((result.status, result.error))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database two processes open: a SQLite file, or this run's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:  # as the app creates its file: WAL, before two processes open it
            configure_connection(conn.connection.dbapi_connection, None)
        JobRun.metadata.create_all(engine, tables=[JobRun.__table__])  # type: ignore[list-item]
    else:
        url = request.getfixturevalue("pg_database")
        _truncate_all(url)
        engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {PROBE_TABLE}"))
        conn.execute(sa.text(f"CREATE TABLE {PROBE_TABLE} (at VARCHAR(40))"))
    try:
        yield url
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {PROBE_TABLE}"))
        engine.dispose()


def test_two_processes_starting_one_job_at_the_same_instant_run_it_once(shared_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(shared_url, barrier, results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    outcomes = sorted(results.get(timeout=START_TIMEOUT) for _ in workers)
    for worker in workers:
        worker.join(START_TIMEOUT)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    assert outcomes == [("ran", None), ("skipped", None)]
    engine = sa.create_engine(shared_url)
    with engine.connect() as conn:
        recorded = conn.scalar(sa.select(sa.func.count()).select_from(PROBE_RUNS))
        runs = conn.execute(sa.select(JobRun.job, JobRun.period_start, JobRun.error)).all()
    engine.dispose()
    assert recorded == 1
    assert [(job, error) for job, _, error in runs] == [("probe", None)]
    assert runs[0][1].replace(tzinfo=UTC) == NOW
