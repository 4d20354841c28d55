"""The indicators' area filter: only calls at a premise in the service area's polygon count,
in every indicator; naloxone counts only entries on such calls; an unknown area is a 422
naming it; the areas are listed for the dashboard's filter. (SQLite and PostgreSQL.)

North is 36.0 to 36.1 north, south 35.8 to 35.95, both 79.0 to 78.8 west. Calls on Monday
2 November 2026 (the week of the 2nd): N1 (community response) and N2 (co-response) in the
north, S1 (community response) in the south, P (community response) at a premise with no
position, and U, eligible and unserved (all busy), in the north. Naloxone: 2 doses on N1, 3
kits on S1, 4 kits on outreach (no call).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from server.auth.models import Role
from server.calls.models import Call
from server.dispatch.models import ServiceAreaRow
from server.extensions import db
from server.fieldlogs.models import HarmReductionEntry
from server.indicators.definitions import INDICATOR_IDS
from server.units.models import Program, Unit
from tests.fixtures.people import Session

RANGE = "from=2026-11-02&to=2026-11-08&period=week"
WEEK = "2026-11-02"
RECEIVED = datetime(2026, 11, 2, 10, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
NORTH = (36.05, -78.9)
SOUTH = (35.9, -78.9)


def ring(south: float, north: float) -> list[list[float]]:
    return [[-79.0, south], [-78.8, south], [-78.8, north], [-79.0, north]]


@pytest.fixture
def calls(create_call: Callable[..., Call], create_unit: Callable[..., Unit]) -> dict[str, Call]:
    db.session.add_all([ServiceAreaRow(id="north", name="North", ring=ring(36.0, 36.1)),
                        ServiceAreaRow(id="south", name="South", ring=ring(35.8, 35.95))])
    cr, co = create_unit(Program.COMMUNITY_RESPONSE), create_unit(Program.CO_RESPONSE)

    def call(unit: Unit | None, where: tuple[float | None, float | None], **fields: Any) -> Call:
        made = create_call(unit, lat=where[0], lon=where[1])
        made.received_at, made.eligible = RECEIVED, True
        for key, value in fields.items():
            setattr(made, key, value)
        db.session.commit()
        return made

    found = {"N1": call(cr, NORTH), "N2": call(co, NORTH), "S1": call(cr, SOUTH),
             "P": call(cr, (None, None)), "U": call(None, NORTH, unserved_reason="all_busy")}
    for unit, category, quantity, on in ((cr, "naloxone_administered", 2, found["N1"]),
                                         (cr, "naloxone_kit", 3, found["S1"]),
                                         (cr, "naloxone_kit", 4, None)):
        db.session.add(HarmReductionEntry(
            id=uuid.uuid4(), unit_id=unit.id, call_id=on.id if on else None, category=category,
            quantity=quantity, device_time=RECEIVED, corrected_time=RECEIVED,
            route="intranasal" if category == "naloxone_administered" else None,
            response="breathing_restored" if category == "naloxone_administered" else None))
    db.session.commit()
    return found


@pytest.fixture
def lead(calls: dict[str, Call], signed_in: Callable[..., Session]) -> Session:
    return signed_in(Role.PROGRAM_LEAD)


def values(session: Session, indicator: str, area: str | None) -> dict[str, Any]:
    query = RANGE + (f"&area={area}" if area else "")
    answer = session.get(f"/api/v1/indicators/{indicator}?{query}")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["filters"]["area_applied"] is (area is not None)
    return {"/".join(r["group"][g] for g in body["groups"]): r["values"] for r in body["rows"]}


def test_responses_count_only_the_calls_at_premises_in_the_area(lead: Session) -> None:
    assert values(lead, "responses", "north") == {"co_response": {"responses": 1},
                                                  "community_response": {"responses": 1}}
    assert values(lead, "responses", "south") == {"community_response": {"responses": 1}}
    assert values(lead, "responses", None) == {"co_response": {"responses": 1},
                                               "community_response": {"responses": 3}}


def test_eligible_calls_not_served_count_by_where_they_were(lead: Session) -> None:
    assert values(lead, "eligible_served", "north") == {
        "served/co_response": {"calls": 1}, "served/community_response": {"calls": 1},
        "not_served/all_busy": {"calls": 1}}
    assert values(lead, "eligible_served", "south") == {
        "served/community_response": {"calls": 1}}


def test_naloxone_counts_only_entries_on_calls_in_the_area(lead: Session) -> None:
    assert values(lead, "naloxone", "north") == {"community_response": {
        "naloxone_administrations": 1, "naloxone_doses": 2, "naloxone_kits_distributed": 0}}
    assert values(lead, "naloxone", "south") == {"community_response": {
        "naloxone_administrations": 0, "naloxone_doses": 0, "naloxone_kits_distributed": 3}}
    assert values(lead, "naloxone", None)["community_response"][
        "naloxone_kits_distributed"] == 7


@pytest.mark.parametrize("indicator", INDICATOR_IDS)
def test_every_indicator_takes_the_area(lead: Session, indicator: str) -> None:
    values(lead, indicator, "south")
    csv = lead.get(f"/api/v1/indicators/{indicator}.csv?{RANGE}&area=south")
    assert csv.status_code == 200


def test_an_unknown_area_is_a_422_naming_it(lead: Session) -> None:
    answer = lead.get(f"/api/v1/indicators/responses?{RANGE}&area=atlantis")
    assert answer.status_code == 422
    assert "area" in answer.json["errors"]["query"]


def test_the_areas_to_filter_by_are_listed_by_name(lead: Session) -> None:
    assert lead.get("/api/v1/indicators/areas").json == [{"id": "north", "name": "North"},
                                                         {"id": "south", "name": "South"}]
