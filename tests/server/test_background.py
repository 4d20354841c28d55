"""An app's background loops stop with it: nothing keeps reading a database that a test (or
a worker shutting down) has already dropped."""

from __future__ import annotations

import threading
from pathlib import Path

from server.background import scheduler_of, stop_background
from server.extensions import db
from server.stream.hub import hub_of, running_hub
from tests.conftest import make_app


def _alive(name: str) -> bool:
    return any(t.name == name and t.is_alive() for t in threading.enumerate())


def test_stopping_an_app_ends_its_scheduler_dispatcher_and_hub(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'heart.sqlite'}", SCHEDULER_ENABLED=True)
    with app.app_context():
        db.create_all()
    scheduler = scheduler_of(app)
    hub_of(app)
    job_ids = {job.id for job in scheduler.get_jobs()}
    assert "backups-sweep" in job_ids
    assert any(i.startswith("job-") for i in job_ids)
    assert _alive("notifier-dispatcher")
    stop_background(app)
    assert not scheduler.running
    assert not _alive("notifier-dispatcher")
    assert running_hub(app) is None
    stop_background(app)  # a second stop finds nothing left to stop
    with app.app_context():
        db.engine.dispose()
