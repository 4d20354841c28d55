"""Shifts a supervisor builds: the crew rules dispatch uses are enforced when the shift is made
(one person alone, no clinician, co-response without a CIT officer: refused with the reason);
a person is on one unit's shift at a time; a started shift stays; only supervisors build; a
shift may name the service area its unit covers while it lasts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from server.auth.models import Role, User
from server.dispatch.models import ServiceAreaRow
from server.dispatch.services import unit_snapshots
from server.extensions import db
from server.models_base import utcnow
from server.units.models import Program, Unit
from tests.fixtures.people import Session

SHIFTS = "/api/v1/shifts"
AREAS = "/api/v1/service-areas"


@pytest.fixture
def people(create_user: Callable[..., User]) -> dict[str, User]:
    return {name: create_user(role) for name, role in (
        ("clinician", Role.RESPONDER_CLINICIAN), ("peer", Role.RESPONDER_PEER),
        ("emt", Role.RESPONDER_EMT), ("officer", Role.CIT_OFFICER),
        ("clinician2", Role.RESPONDER_CLINICIAN))}


def shift(unit: Unit, *members: User, hours_from_now: int = 1, hours: int = 12) -> dict[str, Any]:
    starts = utcnow() + timedelta(hours=hours_from_now)
    return {"unit_id": unit.id, "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=hours)).isoformat(),
            "member_ids": [m.id for m in members]}


@pytest.mark.parametrize(("program", "crew", "refused"), [
    (Program.COMMUNITY_RESPONSE, ("clinician", "peer"), False),
    (Program.COMMUNITY_RESPONSE, ("clinician", "peer", "emt"), False),
    (Program.COMMUNITY_RESPONSE, ("clinician",), True),  # never one person
    (Program.COMMUNITY_RESPONSE, ("peer", "emt"), True),  # no clinician
    (Program.CO_RESPONSE, ("clinician", "officer"), False),
    (Program.CO_RESPONSE, ("clinician", "peer"), True),  # no CIT officer
])
def test_the_crew_rules_hold_when_a_shift_is_built(
        signed_in: Callable[..., Session], create_unit: Callable[..., Unit],
        people: dict[str, User], program: Program, crew: tuple[str, ...], refused: bool) -> None:
    supervisor = signed_in(Role.SUPERVISOR)
    answer = supervisor.post(SHIFTS, shift(create_unit(program), *(people[n] for n in crew)))
    if refused:
        assert answer.status_code == 422, answer.json
        assert answer.json["errors"]["json"]["member_ids"]
    else:
        assert answer.status_code == 201, answer.json
        assert [m["user_id"] for m in answer.json["members"]] == [people[n].id for n in crew]


def test_a_person_is_on_one_units_shift_at_a_time(
        signed_in: Callable[..., Session], create_unit: Callable[..., Unit],
        people: dict[str, User]) -> None:
    supervisor = signed_in(Role.SUPERVISOR)
    first, second = create_unit(), create_unit()
    assert supervisor.post(SHIFTS, shift(first, people["clinician"], people["peer"])
                           ).status_code == 201
    clash = supervisor.post(SHIFTS, shift(second, people["clinician"], people["emt"],
                                          hours_from_now=6))
    assert clash.status_code == 409
    assert "member_ids" in clash.json["errors"]["json"]
    later = supervisor.post(SHIFTS, shift(second, people["clinician"], people["emt"],
                                          hours_from_now=14))
    assert later.status_code == 201


def test_a_started_shift_stays_and_a_future_one_can_be_removed(
        signed_in: Callable[..., Session], create_unit: Callable[..., Unit],
        people: dict[str, User]) -> None:
    supervisor = signed_in(Role.SUPERVISOR)
    unit = create_unit()
    started = supervisor.post(SHIFTS, shift(unit, people["clinician"], people["peer"],
                                            hours_from_now=-1)).json
    future = supervisor.post(SHIFTS, shift(unit, people["clinician2"], people["emt"],
                                           hours_from_now=20)).json
    assert supervisor.delete(f"{SHIFTS}/{started['id']}").status_code == 409
    assert supervisor.delete(f"{SHIFTS}/{future['id']}").status_code == 204
    listed = supervisor.get(SHIFTS, query_string={"starts_after": utcnow().isoformat()})
    assert [s["id"] for s in listed.json["items"]] == [started["id"]]


def test_bad_shifts_are_refused_naming_the_field(
        signed_in: Callable[..., Session], create_unit: Callable[..., Unit],
        people: dict[str, User]) -> None:
    supervisor = signed_in(Role.SUPERVISOR)
    unit = create_unit()
    backwards = shift(unit, people["clinician"], people["peer"])
    backwards["ends_at"] = backwards["starts_at"]
    assert "ends_at" in supervisor.post(SHIFTS, backwards).json["errors"]["json"]
    nobody = supervisor.post(SHIFTS, {**shift(unit, people["clinician"]), "member_ids": [99999,
                                                                                         people["peer"].id]})
    assert nobody.status_code == 422
    assert "member_ids" in nobody.json["errors"]["json"]


def test_only_supervisors_build_shifts(signed_in: Callable[..., Session],
                                       create_unit: Callable[..., Unit],
                                       people: dict[str, User]) -> None:
    body = shift(create_unit(), people["clinician"], people["peer"])
    for role in (Role.DISPATCHER, Role.RESPONDER_CLINICIAN, Role.PROGRAM_LEAD):
        assert signed_in(role).post(SHIFTS, body).status_code == 403
    assert signed_in(Role.DISPATCHER).get(SHIFTS).status_code == 200


def test_a_shift_names_the_area_its_unit_covers_and_dispatch_reads_it_over_the_units(
        signed_in: Callable[..., Session], create_unit: Callable[..., Unit],
        people: dict[str, User]) -> None:
    ring = [[-78.95, 35.95], [-78.85, 35.95], [-78.85, 36.05], [-78.95, 36.05], [-78.95, 35.95]]
    db.session.add_all([ServiceAreaRow(id="north", name="North", ring=ring),
                        ServiceAreaRow(id="east", name="East", ring=ring)])
    unit = create_unit()
    unit.service_area_id = "east"
    db.session.commit()
    supervisor = signed_in(Role.SUPERVISOR)
    assert [a["id"] for a in supervisor.get(AREAS).json] == ["east", "north"]
    made = supervisor.post(SHIFTS, {**shift(unit, people["clinician"], people["peer"],
                                            hours_from_now=0), "service_area_id": "north"})
    assert made.status_code == 201, made.json
    assert made.json["service_area_id"] == "north"
    [snapshot] = [u for u in unit_snapshots(db.session, utcnow()) if u.unit_id == unit.id]
    assert (snapshot.on_shift, snapshot.service_area_id) == (True, "north")
    unknown = supervisor.post(SHIFTS, {**shift(create_unit(), people["clinician2"], people["emt"]),
                                       "service_area_id": "nowhere"})
    assert unknown.status_code == 422
    assert "service_area_id" in unknown.json["errors"]["json"]


def test_off_its_shift_a_unit_covers_its_own_area(create_unit: Callable[..., Unit]) -> None:
    unit = create_unit()
    unit.service_area_id = "east"
    db.session.commit()
    [snapshot] = [u for u in unit_snapshots(db.session, utcnow()) if u.unit_id == unit.id]
    assert (snapshot.on_shift, snapshot.service_area_id) == (False, "east")
