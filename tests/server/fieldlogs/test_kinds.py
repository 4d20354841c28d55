"""The field logs' pure kinds: what a tablet may record, each bad field or bad combination
named, and nothing that could name the person served."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.fieldlogs.kinds import (
    HARM_REDUCTION_ENTRY,
    OUTREACH_CONTACT,
    POST_CALL_SURVEY,
    RECORD_KINDS,
)
from server.fieldlogs.models import HarmReductionEntry, OutreachContact, PostCallSurvey
from sync.registry import RecordKind, RecordType

CALL = str(uuid.uuid4())
CONTACT = str(uuid.uuid4())
NALOXONE = {"category": "naloxone_administered", "quantity": 2, "route": "intranasal",
            "response": "breathing_restored"}
ANSWERS = {"call_id": CALL, "felt_safe": "yes", "police_requested": "no", "debrief_wanted": "no"}


def errors(kind: RecordKind, data: dict[str, Any]) -> dict[str, list[str]]:
    return kind.check_data(data, "create")


@pytest.mark.parametrize("data", [
    NALOXONE,
    {**NALOXONE, "call_id": CALL, "item_id": 3, "lot_id": 7},
    {"category": "naloxone_kit", "quantity": 3, "contact_id": CONTACT},
    {"category": "syringes", "quantity": 100},
    {"category": "sharps_collected", "quantity": 12, "sharps_where": "behind the library",
     "sharps_disposal": "sharps_container"},
    {"category": "sharps_collected", "quantity": 1},
])
def test_harm_reduction_entries_a_crew_records_are_valid(data: dict[str, Any]) -> None:
    assert errors(HARM_REDUCTION_ENTRY, data) == {}


@pytest.mark.parametrize(("data", "field"), [
    ({"category": "naloxone_kit", "quantity": 1, "route": "intranasal"}, "route"),
    ({"category": "wound_care", "quantity": 1, "response": "no_response"}, "response"),
    ({**NALOXONE, "route": None}, "route"),
    ({k: v for k, v in NALOXONE.items() if k != "response"}, "response"),
    ({"category": "hygiene_kit", "quantity": 1, "sharps_where": "park"}, "sharps_where"),
    ({**NALOXONE, "sharps_disposal": "drop_box"}, "sharps_disposal"),
    ({"category": "sharps_collected", "quantity": 4, "item_id": 2}, "item_id"),
    ({"category": "sharps_collected", "quantity": 4, "lot_id": 2}, "lot_id"),
    ({**NALOXONE, "call_id": CALL, "contact_id": CONTACT}, "contact_id"),
    ({"category": "syringes", "quantity": 0}, "quantity"),
    ({"category": "syringes", "quantity": 1001}, "quantity"),
    ({"category": "syringes", "quantity": 1.5}, "quantity"),
    ({"category": "coffee", "quantity": 1}, "category"),
    ({**NALOXONE, "route": "oral"}, "route"),
    ({"quantity": 1}, "category"),
])
def test_a_bad_entry_is_refused_naming_the_field(data: dict[str, Any], field: str) -> None:
    assert field in errors(HARM_REDUCTION_ENTRY, data)


def test_an_entry_with_several_bad_combinations_names_each() -> None:
    data = {"category": "naloxone_kit", "quantity": 1, "route": "intranasal",
            "sharps_where": "park", "call_id": CALL, "contact_id": CONTACT}
    assert set(errors(HARM_REDUCTION_ENTRY, data)) == {"route", "sharps_where", "contact_id"}


@pytest.mark.parametrize("data", [
    ANSWERS,
    {**ANSWERS, "police_requested": "yes", "police_reason": "a weapon was shown",
     "debrief_wanted": "yes", "comment": "hard call"},
    {"call_id": CALL, "skipped_reason": "called straight to the next call"},
    {"call_id": CALL, "felt_safe": "no", "skipped_reason": "interrupted"},
])
def test_surveys_answered_or_skipped_with_a_reason_are_valid(data: dict[str, Any]) -> None:
    assert errors(POST_CALL_SURVEY, data) == {}


@pytest.mark.parametrize(("data", "fields"), [
    ({"call_id": CALL}, {"felt_safe", "police_requested", "debrief_wanted"}),
    ({**ANSWERS, "felt_safe": None}, {"felt_safe"}),
    ({**ANSWERS, "felt_safe": True}, {"felt_safe"}),
    ({**ANSWERS, "police_reason": "no reason"}, {"police_reason"}),
    ({"call_id": CALL, "skipped_reason": "   "}, {"skipped_reason"}),
    ({**ANSWERS, "call_id": None}, {"call_id"}),
    ({**ANSWERS, "comment": "x" * 1001}, {"comment"}),
])
def test_a_bad_survey_is_refused_naming_each_field(data: dict[str, Any], fields: set[str]) -> None:
    assert set(errors(POST_CALL_SURVEY, data)) == fields


@pytest.mark.parametrize(("data", "fields"), [
    ({}, set()),
    ({"lat": 35.99, "lon": -78.9, "place": "bus station", "note": "asked about shelter"}, set()),
    ({"lat": 35.99}, {"lon"}),
    ({"lon": -78.9}, {"lat"}),
    ({"lat": 91, "lon": 0}, {"lat"}),
    ({"place": "x" * 201}, {"place"}),
])
def test_outreach_contacts(data: dict[str, Any], fields: set[str]) -> None:
    assert set(errors(OUTREACH_CONTACT, data)) == fields


def test_field_logs_are_facts_with_their_clinical_text_marked() -> None:
    assert all(kind.kind is RecordType.FACT for kind in RECORD_KINDS)
    assert OUTREACH_CONTACT.clinical == ("note",)
    assert HARM_REDUCTION_ENTRY.clinical == ()
    assert set(POST_CALL_SURVEY.clinical) == {"police_reason", "comment"}


def _could_name_a_person(name: str) -> bool:
    return any(word in name for word in ("name", "person", "client", "dob", "birth", "phone"))


@pytest.mark.parametrize("kind", RECORD_KINDS, ids=lambda k: k.name)
def test_no_field_can_hold_the_name_of_the_person_served(kind: RecordKind) -> None:
    assert not [spec.name for spec in kind.fields if _could_name_a_person(spec.name)]
    assert errors(kind, {"client_name": "J. Doe"})["client_name"] == ["unknown field"]


@pytest.mark.parametrize("model", [OutreachContact, HarmReductionEntry, PostCallSurvey],
                         ids=lambda m: m.__tablename__)
def test_no_column_holds_the_person_served(model: type) -> None:
    columns = [c.name for c in model.__table__.columns]  # type: ignore[attr-defined]
    assert not [c for c in columns if _could_name_a_person(c)]
