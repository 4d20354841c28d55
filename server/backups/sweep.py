"""The sweep every process runs every BACKUP_SWEEP_SECONDS (when SCHEDULER_ENABLED), and
`flask backups-sweep`: escalate what timed out, prompt and raise check-ins. Safe to run in
every process at once: each step is claimed by a conditional update or a unique key."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import click
from flask import Flask, current_app

from server.background import scheduler_of
from server.backups import checkins, services
from server.extensions import db
from server.models_base import utcnow
from server.stream.services import register_receipt_hook

log = logging.getLogger(__name__)


def run_sweep(app: Flask, now: datetime | None = None) -> dict[str, Any]:
    """One sweep in a transaction of its own, committed; a failure is logged and rolled back."""
    with app.app_context():
        session = db.session()
        try:
            when = now or utcnow()
            summary = {**services.escalate_due(session, when, app.config),
                       **checkins.sweep_checkins(session, when, app.config)}
            session.commit()
            return summary
        except Exception:
            session.rollback()
            log.exception("the backup sweep failed")
            raise
        finally:
            db.session.remove()


@click.command("backups-sweep")
def sweep_command() -> None:
    """Escalate unanswered backup requests and run the check-in timer once now."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's target
    summary = run_sweep(app)
    click.echo(f"escalated {len(summary['fired'])}, prompted {summary['prompted']}, "
               f"raised {summary['raised']}")


def _scheduled(app: Flask) -> None:
    try:
        run_sweep(app)
    except Exception:  # logged in run_sweep; the next tick tries again
        return


def init_app(app: Flask) -> None:
    register_receipt_hook(app, services.note_receipts)
    app.cli.add_command(sweep_command)
    if not app.config.get("SCHEDULER_ENABLED"):
        return
    scheduler_of(app).add_job(_scheduled, "interval", seconds=app.config["BACKUP_SWEEP_SECONDS"],
                      args=[app], id="backups-sweep", coalesce=True, max_instances=1)
