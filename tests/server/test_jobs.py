"""Scheduled jobs: the registry from the JOBS setting, one run per period (the period's row
taken first), forced runs, failures recorded, the advisory lock on PostgreSQL, the feed
purge as a job and `flask run-job`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from server.background import scheduler_of, stop_background
from server.changes import note_change
from server.extensions import db
from server.jobs import (
    CHECK_EVERY,
    JOB_RUNS_KEPT,
    Job,
    JobRun,
    jobs_of,
    load_jobs,
    lock_key,
    period_start,
    run_job,
)
from server.models_base import utcnow
from server.sync.models import ChangeLogEntry
from tests.conftest import make_app, running_app

NOW = datetime(2026, 12, 1, 14, 37, 12, tzinfo=UTC)
calls: list[datetime] = []


def _count_runs(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    calls.append(now)
    return {"runs": len(calls)}


def _fail(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    raise RuntimeError("the database went away")


COUNTER = Job("counter", timedelta(hours=1), _count_runs)
BROKEN = Job("broken", timedelta(hours=1), _fail)
QUICK = Job("quick", timedelta(minutes=1), _count_runs)


@pytest.fixture
def jobs_app(database_url: str, tmp_path: Any) -> Any:
    calls.clear()
    with running_app(database_url, tmp_path,
                     JOBS=["server.jobs:FEED_PURGE", "tests.server.test_jobs:COUNTER",
                           "tests.server.test_jobs:BROKEN"]) as app:
        yield app


def _runs(job: str) -> list[JobRun]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def test_periods_are_the_time_floored_to_the_interval() -> None:
    assert period_start(NOW, timedelta(hours=1)) == datetime(2026, 12, 1, 14, tzinfo=UTC)
    assert period_start(NOW, timedelta(days=1)) == datetime(2026, 12, 1, tzinfo=UTC)
    assert period_start(NOW, timedelta(minutes=15)) == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


def test_a_jobs_lock_key_is_stable_and_differs_per_job() -> None:
    assert lock_key("feed_purge") == lock_key("feed_purge")
    assert lock_key("feed_purge") != lock_key("location_retention")
    assert -(2 ** 63) <= lock_key("feed_purge") < 2 ** 63


def test_the_jobs_setting_lists_every_feature_job_by_module_and_attribute(app: Flask) -> None:
    assert {"feed_purge", "location_retention"} <= set(jobs_of(app))


def test_a_jobs_entry_that_is_not_a_job_or_a_second_job_of_one_name_is_refused() -> None:
    with pytest.raises(TypeError, match="not a Job"):
        load_jobs(["server.jobs:period_start"])
    with pytest.raises(ValueError, match="two jobs"):
        load_jobs(["server.jobs:FEED_PURGE", "server.jobs:FEED_PURGE"])


def test_a_job_runs_once_per_period_and_again_in_the_next(jobs_app: Flask) -> None:
    first = run_job(jobs_app, "counter", NOW)
    again = run_job(jobs_app, "counter", NOW + timedelta(minutes=20))
    next_hour = run_job(jobs_app, "counter", NOW + timedelta(hours=1))
    assert (first.status, again.status, next_hour.status) == ("ran", "skipped", "ran")
    assert first.summary == {"runs": 1}
    assert calls == [NOW, NOW + timedelta(hours=1)]
    rows = _runs("counter")
    assert [r.period_start for r in rows] == [datetime(2026, 12, 1, 14, tzinfo=UTC),
                                              datetime(2026, 12, 1, 15, tzinfo=UTC)]
    assert rows[0].summary == {"runs": 1}
    assert rows[0].error is None
    assert rows[0].finished_at is not None
    assert rows[0].pid > 0
    assert rows[0].host


def test_a_forced_run_runs_in_a_period_of_its_own_and_leaves_the_scheduled_one(
        jobs_app: Flask) -> None:
    assert run_job(jobs_app, "counter", NOW).status == "ran"
    assert run_job(jobs_app, "counter", NOW, force=True).status == "ran"
    assert run_job(jobs_app, "counter", NOW).status == "skipped"
    suffixes = [r.suffix for r in _runs("counter")]
    assert suffixes[0] == ""
    assert suffixes[1].startswith("forced-")
    assert len(suffixes) == 2


def test_a_failed_run_is_recorded_with_its_error_and_keeps_its_period(jobs_app: Flask) -> None:
    result = run_job(jobs_app, "broken", NOW)
    assert result.status == "failed"
    assert "went away" in (result.error or "")
    (row,) = _runs("broken")
    assert row.error == "RuntimeError: the database went away"
    assert row.finished_at is not None
    assert run_job(jobs_app, "broken", NOW).status == "skipped"


@pytest.mark.postgres
def test_on_postgresql_a_run_while_another_holds_the_jobs_lock_skips(pg_database: str) -> None:
    from tests.conftest import _truncate_all

    _truncate_all(pg_database)
    calls.clear()
    app = make_app(pg_database, JOBS=["tests.server.test_jobs:COUNTER"])
    with app.app_context():
        with db.engine.connect() as holder, holder.begin():
            holder.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_key("counter"))))
            result = run_job(app, "counter", NOW, force=True)
        (row,) = _runs("counter")
        db.session.remove()
        db.engine.dispose()
    assert (result.status, result.error) == ("skipped", "locked")
    assert calls == []
    assert row.error == "another run of this job held its lock"


def test_the_feed_purge_job_drops_rows_older_than_retention_but_keeps_the_newest(
        app: Flask) -> None:
    for n in range(4):
        note_change(db.session, "call", f"record-{n}", ["unit:1"])
        db.session.commit()
    db.session.execute(sa.update(ChangeLogEntry).values(at=utcnow() - timedelta(days=400)))
    db.session.commit()
    result = run_job(app, "feed_purge")
    assert result.summary["feed_rows"] == 3
    assert db.session.scalars(sa.select(ChangeLogEntry.record_id)).all() == ["record-3"]


def test_the_feed_purge_job_keeps_rows_within_retention(app: Flask) -> None:
    for n in range(3):
        note_change(db.session, "call", f"record-{n}", ["unit:1"])
        db.session.commit()
    assert run_job(app, "feed_purge").summary["feed_rows"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry)) == 3


def test_the_feed_purge_job_forgets_job_runs_older_than_a_quarter(jobs_app: Flask) -> None:
    run_job(jobs_app, "counter", NOW - JOB_RUNS_KEPT - timedelta(hours=1))
    run_job(jobs_app, "counter", NOW - JOB_RUNS_KEPT + timedelta(hours=1))
    db.session.execute(sa.update(JobRun).values(started_at=JobRun.period_start))
    db.session.commit()
    assert run_job(jobs_app, "feed_purge", NOW).summary["job_runs"] == 1
    assert [r.period_start for r in _runs("counter")] == [
        period_start(NOW - JOB_RUNS_KEPT + timedelta(hours=1), timedelta(hours=1))]


def test_flask_run_job_runs_once_then_skips_until_forced(jobs_app: Flask) -> None:
    runner = jobs_app.test_cli_runner()
    first = runner.invoke(args=["run-job", "counter"])
    second = runner.invoke(args=["run-job", "counter"])
    forced = runner.invoke(args=["run-job", "counter", "--force"])
    assert first.exit_code == 0
    assert 'ran {"runs": 1}' in first.output
    assert second.exit_code == 0
    assert "skipped" in second.output
    assert forced.exit_code == 0
    assert 'ran {"runs": 2}' in forced.output


def test_flask_run_job_names_the_jobs_when_the_name_is_unknown_and_fails_on_a_failed_job(
        jobs_app: Flask) -> None:
    runner = jobs_app.test_cli_runner()
    unknown = runner.invoke(args=["run-job", "nope"])
    broken = runner.invoke(args=["run-job", "broken"])
    assert unknown.exit_code == 2
    assert "counter" in unknown.output
    assert broken.exit_code == 1
    assert "went away" in broken.output


def test_each_workers_scheduler_asks_every_job_at_least_every_few_minutes(
        database_url: str, tmp_path: Any) -> None:
    app = make_app(database_url, SCHEDULER_ENABLED=True,
                   JOBS=["server.jobs:FEED_PURGE", "server.locations.jobs:LOCATION_RETENTION",
                         "tests.server.test_jobs:QUICK"])
    try:
        triggers = {job.id: job.trigger.interval for job in scheduler_of(app).get_jobs()
                    if job.id.startswith("job-")}
    finally:
        stop_background(app)
        with app.app_context():
            db.engine.dispose()
    assert triggers == {"job-feed_purge": CHECK_EVERY, "job-location_retention": CHECK_EVERY,
                        "job-quick": timedelta(minutes=1)}
