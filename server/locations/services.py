"""Location history's reads: each unit's last known position, a unit's track for one day of
the department's calendar, and the recording settings the tablets follow."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.errors import not_found
from server.locations.models import LocationPoint
from server.units.models import Unit
from sync.storable import INT32_MAX

TRACK_CSV_COLUMNS = ("unit", "time", "lat", "lon", "accuracy_m", "time_uncertain")
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@")


def unit_positions(session: Session, of_units: sa.Select[Any] | Sequence[int] | None = None
                   ) -> list[dict[str, Any]]:
    """Each active unit's newest point by corrected time (units with none are left out);
    `of_units`: only those units (ids, or a query of them).

    An indexed query, not a table the push keeps: one index range read per unit on
    (unit_id, corrected_time), newest first, so a point that arrives late from a tablet that
    was offline never moves a unit back, and the busiest write path (a point every few
    seconds from every tablet) gains no extra statement.
    """
    newest = (sa.select(LocationPoint.id).where(LocationPoint.unit_id == Unit.id)
              .order_by(LocationPoint.corrected_time.desc(), LocationPoint.id.desc())
              .limit(1).correlate(Unit).scalar_subquery())
    stmt = (sa.select(Unit.id, Unit.call_sign, LocationPoint.lat, LocationPoint.lon,
                      LocationPoint.accuracy_m, LocationPoint.corrected_time)
            .join(LocationPoint, LocationPoint.id == newest)
            .where(Unit.active).order_by(Unit.call_sign))
    if of_units is not None:
        stmt = stmt.where(Unit.id.in_(of_units))
    return [{"unit_id": r.id, "call_sign": r.call_sign, "lat": r.lat, "lon": r.lon,
             "accuracy_m": r.accuracy_m, "at": r.corrected_time} for r in session.execute(stmt)]


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants a calendar day of the zone begins and ends (23 or 25 hours apart on
    the days the clocks change)."""
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def unit_track(session: Session, unit_id: int, day: date, zone: ZoneInfo) -> tuple[Unit, list[Any]]:
    """The unit and its points of that day in the zone, oldest first."""
    # The URL takes any digits; an id no INTEGER column holds names no unit.
    unit = session.get(Unit, unit_id) if unit_id <= INT32_MAX else None
    if unit is None:
        raise not_found("unit")
    start, end = day_bounds(day, zone)
    stmt = (sa.select(LocationPoint.lat, LocationPoint.lon, LocationPoint.accuracy_m,
                      LocationPoint.corrected_time, LocationPoint.time_uncertain)
            .where(LocationPoint.unit_id == unit_id, LocationPoint.corrected_time >= start,
                   LocationPoint.corrected_time < end)
            .order_by(LocationPoint.corrected_time, LocationPoint.id))
    return unit, list(session.execute(stmt))


def track_geojson(unit: Unit, day: date, points: Sequence[Any], zone: ZoneInfo) -> dict[str, Any]:
    """A FeatureCollection: the day's line (when it has two points or more, as GeoJSON asks)
    and a point feature per recorded position with its time and accuracy."""
    features: list[dict[str, Any]] = []
    if len(points) >= 2:
        features.append({"type": "Feature", "geometry": {
            "type": "LineString", "coordinates": [[p.lon, p.lat] for p in points]},
            "properties": {"unit_id": unit.id, "call_sign": unit.call_sign,
                           "date": day.isoformat(), "points": len(points)}})
    features.extend({"type": "Feature", "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
                     "properties": {"time": p.corrected_time.astimezone(zone).isoformat(),
                                    "accuracy_m": p.accuracy_m,
                                    "time_uncertain": p.time_uncertain}} for p in points)
    return {"type": "FeatureCollection", "features": features}


def track_csv(unit: Unit, points: Sequence[Any], zone: ZoneInfo) -> str:
    """One row per point: unit, time (in the zone, with its offset), lat, lon, accuracy_m,
    time_uncertain."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TRACK_CSV_COLUMNS)
    name = f"'{unit.call_sign}" if unit.call_sign.startswith(_FORMULA_STARTS) else unit.call_sign
    for p in points:
        writer.writerow([name, p.corrected_time.astimezone(zone).isoformat(), p.lat, p.lon,
                         "" if p.accuracy_m is None else p.accuracy_m,
                         "yes" if p.time_uncertain else "no"])
    return out.getvalue()


def field_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """How tablets record their position, and when the check-in timer asks the crew."""
    return {"location_interval_s": config["LOCATION_INTERVAL_SECONDS"],
            "location_min_accuracy_m": config["LOCATION_MIN_ACCURACY_M"],
            "location_min_move_m": config["LOCATION_MIN_MOVE_M"],
            "checkin": {"after_minutes": config["CHECKIN_AFTER_MINUTES"],
                        "after_minutes_by_call_type": config["CHECKIN_AFTER_MINUTES_BY_CALL_TYPE"],
                        "grace_seconds": config["CHECKIN_GRACE_SECONDS"]}}
