"""Location retention: the daily job deletes points recorded before LOCATION_RETENTION_DAYS,
in chunks, and keeps the rest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.config import Config
from server.extensions import db
from server.jobs import JobRun, run_job
from server.locations import jobs as location_jobs
from server.locations.models import LocationPoint

NOW = datetime(2026, 12, 1, 0, 10, tzinfo=UTC)


def _store_points(times: list[datetime]) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in times]
    db.session.add_all(LocationPoint(id=i, unit_id=1, lat=36.0, lon=-78.9, device_time=at,
                                     corrected_time=at) for i, at in zip(ids, times, strict=True))
    db.session.commit()
    return ids


def _left() -> set[uuid.UUID]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(LocationPoint.id)))


def test_points_older_than_the_retention_are_deleted_and_newer_ones_kept(app: Flask) -> None:
    boundary = NOW - timedelta(days=app.config["LOCATION_RETENTION_DAYS"])
    old_ids = _store_points([boundary - timedelta(days=30), boundary - timedelta(seconds=1)])
    kept_ids = _store_points([boundary, boundary + timedelta(seconds=1), NOW])
    result = run_job(app, "location_retention", NOW)
    assert result.status == "ran"
    assert result.summary == {"deleted": 2, "before": boundary.isoformat()}
    assert _left() == set(kept_ids)
    assert not _left() & set(old_ids)


def test_a_short_retention_from_the_setting_deletes_more(app: Flask) -> None:
    app.config["LOCATION_RETENTION_DAYS"] = 1
    _store_points([NOW - timedelta(days=2)])
    kept = _store_points([NOW - timedelta(hours=23)])
    assert run_job(app, "location_retention", NOW).summary["deleted"] == 1
    assert _left() == set(kept)


def test_a_backlog_larger_than_one_chunk_is_deleted_in_chunks_each_committed(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(location_jobs, "RETENTION_BATCH_SIZE", 3)
    old = NOW - timedelta(days=400)
    _store_points([old + timedelta(minutes=n) for n in range(7)])
    kept = _store_points([NOW])
    commits: list[Session] = []

    def count(session: Session) -> None:
        commits.append(session)

    event.listen(Session, "after_commit", count)
    try:
        summary = run_job(app, "location_retention", NOW).summary
    finally:
        event.remove(Session, "after_commit", count)
    assert summary["deleted"] == 7
    assert _left() == set(kept)
    # Chunks of 3, 3 and 1, each its own transaction, then the run's own commit.
    assert len(commits) == 4


def test_the_retention_job_runs_once_a_day(app: Flask) -> None:
    assert run_job(app, "location_retention", NOW).status == "ran"
    assert run_job(app, "location_retention", NOW + timedelta(hours=20)).status == "skipped"
    assert run_job(app, "location_retention", NOW + timedelta(days=1)).status == "ran"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == 2


def test_location_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCATION_RETENTION_DAYS", "30")
    monkeypatch.setenv("LOCATION_MIN_MOVE_M", "10")
    monkeypatch.setenv("DEPARTMENT_TIMEZONE", "America/Chicago")
    values = Config.from_env()
    assert values["LOCATION_RETENTION_DAYS"] == 30
    assert values["LOCATION_MIN_MOVE_M"] == 10
    assert values["DEPARTMENT_TIMEZONE"] == "America/Chicago"
    assert Config.LOCATION_RETENTION_DAYS == 90
