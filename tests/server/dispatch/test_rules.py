"""Triage as pure functions: every seeded call type goes to its program, a weapon or violence
sends a call to co-response, and when a program cannot go (hours, area, nobody on shift, all
busy, no valid crew) the call stays eligible and goes to the next program, then police or EMS,
with the reason recorded. The nearest available unit is chosen by geodesic distance."""

from __future__ import annotations

import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from geopy.distance import geodesic

from server.auth.models import Role
from server.calls.seed import CALL_TYPES
from server.dispatch.rules import (
    Fallback,
    ProgramService,
    ReasonCode,
    Recommendation,
    ServiceArea,
    ServiceHours,
    TriageCall,
    TriageRules,
    UnitSnapshot,
    UnitStatus,
    classify,
    crew_is_valid,
    index_units,
    point_in_ring,
    triage,
)
from server.units.models import Program

ROOT = Path(__file__).resolve().parents[3]
CRT, COR, CCD, NAV = (Program.COMMUNITY_RESPONSE, Program.CO_RESPONSE,
                      Program.CRISIS_CALL_DIVERSION, Program.CARE_NAVIGATION)
CLIN, PEER, EMT, CIT = Role.RESPONDER_CLINICIAN, Role.RESPONDER_PEER, Role.RESPONDER_EMT, Role.CIT_OFFICER
DIVERSION = Role.DIVERSION_CLINICIAN

# A square city split down the middle (lon, lat), and a third area across town from both.
WEST = ServiceArea("west", ((-79.0, 35.9), (-78.9, 35.9), (-78.9, 36.1), (-79.0, 36.1)))
EAST = ServiceArea("east", ((-78.9, 35.9), (-78.8, 35.9), (-78.8, 36.1), (-78.9, 36.1)))
HERE = (36.0, -78.95)  # in the west half
OUT_OF_TOWN = (36.3, -78.95)
DAY_HOURS = ServiceHours(frozenset(range(7)), time(7), time(19), "America/New_York")
# The pilot year: five days a week, in one part of the city.
PILOT_HOURS = ServiceHours(frozenset(range(5)), time(7), time(19), "America/New_York")
WEDNESDAY_10AM = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 EST
TUESDAY_8PM = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 20:00 EST, Tuesday
SATURDAY_10AM = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)

SEED_TABLE = {code: programs for code, _name, _weapon, _priority, programs in CALL_TYPES}
VALID_CREW = {CRT: (CLIN, PEER, EMT), COR: (CLIN, CIT), CCD: (DIVERSION,), NAV: ()}


def rules(hours: ServiceHours = DAY_HOURS, areas: frozenset[str] = frozenset({"west", "east"}),
          ccd_hours: ServiceHours = DAY_HOURS) -> TriageRules:
    services = {CRT: ProgramService(hours, areas), COR: ProgramService(hours, areas),
                CCD: ProgramService(ccd_hours, areas)}
    return TriageRules(SEED_TABLE, services, {"west": WEST, "east": EAST},
                       ems_call_types=frozenset({"attempted_suicide", "intoxicated_person"}))


def unit(sign: str, program: Program = CRT, *, busy: bool = False, on_shift: bool = True,
         crew: tuple[str, ...] | None = None, at: tuple[float, float] | None = HERE,
         area: str | None = None) -> UnitSnapshot:
    lat, lon = at if at is not None else (None, None)
    return UnitSnapshot(int(sign.rsplit("-", 1)[1]) + 100 * list(Program).index(program), sign,
                        program, UnitStatus.BUSY if busy else UnitStatus.AVAILABLE, on_shift,
                        VALID_CREW[program] if crew is None else crew, lat, lon, area)


def call(call_type: str = "trespass", *, weapon: bool = False, violence: bool = False,
         at: datetime = WEDNESDAY_10AM, where: tuple[float, float] = HERE) -> TriageCall:
    return TriageCall(call_type, weapon, violence, at, *where)


def sent(result: Recommendation) -> str | None:
    """The call sign of the unit recommended, if any."""
    return result.unit.call_sign if result.unit is not None else None


def north_of(km: float) -> tuple[float, float]:
    return HERE[0] + km / 111.0, HERE[1]


EVERY_PROGRAM = [unit("HEART-1"), unit("CORE-1", COR), unit("DIVERT-1", CCD, at=None)]


# --- eligibility ---------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "programs"), SEED_TABLE.items())
def test_every_seeded_call_type_is_eligible_for_its_programs_in_order(
        code: str, programs: list[Program]) -> None:
    assert classify(call(code), rules()) == (True, tuple(programs), False)


@pytest.mark.parametrize(("code", "programs"), SEED_TABLE.items())
def test_every_seeded_call_type_goes_to_its_first_program(code: str, programs: list[Program]) -> None:
    result = triage(call(code), rules(), index_units(EVERY_PROGRAM))
    assert result.response == programs[0]
    assert result.unit is not None
    assert result.unit.program == programs[0]
    assert (result.reason_code, result.passed_over) == (None, ())


@pytest.mark.parametrize("code", [c for c, programs in SEED_TABLE.items() if COR not in programs[:1]])
@pytest.mark.parametrize(("weapon", "violence"), [(True, False), (False, True), (True, True)])
def test_a_weapon_or_violence_sends_an_eligible_call_to_co_response(
        code: str, weapon: bool, violence: bool) -> None:
    result = triage(call(code, weapon=weapon, violence=violence), rules(), index_units(EVERY_PROGRAM))
    assert result.eligibility == (True, (COR,), True)
    assert (result.response, sent(result)) == (COR, "CORE-1")
    assert result.reason.endswith("; weapon or violence flagged")


def test_a_weapon_call_with_no_co_response_team_goes_to_police_for_safety() -> None:
    units = index_units([unit("HEART-1"), unit("CORE-1", COR, busy=True)])
    result = triage(call("intoxicated_person", weapon=True), rules(), units)
    assert result.response == Fallback.POLICE  # never EMS alone to a weapon
    assert result.reason_code == ReasonCode.SAFETY
    assert [(m.program, m.code) for m in result.passed_over] == [(COR, ReasonCode.ALL_BUSY)]
    assert result.reason == ("Police: weapon or violence flagged and no co-response team can go "
                             "(co-response: all units busy (CORE-1))")


@pytest.mark.parametrize(("code", "weapon", "expected"), [
    ("burglary", False, Fallback.POLICE),
    ("burglary", True, Fallback.POLICE),
    ("", False, Fallback.POLICE),
])
def test_a_call_type_outside_the_table_is_not_eligible(code: str, weapon: bool, expected: Fallback) -> None:
    result = triage(call(code, weapon=weapon), rules(), index_units(EVERY_PROGRAM))
    assert result.eligibility == (False, (), weapon)
    assert (result.response, result.unit, result.reason_code) == (expected, None, None)
    assert result.reason == "Not a HEART call type: Police"


# --- hours and areas -----------------------------------------------------------------------

@pytest.mark.parametrize(("hours", "received", "covered"), [
    (DAY_HOURS, WEDNESDAY_10AM, True),
    (DAY_HOURS, TUESDAY_8PM, False),
    (DAY_HOURS, datetime(2026, 12, 2, 12, 0, tzinfo=UTC), True),     # 07:00 EST: opens
    (DAY_HOURS, datetime(2026, 12, 2, 11, 59, tzinfo=UTC), False),   # 06:59 EST
    (DAY_HOURS, datetime(2026, 12, 3, 0, 0, tzinfo=UTC), False),     # 19:00 EST: closed
    (DAY_HOURS, datetime(2026, 7, 1, 11, 30, tzinfo=UTC), True),     # 07:30 EDT in summer
    (DAY_HOURS, datetime(2026, 1, 7, 11, 30, tzinfo=UTC), False),    # 06:30 EST in winter
    (PILOT_HOURS, SATURDAY_10AM, False),
    (PILOT_HOURS, WEDNESDAY_10AM, True),
    # Overnight, Friday 19:00 to Saturday 07:00: Saturday 02:00 is Friday's night.
    (ServiceHours(frozenset({4}), time(19), time(7), "America/New_York"),
     datetime(2026, 12, 5, 7, 0, tzinfo=UTC), True),
    (ServiceHours(frozenset({4}), time(19), time(7), "America/New_York"),
     datetime(2026, 12, 6, 7, 0, tzinfo=UTC), False),                # Sunday 02:00
    (ServiceHours(frozenset(range(7)), time(0), time(0), "America/New_York"), TUESDAY_8PM, True),
])
def test_service_hours_are_local_time_in_the_programs_zone(
        hours: ServiceHours, received: datetime, covered: bool) -> None:
    assert hours.covers(received) is covered


def test_a_naive_received_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        DAY_HOURS.covers(datetime(2026, 12, 2, 10, 0))  # noqa: DTZ001 - the naive time under test


def test_off_hours_the_call_stays_eligible_and_goes_to_police_with_the_reason() -> None:
    result = triage(call("trespass", at=TUESDAY_8PM), rules(), index_units(EVERY_PROGRAM))
    assert result.eligibility.eligible
    assert not result.served
    assert (result.response, result.reason_code) == (Fallback.POLICE, ReasonCode.OUTSIDE_HOURS)
    assert result.reason == ("Police: community response: outside its hours (07:00-19:00 every day); "
                             "co-response: outside its hours (07:00-19:00 every day)")


def test_on_the_pilots_weekend_the_call_goes_to_police_as_outside_hours() -> None:
    result = triage(call("welfare_check", at=SATURDAY_10AM), rules(hours=PILOT_HOURS),
                    index_units(EVERY_PROGRAM))
    assert (result.response, result.reason_code) == (Fallback.POLICE, ReasonCode.OUTSIDE_HOURS)
    assert "Mon, Tue, Wed, Thu, Fri" in result.reason


def test_diversion_open_at_night_takes_a_mental_health_call_by_phone() -> None:
    always = ServiceHours(frozenset(range(7)), time(0), time(0), "America/New_York")
    result = triage(call("mental_health_crisis", at=TUESDAY_8PM), rules(ccd_hours=always),
                    index_units(EVERY_PROGRAM))
    assert (result.response, result.distance_m) == (CCD, None)
    assert result.reason == "DIVERT-1 (crisis call diversion), by phone from the 911 center"


@pytest.mark.parametrize(("code", "first"), [("trespass", "community response"),
                                           ("mental_health_crisis", "crisis call diversion")])
def test_a_call_outside_every_service_area_goes_to_police(code: str, first: str) -> None:
    result = triage(call(code, where=OUT_OF_TOWN), rules(), index_units(EVERY_PROGRAM))
    assert result.eligibility.eligible
    assert (result.response, result.reason_code) == (Fallback.POLICE, ReasonCode.OUTSIDE_SERVICE_AREA)
    assert result.reason.startswith(f"Police: {first}: call outside its service area")


def test_in_the_pilot_area_only_the_east_half_is_served() -> None:
    result = triage(call("trespass"), rules(areas=frozenset({"east"})), index_units(EVERY_PROGRAM))
    assert (result.reason_code, sent(result)) == (ReasonCode.OUTSIDE_SERVICE_AREA, None)


def test_a_unit_serves_only_its_own_area() -> None:
    units = index_units([unit("HEART-1", area="east"), unit("HEART-2", area="west", at=north_of(5)),
                         unit("CORE-1", COR)])
    result = triage(call("trespass"), rules(), units)
    assert sent(result) == "HEART-2"


def test_with_no_unit_serving_the_calls_area_the_next_program_goes() -> None:
    units = index_units([unit("HEART-1", area="east"), unit("CORE-1", COR)])
    result = triage(call("trespass"), rules(), units)
    assert (result.response, result.reason_code) == (COR, ReasonCode.OUTSIDE_SERVICE_AREA)
    assert "community response: no unit on shift serves the call's area" in result.reason


@pytest.mark.parametrize(("point", "inside"), [
    ((0.5, 0.5), True),
    ((1.5, 0.5), True),   # the base of the U
    ((0.5, 1.5), True),   # up the left arm of the U
    ((1.5, 1.5), False),  # in the notch of the U, inside its bounding box
    ((2.5, 1.5), True),
    ((-0.1, 0.5), False),
])
def test_point_in_a_concave_polygon(point: tuple[float, float], inside: bool) -> None:
    u_shape = ((0, 0), (3, 0), (3, 2), (2, 2), (2, 1), (1, 1), (1, 2), (0, 2))
    area = ServiceArea("u", tuple((float(x), float(y)) for x, y in u_shape))
    assert point_in_ring(*point, area.ring) is inside
    assert area.contains(point[1], point[0]) is inside


# --- units: shift, crew, busy, distance ----------------------------------------------------

def test_no_unit_on_shift_the_call_is_still_flagged_eligible_and_goes_to_police() -> None:
    units = index_units([unit("HEART-1", on_shift=False), unit("CORE-1", COR, on_shift=False)])
    result = triage(call("trespass"), rules(), units)
    assert result.eligibility.eligible
    assert (result.response, result.reason_code) == (Fallback.POLICE, ReasonCode.NO_UNIT_ON_SHIFT)
    assert result.reason == "Police: community response: no unit on shift; co-response: no unit on shift"


def test_no_unit_on_shift_for_an_attempted_suicide_the_fallback_is_ems() -> None:
    result = triage(call("attempted_suicide"), rules(), index_units([]))
    assert (result.response, result.reason_code) == (Fallback.EMS, ReasonCode.NO_UNIT_ON_SHIFT)
    assert result.reason == "EMS: co-response: no unit on shift"


def test_all_units_busy_the_next_program_goes_and_the_busy_units_are_named() -> None:
    units = index_units([unit("HEART-1", busy=True), unit("HEART-2", busy=True),
                         unit("CORE-1", COR, at=north_of(2.0))])
    result = triage(call("trespass"), rules(), units)
    assert (result.response, result.reason_code) == (COR, ReasonCode.ALL_BUSY)
    assert result.reason == ("CORE-1 (co-response), 2.0 km, nearest available; "
                             "community response: all units busy (HEART-1, HEART-2)")


def test_all_units_of_every_program_busy_goes_to_police() -> None:
    units = index_units([unit(f"HEART-{n}", busy=True) for n in range(1, 6)]
                        + [unit("CORE-1", COR, busy=True)])
    result = triage(call("trespass"), rules(), units)
    assert (result.response, result.reason_code) == (Fallback.POLICE, ReasonCode.ALL_BUSY)
    assert result.reason == ("Police: community response: all units busy "
                             "(HEART-1, HEART-2, HEART-3 +2 more); co-response: all units busy (CORE-1)")


def test_units_are_named_in_call_sign_order_with_numbers_as_numbers() -> None:
    units = index_units([unit("HEART-10", busy=True), unit("HEART-9", busy=True), unit("HEART-2", busy=True)])
    result = triage(call("lost_person_assist"), rules(), units)
    assert result.reason == "Police: community response: all units busy (HEART-2, HEART-9, HEART-10)"


@pytest.mark.parametrize(("program", "crew", "valid"), [
    (CRT, (CLIN, PEER, EMT), True),
    (CRT, (CLIN, PEER), True),
    (CRT, (CLIN, EMT), True),
    (CRT, (CLIN,), False),             # never alone
    (CRT, (PEER, EMT), False),         # no clinician
    (CRT, (PEER, EMT, EMT), False),
    (CRT, (CLIN, PEER, EMT, EMT), False),  # 2 or 3 members
    (CRT, (), False),
    (COR, (CLIN, CIT), True),
    (COR, (CLIN, PEER), False),        # no CIT officer
    (COR, (CIT,), False),
    (COR, (CIT, PEER), False),         # no clinician
    (CCD, (DIVERSION,), True),
    (CCD, (CLIN,), False),
    (NAV, (Role.CARE_NAVIGATOR,), False),  # care navigation takes no calls
])
def test_crew_rules(program: Program, crew: tuple[str, ...], valid: bool) -> None:
    assert crew_is_valid(program, crew) is valid


@pytest.mark.parametrize("crew", [(CLIN,), (PEER, EMT)], ids=["one person", "no clinician"])
def test_a_unit_with_an_invalid_crew_is_passed_over(crew: tuple[str, ...]) -> None:
    units = index_units([unit("HEART-1", crew=crew), unit("HEART-2", crew=crew), unit("CORE-1", COR)])
    result = triage(call("trespass"), rules(), units)
    assert (result.response, result.reason_code) == (COR, ReasonCode.INVALID_CREW)
    assert "community response: no unit on shift with a valid crew (HEART-1, HEART-2)" in result.reason


def test_an_invalid_crew_is_skipped_for_a_valid_one_further_away() -> None:
    units = index_units([unit("HEART-1", crew=(CLIN,)), unit("HEART-2", at=north_of(3))])
    result = triage(call("trespass"), rules(), units)
    assert sent(result) == "HEART-2"
    assert result.reason_code is None


def test_the_nearest_available_unit_is_chosen_by_geodesic_distance() -> None:
    units = index_units([unit("HEART-1", busy=True), unit("HEART-2", at=north_of(1.2)),
                         unit("HEART-3", at=north_of(4.0)), unit("HEART-4", at=north_of(2.5))])
    result = triage(call("trespass"), rules(), units)
    assert sent(result) == "HEART-2"
    assert result.distance_m == pytest.approx(geodesic(HERE, north_of(1.2)).m, abs=1e-6)
    assert result.reason == "HEART-2 (community response), 1.2 km, nearest available; HEART-1 busy"


def test_on_a_near_tie_the_ellipsoid_decides_not_the_sphere() -> None:
    # At 36 degrees north a kilometre north is shorter on the ellipsoid than on the sphere and a
    # kilometre east longer: the sphere puts EAST first by 1 m, the ellipsoid NORTH by ~3 m.
    north, east = (HERE[0] + 0.008993, HERE[1]), (HERE[0], HERE[1] + 0.011107)
    assert geodesic(HERE, north).m < geodesic(HERE, east).m
    units = index_units([unit("HEART-1", at=east), unit("HEART-2", at=north)])
    result = triage(call("trespass"), rules(), units)
    assert sent(result) == "HEART-2"


def test_a_unit_with_no_last_position_is_ranked_after_those_with_one() -> None:
    units = index_units([unit("HEART-1", at=None), unit("HEART-2", at=north_of(6))])
    result = triage(call("trespass"), rules(), units)
    assert sent(result) == "HEART-2"


def test_a_unit_with_no_last_position_goes_when_it_is_the_only_one() -> None:
    units = index_units([unit("HEART-1", at=None), unit("HEART-2", busy=True)])
    result = triage(call("trespass"), rules(), units)
    assert sent(result) == "HEART-1"
    assert result.distance_m is None
    assert result.reason == "HEART-1 (community response), available, no last position; HEART-2 busy"


def test_the_nearest_matches_measuring_every_unit_with_geopy() -> None:
    rng = random.Random(7)
    fleet = [unit(f"HEART-{n}", at=(rng.uniform(35.9, 36.1), rng.uniform(-79.0, -78.8)),
                  busy=rng.random() < 0.3) for n in range(1, 31)]
    units = index_units(fleet)
    for _ in range(200):
        where = (rng.uniform(35.9, 36.1), rng.uniform(-79.0, -78.8))
        result = triage(call("trespass", where=where), rules(), units)
        free = [u for u in fleet if u.status == UnitStatus.AVAILABLE]
        best = min(free, key=lambda u: geodesic(where, (u.lat, u.lon)).m)
        assert result.unit == best
        assert result.distance_m == pytest.approx(geodesic(where, (best.lat, best.lon)).m, abs=1e-6)


# --- the rules' own checks -----------------------------------------------------------------

def test_rules_refuse_a_program_with_no_hours_or_areas() -> None:
    with pytest.raises(ValueError, match="no service hours and areas: co_response"):
        TriageRules({"trespass": [CRT]}, {CRT: ProgramService(DAY_HOURS, frozenset({"west"}))},
                    {"west": WEST})


def test_rules_refuse_an_unknown_area_and_an_empty_row() -> None:
    service = ProgramService(DAY_HOURS, frozenset({"north"}))
    with pytest.raises(ValueError, match="unknown service areas: north"):
        TriageRules({"trespass": [CRT]}, {CRT: service, COR: service}, {"west": WEST})
    with pytest.raises(ValueError, match="call types with no program: trespass"):
        TriageRules({"trespass": []}, {}, {})


@dataclass(frozen=True)
class IntakeCall:
    """A call as the CAD intake reads one: more fields, and no position when the CAD has none."""

    incident_number: str
    call_type: str
    received_at: datetime
    lat: float | None
    lon: float | None
    weapon: bool
    violence: bool


def test_a_call_with_no_location_goes_to_diversion_by_phone_and_not_to_a_field_unit() -> None:
    units = index_units(EVERY_PROGRAM)
    for code, passed_over in [("mental_health_crisis", None),
                              ("nonviolent_mental_health_crisis", ReasonCode.NO_LOCATION)]:
        result = triage(IntakeCall("24-000123", code, WEDNESDAY_10AM, None, None, False, False),
                        rules(), units)
        assert (result.response, result.distance_m, result.reason_code) == (CCD, None, passed_over)
    result = triage(IntakeCall("24-000124", "trespass", WEDNESDAY_10AM, None, 36.0, False, False),
                    rules(), units)
    assert (result.response, result.reason_code) == (Fallback.POLICE, ReasonCode.NO_LOCATION)
    assert result.reason == ("Police: community response: the call has no location; "
                             "co-response: the call has no location")


def test_the_reason_codes_include_those_people_record_later() -> None:
    assert {c.value for c in ReasonCode} == {
        "no_unit_on_shift", "all_busy", "outside_service_area", "outside_hours", "safety",
        "invalid_crew", "no_location", "declined_by_team", "resolved_by_phone"}


def test_the_rules_import_without_flask() -> None:
    code = "import sys, server.dispatch.rules; assert 'flask' not in sys.modules, 'flask imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
