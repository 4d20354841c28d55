"""Location history's reads: each unit's last known position (a late old point never moves it
back), a unit's track for a day of the department's calendar as GeoJSON or CSV, the tablets'
field settings, and who may read which."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from server.auth.models import Role
from server.extensions import db
from server.locations.models import LocationPoint
from server.models_base import utcnow
from server.units.models import Unit
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet

POSITIONS = "/api/v1/units/positions"
SETTINGS = "/api/v1/settings/field"
MakeTablet = Callable[..., Tablet]
MakeUnit = Callable[..., Unit]


def track_url(unit_id: int) -> str:
    return f"/api/v1/units/{unit_id}/track"


@pytest.fixture
def record_point(app: Flask) -> Callable[..., LocationPoint]:
    """record_point(unit, at, lat=, lon=) -> a stored point recorded at `at` (server time)."""
    def factory(unit: Unit, at: datetime, lat: float = 35.99, lon: float = -78.9,
                accuracy_m: float | None = 8.0, time_uncertain: bool = False) -> LocationPoint:
        point = LocationPoint(id=uuid.uuid4(), unit_id=unit.id, lat=lat, lon=lon,
                              accuracy_m=accuracy_m, device_time=at, corrected_time=at,
                              time_uncertain=time_uncertain)
        db.session.add(point)
        db.session.commit()
        return point
    return factory


def test_dispatch_sees_each_units_newest_point_and_not_units_without_any(
        tablet: MakeTablet, create_unit: MakeUnit, dispatcher: Session) -> None:
    first, second = tablet(), tablet()
    create_unit(call_sign="QUIET-1")
    first.push([first.point(36.0, -78.9, device_time=first.now() - timedelta(minutes=2)),
                first.point(36.1, -78.8)])
    second.push([second.point(35.5, -79.0)])
    answer = dispatcher.get(POSITIONS)
    assert answer.status_code == 200
    by_unit = {p["unit_id"]: p for p in answer.json}
    assert set(by_unit) == {first.unit.id, second.unit.id}  # type: ignore[union-attr]
    newest = by_unit[first.unit.id]  # type: ignore[union-attr]
    assert (newest["lat"], newest["lon"], newest["accuracy_m"]) == (36.1, -78.8, 5.0)
    assert newest["call_sign"] == first.unit.call_sign  # type: ignore[union-attr]
    assert datetime.fromisoformat(newest["at"]) > utcnow() - timedelta(minutes=1)


def test_an_old_point_arriving_late_from_an_offline_tablet_never_moves_the_unit_back(
        tablet: MakeTablet, sign_in: Callable[..., Session], create_user: Callable[..., Any],
        dispatcher: Session) -> None:
    online = tablet()
    offline = Tablet(sign_in(create_user(Role.RESPONDER_CLINICIAN, unit=online.unit)),
                     online.unit)
    online.push([online.point(36.2, -78.7)])
    # The second tablet recorded this an hour ago with no signal; it arrives only now.
    offline.push([offline.point(35.0, -80.0, device_time=offline.now() - timedelta(hours=1))])
    (position,) = dispatcher.get(POSITIONS).json
    assert (position["lat"], position["lon"]) == (36.2, -78.7)
    online.push([online.point(36.3, -78.6)])
    (position,) = dispatcher.get(POSITIONS).json
    assert (position["lat"], position["lon"]) == (36.3, -78.6)


def test_an_inactive_units_last_position_is_not_listed(
        create_unit: MakeUnit, record_point: Callable[..., LocationPoint],
        dispatcher: Session) -> None:
    retired = create_unit()
    record_point(retired, utcnow())
    retired.active = False
    db.session.commit()
    assert dispatcher.get(POSITIONS).json == []


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.DIVERSION_CLINICIAN, Role.SUPERVISOR])
def test_dispatch_roles_read_positions(role: Role, signed_in: Callable[..., Session]) -> None:
    assert signed_in(role).get(POSITIONS).status_code == 200


@pytest.mark.parametrize("role", [Role.SUPPLY_MANAGER, Role.RESPONDER_EMT, Role.PROGRAM_LEAD,
                                  Role.CARE_NAVIGATOR, Role.ADMIN])
def test_other_roles_are_refused_positions(role: Role, signed_in: Callable[..., Session]) -> None:
    assert signed_in(role).get(POSITIONS).status_code == 403


@pytest.mark.parametrize("role", [Role.SUPPLY_MANAGER, Role.DISPATCHER, Role.RESPONDER_EMT,
                                  Role.PROGRAM_LEAD])
def test_only_supervision_exports_a_track(role: Role, signed_in: Callable[..., Session],
                                          create_unit: MakeUnit) -> None:
    unit = create_unit()
    answer = signed_in(role).get(track_url(unit.id), query_string={"date": "2026-07-04"})
    assert answer.status_code == 403


def test_a_track_is_the_days_points_in_order_as_a_line_and_timed_points(
        create_unit: MakeUnit, record_point: Callable[..., LocationPoint],
        supervisor: Session) -> None:
    unit = create_unit(call_sign="HEART-7")
    # 2026-07-04 in New York (EDT, UTC-4) is 04:00Z on the 4th to 04:00Z on the 5th.
    record_point(unit, datetime(2026, 7, 4, 15, 0, tzinfo=UTC), 36.0, -78.9, accuracy_m=None)
    record_point(unit, datetime(2026, 7, 4, 14, 0, tzinfo=UTC), 35.9, -78.8,
                 time_uncertain=True)
    answer = supervisor.get(track_url(unit.id), query_string={"date": "2026-07-04"})
    assert answer.status_code == 200
    assert answer.mimetype == "application/geo+json"
    line, *points = answer.json["features"]
    assert answer.json["type"] == "FeatureCollection"
    assert line["geometry"] == {"type": "LineString", "coordinates": [[-78.8, 35.9], [-78.9, 36.0]]}
    assert line["properties"] == {"unit_id": unit.id, "call_sign": "HEART-7",
                                  "date": "2026-07-04", "points": 2}
    assert [p["geometry"] for p in points] == [{"type": "Point", "coordinates": [-78.8, 35.9]},
                                               {"type": "Point", "coordinates": [-78.9, 36.0]}]
    assert [p["properties"] for p in points] == [
        {"time": "2026-07-04T10:00:00-04:00", "accuracy_m": 8.0, "time_uncertain": True},
        {"time": "2026-07-04T11:00:00-04:00", "accuracy_m": None, "time_uncertain": False}]


def test_a_track_day_begins_and_ends_at_midnight_in_the_departments_time_zone(
        create_unit: MakeUnit, record_point: Callable[..., LocationPoint],
        supervisor: Session) -> None:
    unit = create_unit()
    other = create_unit()
    # 2026-12-01 in New York (EST, UTC-5): 05:00Z on the 1st up to 05:00Z on the 2nd.
    for at in ("2026-12-01T04:59:59", "2026-12-01T05:00:00", "2026-12-02T04:59:59",
               "2026-12-02T05:00:00"):
        record_point(unit, datetime.fromisoformat(at).replace(tzinfo=UTC))
    record_point(other, datetime(2026, 12, 1, 12, tzinfo=UTC))
    answer = supervisor.get(track_url(unit.id), query_string={"date": "2026-12-01"})
    times = [f["properties"]["time"] for f in answer.json["features"][1:]]
    assert times == ["2026-12-01T00:00:00-05:00", "2026-12-01T23:59:59-05:00"]


def test_the_day_the_clocks_go_back_is_25_hours_long(
        create_unit: MakeUnit, record_point: Callable[..., LocationPoint],
        supervisor: Session) -> None:
    unit = create_unit()
    # 2026-11-01: EDT until 06:00Z, then EST; midnight to midnight is 04:00Z to 05:00Z next day.
    record_point(unit, datetime(2026, 11, 1, 4, 0, tzinfo=UTC))
    record_point(unit, datetime(2026, 11, 2, 4, 30, tzinfo=UTC))
    record_point(unit, datetime(2026, 11, 2, 5, 0, tzinfo=UTC))
    answer = supervisor.get(track_url(unit.id), query_string={"date": "2026-11-01"})
    times = [f["properties"]["time"] for f in answer.json["features"][1:]]
    assert times == ["2026-11-01T00:00:00-04:00", "2026-11-01T23:30:00-05:00"]


def test_a_track_follows_the_configured_department_time_zone(
        app: Flask, create_unit: MakeUnit, record_point: Callable[..., LocationPoint],
        supervisor: Session) -> None:
    app.config["DEPARTMENT_TIMEZONE"] = "America/Los_Angeles"
    unit = create_unit()
    # 07:30Z on 2 December is 23:30 on 1 December in Los Angeles (PST, UTC-8).
    record_point(unit, datetime(2026, 12, 2, 7, 30, tzinfo=UTC))
    answer = supervisor.get(track_url(unit.id), query_string={"date": "2026-12-01"})
    assert [f["properties"]["time"] for f in answer.json["features"]] == [
        "2026-12-01T23:30:00-08:00"]


def test_a_day_with_one_point_has_no_line(create_unit: MakeUnit, supervisor: Session,
                                          record_point: Callable[..., LocationPoint]) -> None:
    unit = create_unit()
    record_point(unit, datetime(2026, 7, 4, 15, tzinfo=UTC))
    features = supervisor.get(track_url(unit.id), query_string={"date": "2026-07-04"}).json["features"]
    assert [f["geometry"]["type"] for f in features] == ["Point"]


def test_a_track_as_csv_has_one_row_per_point_with_local_times(
        create_unit: MakeUnit, record_point: Callable[..., LocationPoint],
        signed_in: Callable[..., Session]) -> None:
    unit = create_unit(call_sign="HEART-9")
    record_point(unit, datetime(2026, 7, 4, 14, tzinfo=UTC), 35.9, -78.8, time_uncertain=True)
    record_point(unit, datetime(2026, 7, 4, 15, tzinfo=UTC), 36.0, -78.9, accuracy_m=None)
    answer = signed_in(Role.ADMIN).get(track_url(unit.id),
                                       query_string={"date": "2026-07-04", "format": "csv"})
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows == [["unit", "time", "lat", "lon", "accuracy_m", "time_uncertain"],
                    ["HEART-9", "2026-07-04T10:00:00-04:00", "35.9", "-78.8", "8.0", "yes"],
                    ["HEART-9", "2026-07-04T11:00:00-04:00", "36.0", "-78.9", "", "no"]]


def test_a_call_sign_a_spreadsheet_would_run_as_a_formula_is_quoted_in_the_csv(
        create_unit: MakeUnit, record_point: Callable[..., LocationPoint],
        supervisor: Session) -> None:
    unit = create_unit(call_sign="=HYPERLINK(1)")
    record_point(unit, datetime(2026, 7, 4, 14, tzinfo=UTC))
    answer = supervisor.get(track_url(unit.id), query_string={"date": "2026-07-04", "format": "csv"})
    assert list(csv.reader(io.StringIO(answer.get_data(as_text=True))))[1][0] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(("query", "field"), [
    ({"date": "2026-13-01"}, "date"), ({"date": "yesterday"}, "date"), ({}, "date"),
    ({"date": "2026-07-04", "format": "kml"}, "format")])
def test_a_bad_date_or_format_is_a_4xx_naming_the_field(
        query: dict[str, str], field: str, create_unit: MakeUnit, supervisor: Session) -> None:
    answer = supervisor.get(track_url(create_unit().id), query_string=query)
    assert answer.status_code == 422
    assert list(answer.json["errors"]["query"]) == [field]


@pytest.mark.parametrize("date", ["0001-01-01", "1969-12-31", "9999-12-31"])
def test_a_day_outside_the_days_a_track_can_cover_is_a_4xx_naming_the_date(
        date: str, create_unit: MakeUnit, supervisor: Session) -> None:
    answer = supervisor.get(track_url(create_unit().id), query_string={"date": date})
    assert answer.status_code == 422
    assert list(answer.json["errors"]["query"]) == ["date"]


@pytest.mark.parametrize("unit_id", [999_999, 2**31, 2**63, 10**30])
def test_the_track_of_a_unit_that_does_not_exist_is_404(unit_id: int, supervisor: Session) -> None:
    answer = supervisor.get(track_url(unit_id), query_string={"date": "2026-07-04"})
    assert answer.status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_every_signed_in_role_reads_the_field_settings(
        role: Role, signed_in: Callable[..., Session], app: Flask) -> None:
    answer = signed_in(role).get(SETTINGS)
    assert answer.status_code == 200
    assert answer.json == {"location_interval_s": app.config["LOCATION_INTERVAL_SECONDS"],
                           "location_min_accuracy_m": app.config["LOCATION_MIN_ACCURACY_M"],
                           "location_min_move_m": app.config["LOCATION_MIN_MOVE_M"],
                           "checkin": {"after_minutes": app.config["CHECKIN_AFTER_MINUTES"],
                                       "after_minutes_by_call_type": {},
                                       "grace_seconds": app.config["CHECKIN_GRACE_SECONDS"]}}


def test_the_field_settings_need_a_sign_in(client: Any) -> None:
    assert client.get(SETTINGS).status_code == 401
