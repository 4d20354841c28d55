"""The supplies' scheduled work: low-stock and expiry alerts recomputed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from server.extensions import db
from server.models_base import utcnow
from server.supplies.services import compute_alerts

# Stock moves all day and expiry is counted in days: hourly alerts are fresh enough.
ALERTS_INTERVAL_HOURS = 1


def supply_alerts_job(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, int]:
    """One run: alerts opened, refreshed and cleared with the configured near-expiry window."""
    return compute_alerts(session, now, int(config["SUPPLY_NEAR_EXPIRY_DAYS"]))


def run_supply_alerts(app: Flask) -> dict[str, int]:
    """Recompute the alerts now, in one transaction."""
    with app.app_context():
        summary = supply_alerts_job(db.session(), utcnow(), app.config)
        db.session.commit()
        return summary
