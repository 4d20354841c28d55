"""The program's indicators on a small city worked out by hand (SQLite and PostgreSQL).

The department's zone is America/New_York (UTC-5 in November 2026, after the clocks went
back on 1 November). The range asked is Monday 2 to Sunday 15 November, by week: the weeks
of the 2nd and of the 9th. Units: CR-1 and CR-2 (community response), CO-1 (co-response).

Calls (local times; "d" dispatched_at, taps are status events at their corrected times):

  A  welfare_check  CR-1  Mon 2nd 10:00, d 10:02; an uncertain en_route tap 10:01 (passed
     over: a trusted one exists), en_route 10:03, on_scene 10:10; transported to "Duke
     Regional ED". Stages: 120 / 60 / 420 / 600 s.
  B  welfare_check  CR-1  Tue 3rd 09:00, d 09:05; en_route 09:06; on_scene only from a
     clock-skewed tablet (time_uncertain). Stages: 300 / 60 / uncertain / uncertain.
  C  welfare_check  reassigned: CR-2 at 14:04 (d), CR-2's en_route 14:05, moved to CO-1,
     whose en_route 14:09 and on_scene 14:20: Wed 4th 14:00. Counts once, for co-response;
     first dispatch and first en_route of any unit: 240 / 60 / 900 / 1200 s.
  D  trespass  CR-2  Thu 5th 16:00, d 16:01; en_route 16:03; no on-scene tap.
     Stages: 60 / 120 / missing / missing.
  G  welfare_check  eligible, no unit (all_busy), Tue 3rd 11:00.
  H  welfare_check  eligible, resolved by phone, Tue 10th 08:00.
  I  welfare_check  CR-1  Tue 10th 12:00, d 12:02; en_route tapped 12:03 and withdrawn at
     12:04, en_route again 12:06; on_scene 12:15. Stages: 120 / 240 / 540 / 900 s.
  E  CR-1 Sun 1st 23:30 (2 Nov 04:30 UTC): before the range.  F  CR-1 Mon 16th 00:30: after.
  J  CR-1 Wed 4th, cancelled (deleted_at): never counts.

Every call but E, F and J is eligible. All call types fall back to police.

Week of the 2nd, community response (A, B, D): received->dispatched 60, 120, 300: median
120, 90th percentile at rank 0.9 x 2 = 1.8: 120 + 0.8 x 180 = 264. dispatched->en_route 60,
60, 120: median 60, p90 60 + 0.8 x 60 = 108. en_route->on_scene: A's 420 only (B uncertain,
D missing); received->on_scene: A's 600 only.

Surveys: A by two CR-1 responders (felt safe yes, yes; police no, no; one debrief asked),
B by one (felt safe no, police requested yes), C by CO-1's (yes, no). Harm reduction: CR-1
on A Mon 2nd naloxone administered (2 doses) and 3 naloxone kits; CR-2 outreach (no call)
Wed 11th 10 kits; CR-1 Sun 1st 5 kits (before the range).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from server.auth.models import Role, User
from server.calls.models import Call, CallStatus, CallStatusEvent
from server.calls.services import status_times, update_call
from server.care.models import Referral, ReferralEvent, ReferralStatus
from server.dispatch.models import ServiceAreaRow
from server.extensions import db
from server.fieldlogs.models import DebriefRequest, HarmReductionEntry, PostCallSurvey
from server.indicators import services
from server.indicators.definitions import COMMON, DEFINITIONS, INDICATOR_IDS
from server.units.models import Program, Unit
from tests.fixtures.people import Session

ZONE = ZoneInfo("America/New_York")
RANGE = "from=2026-11-02&to=2026-11-15&period=week"
WEEK1, WEEK2 = "2026-11-02", "2026-11-09"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


class City:
    """The calls above, and helpers that record their facts."""

    def __init__(self, create_unit: Callable[..., Unit], create_call: Callable[..., Call],
                 create_user: Callable[..., User]) -> None:
        self.cr1 = create_unit(Program.COMMUNITY_RESPONSE, "CR-1")
        self.cr2 = create_unit(Program.COMMUNITY_RESPONSE, "CR-2")
        self.co1 = create_unit(Program.CO_RESPONSE, "CO-1")
        self.dispatcher = create_user(Role.DISPATCHER)
        self.responders = [create_user(Role.RESPONDER_CLINICIAN) for _ in range(3)]
        self.create_call = create_call
        self.calls: dict[str, Call] = {}

    def call(self, name: str, unit: Unit | None, received: datetime,
             dispatched: datetime | None = None, call_type: str = "welfare_check",
             **fields: Any) -> Call:
        call = self.create_call(unit, call_type=call_type)
        call.received_at, call.dispatched_at, call.eligible = received, dispatched, True
        for key, value in fields.items():
            setattr(call, key, value)
        db.session.commit()
        self.calls[name] = call
        return call

    def tap(self, call: Call, status: CallStatus, at: datetime, uncertain: bool = False,
            withdraws: uuid.UUID | None = None) -> uuid.UUID:
        event = CallStatusEvent(id=uuid.uuid4(), call_id=call.id, status=status, device_time=at,
                                corrected_time=at, time_uncertain=uncertain,
                                user_id=self.responders[0].id, withdraws_id=withdraws)
        db.session.add(event)
        db.session.commit()
        return event.id

    def survey(self, call: Call, unit: Unit, who: int, felt_safe: str, police: str,
               debrief: bool = False) -> None:
        survey = PostCallSurvey(id=uuid.uuid4(), call_id=call.id, unit_id=unit.id,
                                user_id=self.responders[who].id, felt_safe=felt_safe,
                                police_requested=police, debrief_wanted="yes" if debrief else "no",
                                device_time=call.received_at, corrected_time=call.received_at)
        db.session.add(survey)
        db.session.flush()
        if debrief:
            db.session.add(DebriefRequest(survey_id=survey.id, call_id=call.id, unit_id=unit.id))
        db.session.commit()

    def harm_reduction(self, unit: Unit, category: str, quantity: int, at: datetime,
                       call: Call | None = None) -> None:
        db.session.add(HarmReductionEntry(
            id=uuid.uuid4(), unit_id=unit.id, call_id=call.id if call else None,
            category=category, quantity=quantity, device_time=at, corrected_time=at,
            route="intranasal" if category == "naloxone_administered" else None,
            response="breathing_restored" if category == "naloxone_administered" else None))
        db.session.commit()


@pytest.fixture
def city(create_unit: Callable[..., Unit], create_call: Callable[..., Call],
         create_user: Callable[..., User]) -> City:
    c = City(create_unit, create_call, create_user)
    a = c.call("A", c.cr1, local(2, 10), local(2, 10, 2), transport_destination="Duke Regional ED")
    c.tap(a, CallStatus.EN_ROUTE, local(2, 10, 1), uncertain=True)
    c.tap(a, CallStatus.EN_ROUTE, local(2, 10, 3))
    c.tap(a, CallStatus.ON_SCENE, local(2, 10, 10))
    b = c.call("B", c.cr1, local(3, 9), local(3, 9, 5))
    c.tap(b, CallStatus.EN_ROUTE, local(3, 9, 6))
    c.tap(b, CallStatus.ON_SCENE, local(3, 8), uncertain=True)
    call_c = c.call("C", c.cr2, local(4, 14), local(4, 14, 4))
    c.tap(call_c, CallStatus.EN_ROUTE, local(4, 14, 5))
    update_call(db.session(), c.dispatcher, None, call_c, {"unit_id": c.co1.id})
    db.session.commit()
    c.tap(call_c, CallStatus.EN_ROUTE, local(4, 14, 9))
    c.tap(call_c, CallStatus.ON_SCENE, local(4, 14, 20))
    d = c.call("D", c.cr2, local(5, 16), local(5, 16, 1), call_type="trespass")
    c.tap(d, CallStatus.EN_ROUTE, local(5, 16, 3))
    c.call("G", None, local(3, 11), unserved_reason="all_busy")
    c.call("H", None, local(10, 8), unserved_reason="resolved_by_phone",
           status=CallStatus.CLEARED)
    i = c.call("I", c.cr1, local(10, 12), local(10, 12, 2))
    mistap = c.tap(i, CallStatus.EN_ROUTE, local(10, 12, 3))
    c.tap(i, CallStatus.EN_ROUTE, local(10, 12, 4), withdraws=mistap)
    c.tap(i, CallStatus.EN_ROUTE, local(10, 12, 6))
    c.tap(i, CallStatus.ON_SCENE, local(10, 12, 15))
    c.call("E", c.cr1, local(1, 23, 30), local(1, 23, 31), eligible=False)
    c.call("F", c.cr1, local(16, 0, 30), local(16, 0, 31), eligible=False)
    c.call("J", c.cr1, local(4, 9), local(4, 9, 1), eligible=False,
           deleted_at=local(4, 9, 30))
    c.survey(a, c.cr1, 0, "yes", "no", debrief=True)
    c.survey(a, c.cr1, 1, "yes", "no")
    c.survey(b, c.cr1, 0, "no", "yes")
    c.survey(call_c, c.co1, 2, "yes", "no")
    c.harm_reduction(c.cr1, "naloxone_administered", 2, local(2, 10, 15), a)
    c.harm_reduction(c.cr1, "naloxone_kit", 3, local(2, 10, 20), a)
    c.harm_reduction(c.cr2, "naloxone_kit", 10, local(11, 15))
    c.harm_reduction(c.cr1, "naloxone_kit", 5, local(1, 15))
    return c


@pytest.fixture
def lead(city: City, signed_in: Callable[..., Session]) -> Session:
    return signed_in(Role.PROGRAM_LEAD)


def rows(session: Session, indicator: str, query: str = RANGE) -> list[tuple[Any, ...]]:
    """The indicator's rows as (period, *groups, values)."""
    answer = session.get(f"/api/v1/indicators/{indicator}?{query}")
    assert answer.status_code == 200, answer.json
    body = answer.json
    return [(r["period"], *(r["group"][g] for g in body["groups"]), r["values"])
            for r in body["rows"]]


def test_responses_count_each_call_once_for_the_program_of_its_last_unit(lead: Session) -> None:
    """A, B and D for community response, C (moved from CR-2 to CO-1) for co-response; I in
    the second week. E (the 1st, local time, though the 2nd in UTC), F (the 16th) and the
    cancelled J are outside."""
    assert rows(lead, "responses") == [
        (WEEK1, "co_response", {"responses": 1}),
        (WEEK1, "community_response", {"responses": 3}),
        (WEEK2, "community_response", {"responses": 1}),
    ]


def test_the_answer_carries_its_definition_every_period_and_the_filters(lead: Session) -> None:
    # Downtown holds every premise of the city (they are all at 35.99, -78.9).
    db.session.add(ServiceAreaRow(id="downtown", name="Downtown", ring=[
        [-79.0, 35.9], [-78.8, 35.9], [-78.8, 36.1], [-79.0, 36.1]]))
    db.session.commit()
    body = lead.get(f"/api/v1/indicators/responses?{RANGE}&area=downtown").json
    assert body["title"] == DEFINITIONS["responses"]["title"]
    assert body["definition"] == DEFINITIONS["responses"]["definition"]
    assert body["common"] == COMMON
    assert body["periods"] == [WEEK1, WEEK2]
    assert body["filters"] == {"period": "week", "from": "2026-11-02", "to": "2026-11-15",
                               "time_zone": "America/New_York", "call_type": None,
                               "area": "downtown", "area_applied": True, "program": None,
                               "program_applied": False}
    assert sum(r["values"]["responses"] for r in body["rows"]) == 5


def test_by_day_and_by_month(lead: Session) -> None:
    by_day = rows(lead, "responses", "from=2026-11-02&to=2026-11-15&period=day")
    assert [(p, prog) for p, prog, _ in by_day] == [
        ("2026-11-02", "community_response"), ("2026-11-03", "community_response"),
        ("2026-11-04", "co_response"), ("2026-11-05", "community_response"),
        ("2026-11-10", "community_response")]
    assert rows(lead, "responses", "from=2026-11-01&to=2026-11-30&period=month") == [
        ("2026-11-01", "co_response", {"responses": 1}),
        ("2026-11-01", "community_response", {"responses": 6})]  # A, B, D, I, E, F


def test_a_call_type_filter_keeps_only_its_calls(lead: Session) -> None:
    assert rows(lead, "responses", RANGE + "&call_type=trespass") == [
        (WEEK1, "community_response", {"responses": 1})]


def test_a_program_filter_keeps_that_programs_rows_in_the_json_and_the_csv(
        lead: Session) -> None:
    assert rows(lead, "transports", RANGE + "&program=co_response") == [
        (WEEK1, "co_response", "none", {"responses": 1, "program_responses": 1, "share": 1.0})]
    body = lead.get(f"/api/v1/indicators/transports?{RANGE}&program=co_response").json
    assert (body["filters"]["program"], body["filters"]["program_applied"]) == ("co_response", True)
    csv_lines = lead.get(f"/api/v1/indicators/responses.csv?{RANGE}&program=community_response"
                         ).get_data(as_text=True).splitlines()
    assert csv_lines == ["period,program,responses", f"{WEEK1},community_response,<5",
                         f"{WEEK2},community_response,<5"]


def test_a_program_filter_on_an_indicator_not_by_program_shows_all_and_says_so(
        lead: Session) -> None:
    every = lead.get(f"/api/v1/indicators/diversion?{RANGE}").json
    body = lead.get(f"/api/v1/indicators/diversion?{RANGE}&program=co_response").json
    assert body["rows"] == every["rows"]
    assert body["filters"]["program_applied"] is False


def test_transports_by_destination_with_their_share(lead: Session) -> None:
    assert rows(lead, "transports") == [
        (WEEK1, "co_response", "none", {"responses": 1, "program_responses": 1, "share": 1.0}),
        (WEEK1, "community_response", "Duke Regional ED",
         {"responses": 1, "program_responses": 3, "share": 0.3333}),
        (WEEK1, "community_response", "none",
         {"responses": 2, "program_responses": 3, "share": 0.6667}),
        (WEEK2, "community_response", "none",
         {"responses": 1, "program_responses": 1, "share": 1.0}),
    ]


def test_eligible_calls_served_and_not_served_with_their_reasons(lead: Session) -> None:
    assert rows(lead, "eligible_served") == [
        (WEEK1, "served", "co_response", {"calls": 1}),
        (WEEK1, "served", "community_response", {"calls": 3}),
        (WEEK1, "not_served", "all_busy", {"calls": 1}),
        (WEEK2, "served", "community_response", {"calls": 1}),
        (WEEK2, "not_served", "resolved_by_phone", {"calls": 1}),
    ]


def test_referrals_made_accepted_and_connected_by_program(city: City, lead: Session) -> None:
    """A (CR-1): accepted then connected; B (CR-1): made; C (CO-1 now): closed unaccepted; G
    (no unit): made; I (CR-1, week 2): accepted, and a second referral of I connected straight
    away; E (before the range) and the cancelled J: never counted."""
    author = city.responders[0]
    courses = {"A": [(ReferralStatus.ACCEPTED,), (ReferralStatus.CONNECTED,)], "B": [],
               "C": [(ReferralStatus.CLOSED,)], "G": [], "I": [(ReferralStatus.ACCEPTED,)],
               "E": [(ReferralStatus.CONNECTED,)], "J": [(ReferralStatus.CONNECTED,)]}
    for name, course in [*courses.items(), ("I", [(ReferralStatus.CONNECTED,)])]:
        referral = Referral(call_id=city.calls[name].id, need="food", created_by_id=author.id)
        db.session.add(referral)
        db.session.flush()
        for (status,) in [(ReferralStatus.MADE,), *course]:
            db.session.add(ReferralEvent(referral_id=referral.id, status=status,
                                         actor_id=author.id))
            referral.status = status
    db.session.commit()
    assert rows(lead, "referrals") == [
        (WEEK1, "co_response", {"made": 1, "accepted": 0, "connected": 0, "connected_share": 0.0}),
        (WEEK1, "community_response", {"made": 2, "accepted": 1, "connected": 1,
                                       "connected_share": 0.5}),
        (WEEK1, "unknown", {"made": 1, "accepted": 0, "connected": 0, "connected_share": 0.0}),
        (WEEK2, "community_response", {"made": 2, "accepted": 2, "connected": 1,
                                       "connected_share": 0.5}),
    ]


def _times(stats: dict[str, Any]) -> tuple[Any, ...]:
    return (stats["calls_timed"], stats["median_seconds"], stats["p90_seconds"],
            stats["left_out_uncertain"], stats["left_out_missing"],
            stats["left_out_out_of_order"])


def test_response_times_by_stage_leave_out_uncertain_and_missing_times(lead: Session) -> None:
    found = {(p, prog, stage): _times(v) for p, prog, stage, v in rows(lead, "response_times")}
    assert found == {
        (WEEK1, "community_response", "received_to_dispatched"): (3, 120.0, 264.0, 0, 0, 0),
        (WEEK1, "community_response", "dispatched_to_en_route"): (3, 60.0, 108.0, 0, 0, 0),
        (WEEK1, "community_response", "en_route_to_on_scene"): (1, 420.0, 420.0, 1, 1, 0),
        (WEEK1, "community_response", "received_to_on_scene"): (1, 600.0, 600.0, 1, 1, 0),
        (WEEK1, "co_response", "received_to_dispatched"): (1, 240.0, 240.0, 0, 0, 0),
        (WEEK1, "co_response", "dispatched_to_en_route"): (1, 60.0, 60.0, 0, 0, 0),
        (WEEK1, "co_response", "en_route_to_on_scene"): (1, 900.0, 900.0, 0, 0, 0),
        (WEEK1, "co_response", "received_to_on_scene"): (1, 1200.0, 1200.0, 0, 0, 0),
        (WEEK2, "community_response", "received_to_dispatched"): (1, 120.0, 120.0, 0, 0, 0),
        (WEEK2, "community_response", "dispatched_to_en_route"): (1, 240.0, 240.0, 0, 0, 0),
        (WEEK2, "community_response", "en_route_to_on_scene"): (1, 540.0, 540.0, 0, 0, 0),
        (WEEK2, "community_response", "received_to_on_scene"): (1, 900.0, 900.0, 0, 0, 0),
    }


def test_a_tap_out_of_order_is_left_out_and_counted(city: City, lead: Session) -> None:
    """K: on scene at 09:10 before en route at 09:20 (both trusted): its en_route->on_scene
    is out of order; its received->on_scene (600 s) stands."""
    k = city.call("K", city.cr2, local(12, 9), local(12, 9, 5))
    city.tap(k, CallStatus.ON_SCENE, local(12, 9, 10))
    city.tap(k, CallStatus.EN_ROUTE, local(12, 9, 20))
    found = {stage: _times(v) for p, prog, stage, v in rows(lead, "response_times")
             if p == WEEK2 and prog == "community_response"}
    assert found["en_route_to_on_scene"] == (1, 540.0, 540.0, 0, 0, 1)
    assert found["received_to_on_scene"] == (2, 750.0, 870.0, 0, 0, 0)


def test_thefirst_state_times_in_sql_are_those_of_a_call_s_status_times(city: City) -> None:
    """The indicator's SQL picks each state's time by status_times' rule."""
    filters = services.Filters("week", date(2026, 11, 2), date(2026, 11, 15), ZONE)
    first = services.first_state_times(db.session(), filters)
    found = {row.call_id: row for row in db.session.execute(first.select())}
    for name in "ABCDI":
        call = city.calls[name]
        db.session.refresh(call)
        times = status_times(call.status_events)
        trusted = {s: t for s, t in times.times.items() if s not in times.uncertain}
        row = found[call.id]
        for state in ("dispatched", "en_route", "on_scene"):
            assert getattr(row, f"{state}_at") == trusted.get(state), (name, state)


def test_calls_diverted_from_police_and_the_officer_time_saved(app: Flask, lead: Session,
                                                               monkeypatch: Any) -> None:
    """Week 1: A, B (welfare checks) and D (trespass) went to community response; C went to
    co-response (an officer on the team) and G to nobody: not diverted. Week 2: I, and H
    resolved by phone. Welfare checks are configured at 30 minutes, trespass takes the
    default."""
    monkeypatch.setitem(app.config, "INDICATOR_OFFICER_MINUTES", {"welfare_check": 30})
    monkeypatch.setitem(app.config, "INDICATOR_OFFICER_MINUTES_DEFAULT", 45)
    assert rows(lead, "diversion") == [
        (WEEK1, "trespass", {"calls_diverted": 1, "officer_minutes_per_call": 45,
                             "officer_minutes_saved": 45}),
        (WEEK1, "welfare_check", {"calls_diverted": 2, "officer_minutes_per_call": 30,
                                  "officer_minutes_saved": 60}),
        (WEEK2, "welfare_check", {"calls_diverted": 2, "officer_minutes_per_call": 30,
                                  "officer_minutes_saved": 60}),
    ]


def test_felt_safe_police_requested_or_dispatched_and_debriefs(lead: Session) -> None:
    assert rows(lead, "responder_safety") == [
        (WEEK1, "co_response", {"surveys_answered": 1, "felt_safe": 1, "felt_safe_share": 1.0,
                                "police_requested_by_team": 0,
                                "police_dispatched_with_team": 1, "debrief_requests": 0}),
        (WEEK1, "community_response", {"surveys_answered": 3, "felt_safe": 2,
                                       "felt_safe_share": 0.6667,
                                       "police_requested_by_team": 1,
                                       "police_dispatched_with_team": 0,
                                       "debrief_requests": 1}),
    ]


def test_naloxone_administered_and_kits_distributed(lead: Session) -> None:
    assert rows(lead, "naloxone") == [
        (WEEK1, "community_response", {"naloxone_administrations": 1, "naloxone_doses": 2,
                                       "naloxone_kits_distributed": 3}),
        (WEEK2, "community_response", {"naloxone_administrations": 0, "naloxone_doses": 0,
                                       "naloxone_kits_distributed": 10}),
    ]
    # With a call type, the outreach kits (no call) are left out.
    assert rows(lead, "naloxone", RANGE + "&call_type=welfare_check") == [
        (WEEK1, "community_response", {"naloxone_administrations": 1, "naloxone_doses": 2,
                                       "naloxone_kits_distributed": 3})]


def test_the_json_keeps_small_counts_and_marks_them(lead: Session) -> None:
    body = lead.get(f"/api/v1/indicators/naloxone?{RANGE}").json
    assert [r["suppressed_in_exports"] for r in body["rows"]] == [True, False]
    assert body["suppressed_in_exports"] is True


@pytest.mark.parametrize("path", [f"/api/v1/indicators/naloxone.csv?{RANGE}",
                                  f"/api/v1/indicators/naloxone?{RANGE}&format=csv"])
def test_the_csv_export_suppresses_counts_under_five(lead: Session, path: str) -> None:
    """Week 1's 1 administration, 2 doses and 3 kits are <5; week 2's 0 and 10 are shown."""
    answer = lead.get(path)
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.get_data(as_text=True).splitlines() == [
        "period,program,naloxone_administrations,naloxone_doses,naloxone_kits_distributed",
        f"{WEEK1},community_response,<5,<5,<5",
        f"{WEEK2},community_response,0,0,10",
    ]


def test_a_share_or_time_from_a_small_count_is_left_empty_in_the_csv(lead: Session) -> None:
    lines = lead.get(f"/api/v1/indicators/response_times.csv?{RANGE}").get_data(as_text=True)
    assert lines.splitlines()[:2] == [
        "period,program,stage,calls_timed,median_seconds,p90_seconds,left_out_uncertain,"
        "left_out_missing,left_out_out_of_order",
        f"{WEEK1},co_response,received_to_dispatched,<5,,,0,0,0",
    ]
    diversion = lead.get(f"/api/v1/indicators/diversion.csv?{RANGE}").get_data(as_text=True)
    assert diversion.splitlines()[1] == f"{WEEK1},trespass,<5,43,"


def test_the_list_gives_every_indicator_with_its_definition(lead: Session) -> None:
    answer = lead.get("/api/v1/indicators")
    assert answer.status_code == 200
    assert [d["id"] for d in answer.json] == list(INDICATOR_IDS)
    assert all(d["definition"] == DEFINITIONS[d["id"]]["definition"] for d in answer.json)


@pytest.mark.parametrize("role", [Role.RESPONDER_CLINICIAN, Role.DISPATCHER, Role.ADMIN,
                                  Role.SUPPLY_MANAGER])
@pytest.mark.parametrize("path", ["/api/v1/indicators", "/api/v1/indicators/responses",
                                  "/api/v1/indicators/responses.csv"])
def test_only_the_program_lead_and_supervisors_read_indicators(
        app: Flask, signed_in: Callable[..., Session], role: Role, path: str) -> None:
    assert signed_in(role).get(path).status_code == 403
    assert signed_in(Role.SUPERVISOR).get(path).status_code == 200


@pytest.mark.parametrize(("query", "field"), [
    ("period=year", "period"), ("from=2026-11-10&to=2026-11-01", "to"),
    ("from=2024-01-01&to=2026-11-01", "to"), ("from=11/02/2026", "from"),
    ("call_type=no_such_type", "call_type"), ("format=xml", "format"),
    ("program=police", "program")])
def test_bad_queries_name_their_field(app: Flask, signed_in: Callable[..., Session],
                                      call_types: None, query: str, field: str) -> None:
    answer = signed_in(Role.PROGRAM_LEAD).get(f"/api/v1/indicators/responses?{query}")
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]["query"]


def test_an_unknown_indicator_is_404(app: Flask, signed_in: Callable[..., Session]) -> None:
    assert signed_in(Role.PROGRAM_LEAD).get("/api/v1/indicators/arrests").status_code == 404


def test_the_documentation_states_every_definition_as_the_api_does() -> None:
    text = " ".join(DOCS.read_text().split())
    assert " ".join(COMMON.split()) in text
    for indicator_id, definition in DEFINITIONS.items():
        assert f"`{indicator_id}`" in text
        assert " ".join(definition["definition"].split()) in text, indicator_id
        assert definition["title"] in text


def test_no_indicator_returns_free_text(lead: Session) -> None:
    """Groups are programs, stages, reasons, call types and destinations; never a narrative,
    a disposition or a survey comment."""
    for indicator in INDICATOR_IDS:
        body = lead.get(f"/api/v1/indicators/{indicator}?{RANGE}").json
        text = str(body["rows"])
        for secret in ("Caller worried", "Test Person", "responder_clinician"):
            assert secret not in text
