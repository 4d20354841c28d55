"""The supplies' scheduled job: low-stock and expiry alerts recomputed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from server.jobs import Job
from server.supplies.services import compute_alerts

# Stock moves all day and expiry is counted in days: alerts an hour old are fresh enough,
# and a run reads only the balances and par levels (a few thousand rows for a city).
ALERTS_INTERVAL = timedelta(hours=1)


def refresh_supply_alerts(session: Session, now: datetime,
                          config: Mapping[str, Any]) -> dict[str, Any]:
    """Alerts opened, refreshed and cleared with the configured near-expiry window."""
    return compute_alerts(session, now, int(config["SUPPLY_NEAR_EXPIRY_DAYS"]))


SUPPLY_ALERTS = Job("supply_alerts", ALERTS_INTERVAL, refresh_supply_alerts)
