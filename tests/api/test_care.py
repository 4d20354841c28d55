"""Care navigation through the API: a responder refers their unit's call, which puts its
person in care navigation; the navigator finds resources by need and distance, moves the
referral through its statuses (each kept), and works follow-ups due and overdue; supervisors
and the program lead read; nobody learns of a call that is not in care navigation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from server.auth.models import Role, User
from server.calls.models import Call
from server.care.models import CareResource, FollowUp, Referral
from server.dispositions.seed import CARE_REFERRAL
from server.extensions import db
from server.models_base import utcnow
from server.units.models import Program, Unit
from tests.fixtures.people import Session

CARE = "/api/v1/care"
# The default call's premise (tests/fixtures/calls.py).
PREMISE = (35.99, -78.9)


@pytest.fixture
def crew(create_unit: Callable[..., Unit], signed_in: Callable[..., Session]
         ) -> tuple[Unit, Session]:
    unit = create_unit()
    return unit, signed_in(Role.RESPONDER_EMT, unit=unit)


@pytest.fixture
def as_navigator(navigator: User, sign_in: Callable[..., Session]) -> Session:
    return sign_in(navigator)


@pytest.fixture
def referred_call(create_call: Callable[..., Call], create_referral: Callable[..., Referral],
                  crew: tuple[Unit, Session]) -> Call:
    call = create_call(crew[0], narrative="Neighbour has had no food for three days")
    create_referral(call, need="care navigation")
    return call


@pytest.fixture
def resources(create_resource: Callable[..., CareResource]) -> dict[str, CareResource]:
    """A pantry 1 km from the premise, a shelter 3 km, a pantry 40 km, a phone line nowhere."""
    lat, lon = PREMISE
    return {
        "near_pantry": create_resource(name="Emergency food pantry", categories=["Food pantries"],
                                       lat=lat + 0.009, lon=lon),
        "shelter": create_resource(name="Night shelter", categories=["Emergency shelter"],
                                   lat=lat - 0.027, lon=lon),
        "far_pantry": create_resource(name="Raleigh food pantry", categories=["Food pantries"],
                                      lat=lat + 0.36, lon=lon),
        "line": create_resource(name="Crisis line", description="Food and crisis help by phone",
                                categories=["Crisis intervention"]),
    }


def names(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.json
    return [r["name"] for r in answer.json]


# --- resource search ----------------------------------------------------------------------

def test_search_by_need_and_distance_is_nearest_first_within_the_radius(
        as_navigator: Session, resources: dict[str, CareResource]) -> None:
    lat, lon = PREMISE
    found = as_navigator.get(f"{CARE}/resources", query_string={
        "need": "food pantries", "lat": lat, "lon": lon, "radius_km": 50})
    assert names(found) == ["Emergency food pantry", "Raleigh food pantry"]
    assert 950 < found.json[0]["distance_m"] < 1050
    near = as_navigator.get(f"{CARE}/resources", query_string={
        "need": "food", "lat": lat, "lon": lon, "radius_km": 5})
    assert names(near) == ["Emergency food pantry"]  # the line has no place to measure from
    assert names(as_navigator.get(f"{CARE}/resources", query_string={"need": "FOOD"})) == [
        "Crisis line", "Emergency food pantry", "Raleigh food pantry"]


def test_a_need_is_words_not_patterns(as_navigator: Session,
                                     create_resource: Callable[..., CareResource]) -> None:
    create_resource(name="Rent help", description="Covers 100% of one month")
    create_resource(name="Food_bank")
    assert names(as_navigator.get(f"{CARE}/resources", query_string={"need": "100%"})) == [
        "Rent help"]
    assert names(as_navigator.get(f"{CARE}/resources", query_string={"need": "%"})) == ["Rent help"]
    assert names(as_navigator.get(f"{CARE}/resources", query_string={"need": "d_b"})) == [
        "Food_bank"]
    assert names(as_navigator.get(f"{CARE}/resources", query_string={"need": "rent month"})) == [
        "Rent help"]


def test_a_language_filter_keeps_the_resources_offered_in_it_by_name_or_code(
        as_navigator: Session, create_resource: Callable[..., CareResource]) -> None:
    create_resource(name="Clinica", languages=("Spanish", "English"), language_codes=("es", "en"),
                    hours=("Mon-Fri 09:00-17:00", "Sat 10:00-14:00"))
    create_resource(name="Pantry", languages=("English",), language_codes=("en",))
    create_resource(name="Pho kitchen", languages=("vi",), language_codes=("vi",))
    search = f"{CARE}/resources"
    assert names(as_navigator.get(search, query_string={"language": "spanish"})) == ["Clinica"]
    assert names(as_navigator.get(search, query_string={"language": "ES"})) == ["Clinica"]
    assert names(as_navigator.get(search, query_string={"language": "en"})) == ["Clinica", "Pantry"]
    assert names(as_navigator.get(search, query_string={"language": "span"})) == []  # whole names
    assert names(as_navigator.get(search, query_string={"language": "%"})) == []
    [clinic] = as_navigator.get(search, query_string={"language": "es"}).json
    assert clinic["languages"] == ["Spanish", "English"]
    assert clinic["hours"] == ["Mon-Fri 09:00-17:00", "Sat 10:00-14:00"]
    assert as_navigator.get(search, query_string={"language": ""}).status_code == 422


def test_search_is_paginated_with_the_count_in_the_header(
        as_navigator: Session, resources: dict[str, CareResource]) -> None:
    page = as_navigator.get(f"{CARE}/resources", query_string={"page": 2, "page_size": 3})
    assert names(page) == ["Raleigh food pantry"]
    assert json.loads(page.headers["X-Pagination"])["total"] == 4
    lat, lon = PREMISE
    near = as_navigator.get(f"{CARE}/resources", query_string={
        "lat": lat, "lon": lon, "radius_km": 50, "page": 2, "page_size": 2})
    assert names(near) == ["Raleigh food pantry"]  # nearest first: pantry, shelter, then this
    assert json.loads(near.headers["X-Pagination"])["total"] == 3


def test_search_from_a_calls_premise_needs_a_call_in_care_navigation(
        as_navigator: Session, resources: dict[str, CareResource], referred_call: Call,
        create_call: Callable[..., Call]) -> None:
    found = as_navigator.get(f"{CARE}/resources", query_string={
        "call_id": str(referred_call.id), "radius_km": 5})
    assert names(found) == ["Emergency food pantry", "Night shelter"]
    other = create_call()
    hidden = as_navigator.get(f"{CARE}/resources", query_string={"call_id": str(other.id)})
    assert hidden.status_code == 404


@pytest.mark.parametrize(("query", "named"), [
    ({"lat": 35.9}, "lon"), ({"lon": -78.9}, "lat"), ({"lat": 91, "lon": 0}, "lat"),
    ({"radius_km": 0}, "radius_km"), ({"radius_km": 201}, "radius_km"),
    ({"call_id": "not-a-uuid"}, "call_id"), ({"need": "x" * 121}, "need"),
])
def test_a_bad_search_is_422_naming_the_parameter(as_navigator: Session, query: dict[str, Any],
                                                 named: str) -> None:
    answer = as_navigator.get(f"{CARE}/resources", query_string=query)
    assert answer.status_code == 422
    assert named in answer.json["errors"]["query"]


# --- referrals: who makes them, and who sees the call -------------------------------------

def test_a_responders_referral_puts_their_calls_person_in_care_navigation(
        crew: tuple[Unit, Session], create_call: Callable[..., Call], as_navigator: Session) -> None:
    unit, responder = crew
    call = create_call(unit, narrative="Lives alone, asks for food help")
    assert as_navigator.get(f"{CARE}/calls/{call.id}").status_code == 404
    made = responder.post(f"{CARE}/referrals", {"call_id": str(call.id), "note": "Wants food"})
    assert made.status_code == 201, made.json
    assert (made.json["need"], made.json["status"]) == ("care navigation", "made")
    seen = as_navigator.get(f"{CARE}/calls/{call.id}")
    assert seen.status_code == 200
    assert seen.json["narrative"] == "Lives alone, asks for food help"
    assert as_navigator.get(f"/api/v1/calls/{call.id}").status_code == 403  # not the call screens
    listed = as_navigator.get(f"{CARE}/referrals").json["items"]
    assert [(r["call_id"], r["note"]) for r in listed] == [(str(call.id), "Wants food")]
    # Another unit's call: not theirs to refer, nor to learn of.
    elsewhere = create_call()
    refused = responder.post(f"{CARE}/referrals", {"call_id": str(elsewhere.id)})
    assert refused.status_code == 404
    assert "call_id" in refused.json["errors"]["json"]


def test_a_referral_sent_again_with_its_tablet_id_is_the_same_referral(
        crew: tuple[Unit, Session], create_call: Callable[..., Call],
        create_unit: Callable[..., Unit], signed_in: Callable[..., Session]) -> None:
    unit, responder = crew
    call = create_call(unit)
    body = {"id": str(uuid.uuid4()), "call_id": str(call.id), "need": "housing"}
    first, again = responder.post(f"{CARE}/referrals", body), responder.post(f"{CARE}/referrals", body)
    assert (first.status_code, again.status_code) == (201, 200), again.json
    assert again.json["id"] == first.json["id"] == body["id"]
    assert db.session.query(Referral).count() == 1
    other_call = create_call(unit)
    assert responder.post(f"{CARE}/referrals", {**body, "call_id": str(other_call.id)}
                          ).status_code == 409
    stranger = signed_in(Role.RESPONDER_EMT, unit=create_unit())
    assert stranger.post(f"{CARE}/referrals", body).status_code == 409  # not theirs to read


def test_a_referral_a_shared_tablet_queued_is_the_makers(
        create_unit: Callable[..., Unit], create_user: Callable[..., User],
        create_call: Callable[..., Call], sign_in: Callable[..., Session]) -> None:
    unit = create_unit()
    clinician = create_user(Role.RESPONDER_CLINICIAN, unit=unit)
    peer = create_user(Role.RESPONDER_PEER, unit=unit)
    tablet = sign_in(clinician)
    as_peer = sign_in(peer, device_id=tablet.device_id)
    call = create_call(unit)
    body = {"id": str(uuid.uuid4()), "call_id": str(call.id), "made_by": clinician.id}
    made = as_peer.post(f"{CARE}/referrals", body)
    assert made.status_code == 201, made.json
    assert db.session.get(Referral, uuid.UUID(body["id"])).created_by_id == clinician.id
    assert tablet.post(f"{CARE}/referrals", body).status_code == 200  # the maker's retry
    outsider = create_user(Role.RESPONDER_EMT, unit=create_unit())
    kept = as_peer.post(f"{CARE}/referrals", {**body, "id": str(uuid.uuid4()),
                                              "made_by": outsider.id})
    assert kept.status_code == 201
    assert db.session.get(Referral, uuid.UUID(kept.json["id"])).created_by_id == peer.id


def test_a_crews_disposition_referred_to_community_care_puts_the_call_in_care_navigation(
        crew: tuple[Unit, Session], create_call: Callable[..., Call], as_navigator: Session) -> None:
    unit, _ = crew
    call, other = create_call(unit), create_call(unit)
    call.disposition_code, other.disposition_code = CARE_REFERRAL, "resolved_on_scene"
    db.session.commit()
    assert as_navigator.get(f"{CARE}/calls/{call.id}").status_code == 200
    assert as_navigator.get(f"{CARE}/calls/{other.id}").status_code == 404


def test_a_call_sent_a_care_navigation_unit_is_in_care_navigation(
        create_unit: Callable[..., Unit], create_call: Callable[..., Call],
        as_navigator: Session) -> None:
    call = create_call(create_unit(Program.CARE_NAVIGATION))
    assert as_navigator.get(f"{CARE}/calls/{call.id}").status_code == 200


def test_a_navigator_refers_onward_to_a_resource_only_for_calls_in_care_navigation(
        as_navigator: Session, referred_call: Call, resources: dict[str, CareResource],
        create_call: Callable[..., Call]) -> None:
    pantry = resources["near_pantry"]
    made = as_navigator.post(f"{CARE}/referrals", {"call_id": str(referred_call.id),
                                                    "resource_id": pantry.id, "need": "food"})
    assert made.status_code == 201, made.json
    assert made.json["resource"]["name"] == "Emergency food pantry"
    other = create_call()
    assert as_navigator.post(f"{CARE}/referrals", {"call_id": str(other.id)}).status_code == 404
    unknown = as_navigator.post(f"{CARE}/referrals", {"call_id": str(referred_call.id),
                                                       "resource_id": 999_999})
    assert unknown.status_code == 422
    assert "resource_id" in unknown.json["errors"]["json"]


# --- the status course --------------------------------------------------------------------

def test_a_referral_moves_forward_each_status_kept_with_who_and_when(
        as_navigator: Session, referred_call: Call, create_referral: Callable[..., Referral],
        resources: dict[str, CareResource]) -> None:
    referral = create_referral(referred_call, resources["near_pantry"])
    url = f"{CARE}/referrals/{referral.id}/status"
    for status in ("accepted", "connected"):
        answer = as_navigator.post(url, {"status": status, "note": f"now {status}"})
        assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "connected"
    assert [(e["status"], e["by"]) for e in answer.json["events"]] == [
        ("made", "Chris Young"), ("accepted", "Chris Young"), ("connected", "Chris Young")]
    times = [e["at"] for e in answer.json["events"]]
    assert times == sorted(times)
    back = as_navigator.post(url, {"status": "accepted"})
    assert back.status_code == 409
    assert "status" in back.json["errors"]["json"]
    assert as_navigator.post(url, {"status": "closed"}).status_code == 200
    assert as_navigator.post(url, {"status": "closed"}).status_code == 409


def test_a_referral_skips_straight_to_connected_or_closed(
        as_navigator: Session, referred_call: Call, create_referral: Callable[..., Referral]) -> None:
    referral = create_referral(referred_call)
    answer = as_navigator.post(f"{CARE}/referrals/{referral.id}/status", {"status": "connected"})
    assert answer.status_code == 200
    filtered = as_navigator.get(f"{CARE}/referrals", query_string={"status": "connected"})
    assert [r["id"] for r in filtered.json["items"]] == [str(referral.id)]
    made = as_navigator.get(f"{CARE}/referrals", query_string={"status": "made"}).json["items"]
    assert str(referral.id) not in {r["id"] for r in made}
    assert {r["status"] for r in made} == {"made"}  # the call's first referral, still made


def test_the_program_lead_reads_referrals_without_notes_or_addresses(
        signed_in: Callable[..., Session], referred_call: Call,
        create_referral: Callable[..., Referral]) -> None:
    referral = create_referral(referred_call, note="Afraid of losing the flat")
    lead, supervisor = signed_in(Role.PROGRAM_LEAD), signed_in(Role.SUPERVISOR)
    as_lead = {r["id"]: r for r in lead.get(f"{CARE}/referrals").json["items"]}[str(referral.id)]
    assert (as_lead["note"], as_lead["address"]) == (None, None)
    assert {e["note"] for e in as_lead["events"]} == {None}
    as_supervisor = {r["id"]: r for r in supervisor.get(f"{CARE}/referrals").json["items"]}
    assert as_supervisor[str(referral.id)]["note"] == "Afraid of losing the flat"
    assert lead.get(f"{CARE}/calls/{referred_call.id}").status_code == 403
    assert lead.post(f"{CARE}/referrals/{referral.id}/status",
                     {"status": "accepted"}).status_code == 403


def test_an_unknown_referral_is_404(as_navigator: Session) -> None:
    answer = as_navigator.post(f"{CARE}/referrals/00000000-0000-4000-8000-000000000001/status",
                               {"status": "accepted"})
    assert answer.status_code == 404


# --- follow-ups -----------------------------------------------------------------------------

def test_follow_ups_due_and_overdue_then_done_with_an_outcome(
        as_navigator: Session, referred_call: Call, create_follow_up: Callable[..., FollowUp],
        create_referral: Callable[..., Referral]) -> None:
    referral = create_referral(referred_call)
    made = as_navigator.post(f"{CARE}/follow-ups", {
        "call_id": str(referred_call.id), "referral_id": str(referral.id),
        "due_at": (utcnow() + timedelta(days=2)).isoformat(), "note": "Call back Thursday"})
    assert made.status_code == 201, made.json
    assert (made.json["assigned_to"], made.json["overdue"]) == ("Chris Young", False)
    late = create_follow_up(referred_call, due_in=timedelta(hours=-3))
    due = as_navigator.get(f"{CARE}/follow-ups").json["items"]
    assert [t["id"] for t in due] == [late.id, made.json["id"]]  # soonest due first
    overdue = as_navigator.get(f"{CARE}/follow-ups", query_string={"overdue": "true"})
    assert [t["id"] for t in overdue.json["items"]] == [late.id]
    done = as_navigator.post(f"{CARE}/follow-ups/{late.id}/done", {"outcome": "Reached; food "
                                                                    "bank visit Monday"})
    assert done.status_code == 200
    assert done.json["done_at"] is not None
    assert done.json["done_by"] == "Chris Young"
    assert as_navigator.post(f"{CARE}/follow-ups/{late.id}/done",
                             {"outcome": "again"}).status_code == 409
    assert [t["id"] for t in as_navigator.get(f"{CARE}/follow-ups").json["items"]] == [
        made.json["id"]]
    with_done = as_navigator.get(f"{CARE}/follow-ups", query_string={"include_done": "true"})
    assert len(with_done.json["items"]) == 2


def test_a_navigator_sees_their_own_follow_ups_unless_asking_for_everyones(
        as_navigator: Session, referred_call: Call, create_follow_up: Callable[..., FollowUp],
        create_user: Callable[..., User]) -> None:
    colleague = create_user(Role.CARE_NAVIGATOR)
    mine, theirs = create_follow_up(referred_call), create_follow_up(referred_call,
                                                                     assigned_to=colleague)
    assert [t["id"] for t in as_navigator.get(f"{CARE}/follow-ups").json["items"]] == [mine.id]
    everyone = as_navigator.get(f"{CARE}/follow-ups", query_string={"everyone": "true"})
    assert {t["id"] for t in everyone.json["items"]} == {mine.id, theirs.id}


@pytest.mark.parametrize(("change", "named", "status"), [
    ({"assigned_to_id": "dispatcher"}, "assigned_to_id", 422),
    ({"referral_id": "other call's"}, "referral_id", 422),
    ({"call_id": "not in care navigation"}, "call_id", 404),
    ({"due_at": "tomorrow"}, "due_at", 422),
])
def test_a_follow_up_that_cannot_be_made_names_its_field(
        as_navigator: Session, referred_call: Call, create_call: Callable[..., Call],
        create_referral: Callable[..., Referral], create_user: Callable[..., User],
        change: dict[str, str], named: str, status: int) -> None:
    other = create_call()
    body: dict[str, Any] = {"call_id": str(referred_call.id),
                            "due_at": (utcnow() + timedelta(days=1)).isoformat()}
    values = {"dispatcher": create_user(Role.DISPATCHER).id,
              "other call's": str(create_referral(create_call()).id),
              "not in care navigation": str(other.id), "tomorrow": "tomorrow"}
    body.update({field: values[v] for field, v in change.items()})
    answer = as_navigator.post(f"{CARE}/follow-ups", body)
    assert answer.status_code == status, answer.json
    assert named in answer.json["errors"]["json"]
