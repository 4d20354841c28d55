"""The supervisor's board: each unit's status, call, crew on shift now and last position in a
fixed number of statements; the premises the map shows; the basemap file and who reads what."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.auth.models import Role, User
from server.calls.models import Call, CallStatus, PremiseHazard
from server.extensions import db
from server.locations.models import LocationPoint
from server.models_base import utcnow
from server.units.models import Shift, Unit
from tests.fixtures.people import Session

UNITS = "/api/v1/board/units"
PREMISES = "/api/v1/board/premises"
BASEMAP = "/api/v1/board/basemap"
BOARD_READERS = {Role.SUPERVISOR, Role.DISPATCHER, Role.DIVERSION_CLINICIAN}
STREETS = {"type": "FeatureCollection", "features": [{
    "type": "Feature", "properties": {"name": "Main St"},
    "geometry": {"type": "LineString", "coordinates": [[-78.91, 35.99], [-78.89, 35.99]]}}]}


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = db.engines[None]
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def crewed_unit(create_unit: Callable[..., Unit], create_user: Callable[..., User]
                ) -> Callable[..., Unit]:
    def factory(call_sign: str | None = None) -> Unit:
        unit = create_unit(call_sign=call_sign)
        create_user(Role.RESPONDER_CLINICIAN, unit=unit, full_name=f"Crew of {unit.call_sign}")
        return unit
    return factory


def place(unit: Unit, lat: float, lon: float) -> None:
    at = utcnow()
    db.session.add(LocationPoint(id=uuid.uuid4(), unit_id=unit.id, lat=lat, lon=lon,
                                 accuracy_m=6.0, device_time=at, corrected_time=at))
    db.session.commit()


def test_a_unit_on_a_call_shows_the_calls_status_address_crew_and_position(
        crewed_unit: Callable[..., Unit], create_call: Callable[..., Call],
        supervisor: Session) -> None:
    unit = crewed_unit("BOARD-1")
    the_call = create_call(unit, address="12 Elm St, Durham NC")
    place(unit, 35.991, -78.901)
    answer = supervisor.get(UNITS)
    assert answer.status_code == 200
    row = next(u for u in answer.json if u["unit_id"] == unit.id)
    assert row["call_sign"] == "BOARD-1"
    assert row["status"] == the_call.status.value
    assert row["call"]["id"] == str(the_call.id)
    assert row["call"]["address"] == "12 Elm St, Durham NC"
    assert row["call"]["cad_number"] == the_call.cad_number
    assert row["call"]["call_type"] == "welfare_check"
    assert row["call"]["since"]
    assert [c["name"] for c in row["crew"]] == ["Crew of BOARD-1"]
    assert row["crew"][0]["role"] == Role.RESPONDER_CLINICIAN.value
    assert row["position"]["lat"] == pytest.approx(35.991)
    assert set(row["position"]) == {"lat", "lon", "at", "accuracy_m"}


def test_a_unit_without_a_call_is_available_on_shift_and_off_shift_without_crew(
        crewed_unit: Callable[..., Unit], create_unit: Callable[..., Unit],
        create_call: Callable[..., Call], supervisor: Session) -> None:
    crewed = crewed_unit()
    cleared = create_call(crewed)
    cleared.status = CallStatus.CLEARED
    db.session.commit()
    idle = create_unit()
    answer = {u["unit_id"]: u for u in supervisor.get(UNITS).json}
    assert answer[crewed.id]["status"] == "available"
    assert answer[crewed.id]["call"] is None
    assert answer[idle.id]["status"] == "off_shift"
    assert answer[idle.id]["crew"] == []
    assert answer[idle.id]["position"] is None


def test_someone_whose_shift_ended_is_not_on_the_crew(
        create_unit: Callable[..., Unit], create_user: Callable[..., User],
        create_shift: Callable[..., Shift], supervisor: Session) -> None:
    unit = create_unit()
    create_shift(unit, [create_user(full_name="Went Home")], ended_ago=timedelta(hours=1))
    row = next(u for u in supervisor.get(UNITS).json if u["unit_id"] == unit.id)
    assert row["crew"] == []
    assert row["status"] == "off_shift"


def test_the_units_board_reads_in_the_same_statements_for_two_units_or_twelve(
        app: Flask, crewed_unit: Callable[..., Unit], create_call: Callable[..., Call],
        supervisor: Session) -> None:
    def add_units(n: int) -> None:
        for _ in range(n):
            unit = crewed_unit()
            create_call(unit)
            place(unit, 36.0, -78.9)

    add_units(2)
    with counted_statements(app) as few:
        assert supervisor.get(UNITS).status_code == 200
    add_units(10)
    with counted_statements(app) as many:
        assert len(supervisor.get(UNITS).json) >= 12
    assert len(many) == len(few)


def test_premises_of_open_calls_and_hazard_premises_are_on_the_map(
        create_call: Callable[..., Call], create_unit: Callable[..., Unit],
        supervisor: Session) -> None:
    unit = create_unit()
    open_call = create_call(unit, address="1 Open Rd")
    closed = create_call(unit, address="2 Closed Rd")
    hazardous = create_call(unit, address="3 Hazard Rd")
    closed.status = CallStatus.CLEARED
    hazardous.status = CallStatus.CLEARED
    db.session.add_all([
        PremiseHazard(premise_id=hazardous.premise_id, kind="dog", description="Large dog"),
        PremiseHazard(premise_id=hazardous.premise_id, kind="stairs", description="Steep"),
        PremiseHazard(premise_id=hazardous.premise_id, kind="old", description="x", active=False)])
    db.session.commit()
    answer = supervisor.get(PREMISES)
    assert answer.status_code == 200
    by_address = {p["address"]: p for p in answer.json}
    assert set(by_address) == {"1 Open Rd", "3 Hazard Rd"}
    assert by_address["3 Hazard Rd"]["hazards"] == 2
    assert by_address["1 Open Rd"]["hazards"] == 0
    assert by_address["1 Open Rd"]["id"] == str(open_call.premise_id)
    assert set(by_address["1 Open Rd"]) == {"id", "address", "lat", "lon", "hazards"}


@pytest.mark.parametrize("role", list(Role))
def test_dispatch_roles_read_the_board_and_every_role_reads_the_basemap(
        role: Role, signed_in: Callable[..., Session]) -> None:
    session = signed_in(role)
    expected = 200 if role in BOARD_READERS else 403
    assert session.get(UNITS).status_code == expected
    assert session.get(PREMISES).status_code == expected
    assert session.get(BASEMAP).status_code == 404


def test_without_a_basemap_the_answer_is_a_404_naming_it(supervisor: Session) -> None:
    answer = supervisor.get(BASEMAP)
    assert answer.status_code == 404
    assert "basemap" in answer.json["message"]


def test_the_basemap_is_served_with_an_etag_and_not_sent_again_unchanged(
        app: Flask, tmp_path: Path, supervisor: Session) -> None:
    path = tmp_path / "streets.geojson"
    path.write_text(json.dumps(STREETS))
    app.config["BASEMAP_PATH"] = str(path)
    answer = supervisor.get(BASEMAP)
    assert answer.status_code == 200
    assert answer.mimetype == "application/geo+json"
    assert json.loads(answer.data) == STREETS
    etag = answer.headers["ETag"]
    again = supervisor.client.get(BASEMAP, headers={**supervisor.headers,
                                                    "If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize(("content", "reason"), [
    ("{not json", "not JSON"),
    (json.dumps({"type": "Feature", "geometry": None}), "FeatureCollection"),
    (json.dumps({**STREETS, "pad": "x" * 2048}), "BASEMAP_MAX_BYTES"),
])
def test_a_bad_basemap_file_is_refused_with_a_log_line_and_a_404(
        app: Flask, tmp_path: Path, supervisor: Session,
        caplog: pytest.LogCaptureFixture, content: str, reason: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(content)
    app.config.update(BASEMAP_PATH=str(path), BASEMAP_MAX_BYTES=1024)
    with caplog.at_level(logging.ERROR, logger="server.board.services"):
        assert supervisor.get(BASEMAP).status_code == 404
    assert reason in caplog.text
