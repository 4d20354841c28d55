"""Location history's scheduled job: points older than LOCATION_RETENTION_DAYS are deleted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.jobs import Job
from server.locations.models import LocationPoint

# Points deleted per transaction: a tablet records about 1,400 points a shift, so a city's
# day is tens of thousands and the first run on an old table millions. Chunks of this size
# hold their row locks for a fraction of a second each, so pushes writing new points never
# wait long behind the purge.
RETENTION_BATCH_SIZE = 5_000


def delete_old_points(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    """Delete the points recorded before the retention, a chunk per transaction."""
    cutoff = now - timedelta(days=config["LOCATION_RETENTION_DAYS"])
    deleted = 0
    while True:
        chunk = (sa.select(LocationPoint.id).where(LocationPoint.corrected_time < cutoff)
                 .limit(RETENTION_BATCH_SIZE).scalar_subquery())
        result = session.execute(sa.delete(LocationPoint).where(LocationPoint.id.in_(chunk))
                                 .execution_options(synchronize_session=False))
        session.commit()
        count = int(result.rowcount)  # type: ignore[attr-defined]  # a DML result
        deleted += count
        if count < RETENTION_BATCH_SIZE:
            return {"deleted": deleted, "before": cutoff.isoformat()}


LOCATION_RETENTION = Job("location_retention", timedelta(days=1), delete_old_points)
