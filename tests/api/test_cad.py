"""The CAD's interface: a call posted with an integration's key is stored once by incident
number and triaged; a resend changes nothing; an update to an open call is applied and fed to
its unit's tablet; a cleared call is left as it was; an unknown call type is kept unmapped
until an admin maps it; bad input names each bad field and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from server.auth.models import Role, User
from server.cad.models import CadCallTypeMap
from server.calls.models import Call, CallStatus
from server.extensions import db
from server.sync.models import ChangeLogEntry
from server.units.models import Program, Unit
from tests.fixtures.dispatch import CAD, cad_call, place
from tests.fixtures.dispatch import post_cad as post
from tests.fixtures.people import Session


def calls() -> list[Call]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Call)))


def test_a_cad_call_is_stored_triaged_and_its_resend_changes_nothing(
        client: FlaskClient, cad_key: str) -> None:
    first = post(client, cad_key, cad_call())
    assert first.status_code == 201, first.json
    assert first.json["outcome"] == "created"
    assert first.json["eligible"] is True
    again = post(client, cad_key, cad_call())
    assert (again.status_code, again.json["outcome"]) == (200, "unchanged")
    [call] = calls()
    assert call.source == "cad"
    assert call.eligible_programs == ["community_response", "co_response"]
    assert call.cad_fields == {"reasons": ["welfare"], "caller_answers": {"breathing": "unknown"},
                               "extra": {"beat": "D2"}}
    # No unit on shift: an eligible call not served, with its reason.
    assert call.unserved_reason == "no_unit_on_shift"
    assert first.json["recommendation"]["response"] == "police"


def test_a_weapon_flag_sends_an_eligible_call_to_co_response(
        client: FlaskClient, cad_key: str) -> None:
    answer = post(client, cad_key, cad_call(weapon=True))
    assert answer.status_code == 201
    [call] = calls()
    assert call.eligible_programs == ["co_response"]
    assert call.reason_code == "safety"


def test_an_update_to_an_open_assigned_call_reaches_its_unit(
        client: FlaskClient, cad_key: str, create_unit: Callable[..., Unit]) -> None:
    post(client, cad_key, cad_call())
    unit = create_unit()
    [call] = calls()
    call.unit_id, call.status = unit.id, CallStatus.DISPATCHED
    db.session.commit()
    fed_before = db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry))
    answer = post(client, cad_key, cad_call(narrative="Caller says he is on the porch now",
                                            priority=2))
    assert (answer.status_code, answer.json["outcome"]) == (200, "updated")
    [call] = calls()
    assert (call.narrative, call.priority, call.version) == (
        "Caller says he is on the porch now", 2, 2)
    assert call.cad_updated_at is not None
    fed_after = db.session.scalar(sa.select(sa.func.count()).select_from(ChangeLogEntry))
    assert fed_after == (fed_before or 0) + 1


def test_a_cleared_call_is_left_as_it_was(client: FlaskClient, cad_key: str) -> None:
    post(client, cad_key, cad_call())
    [call] = calls()
    call.status = CallStatus.CLEARED
    db.session.commit()
    answer = post(client, cad_key, cad_call(narrative="late addendum"))
    assert answer.json["outcome"] == "closed"
    assert calls()[0].narrative == "Neighbour not seen for two days"


def test_an_unknown_call_type_is_kept_unmapped_until_an_admin_maps_it(
        client: FlaskClient, cad_key: str, signed_in: Callable[..., Session]) -> None:
    answer = post(client, cad_key, cad_call(call_type="WELCHK-2"))
    assert answer.status_code == 201
    assert answer.json["unmapped"] is True
    assert answer.json["eligible"] is False
    admin = signed_in(Role.ADMIN)
    listed = admin.get("/api/v1/cad/call-types/unmapped").json["items"]
    assert [(i["cad_code"], i["calls_seen"]) for i in listed] == [("WELCHK-2", 1)]
    mapped = admin.client.put(f"/api/v1/cad/call-types/{listed[0]['id']}",
                              json={"call_type": "welfare_check"}, headers=admin.headers)
    assert mapped.status_code == 200, mapped.json
    assert mapped.json["calls_moved"] == 1
    [call] = calls()
    assert (call.call_type.code, call.eligible) == ("welfare_check", True)
    assert admin.get("/api/v1/cad/call-types/unmapped").json["items"] == []
    # The next call of that code maps at once.
    post(client, cad_key, cad_call(incident_number="2026-000124", call_type="WELCHK-2"))
    assert {c.call_type.code for c in calls()} == {"welfare_check"}


def test_mapping_to_an_unknown_call_type_is_refused_naming_it(
        client: FlaskClient, cad_key: str, signed_in: Callable[..., Session]) -> None:
    post(client, cad_key, cad_call(call_type="ZZZ"))
    admin = signed_in(Role.ADMIN)
    row = db.session.scalar(sa.select(CadCallTypeMap))
    assert row is not None
    answer = admin.client.put(f"/api/v1/cad/call-types/{row.id}", json={"call_type": "nope"},
                              headers=admin.headers)
    assert answer.status_code == 422
    assert "call_type" in answer.json["errors"]["json"]


def test_a_cad_code_equal_to_one_of_ours_maps_itself(client: FlaskClient, cad_key: str) -> None:
    answer = post(client, cad_key, cad_call(call_type="WELFARE_CHECK"))
    assert answer.json["unmapped"] is False
    assert calls()[0].call_type.code == "welfare_check"


def test_without_a_key_or_with_a_wrong_one_nothing_is_stored(
        client: FlaskClient, cad_key: str) -> None:
    for headers in ({}, {"X-CAD-Key": "cad_wrong"}, {"X-CAD-Key": cad_key[:-1]}):
        answer = client.post(CAD, json=cad_call(), headers=headers)
        assert answer.status_code == 401
        assert answer.json["action"] == "configure"
    assert calls() == []


def test_a_deactivated_integration_is_refused(client: FlaskClient, cad_key: str) -> None:
    from server.cad.models import CadIntegration

    integration = db.session.scalar(sa.select(CadIntegration))
    assert integration is not None
    integration.active = False
    db.session.commit()
    assert post(client, cad_key, cad_call()).status_code == 401


@pytest.mark.parametrize(("field", "value"), [
    ("incident_number", ""), ("received_at", "2026-12-02T14:05:00"), ("lat", 91),
    ("priority", 9), ("call_type", None), ("narrative", "bad\x00byte"), ("weapon", "yes"),
    ("caller_answers", {"q": 1}), ("reasons", "one"),
])
def test_bad_input_names_the_field_and_writes_nothing(
        client: FlaskClient, cad_key: str, field: str, value: Any) -> None:
    answer = post(client, cad_key, cad_call(**{field: value}))
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]["json"]
    assert calls() == []


def test_a_call_without_coordinates_is_kept_and_only_diversion_could_take_it_by_phone(
        client: FlaskClient, cad_key: str) -> None:
    answer = post(client, cad_key, cad_call(call_type="mental_health_crisis", lat=None, lon=None))
    assert answer.status_code == 201
    [call] = calls()
    assert call.premise.lat is None
    assert call.eligible


def test_the_recommendation_names_the_nearest_available_unit_with_a_valid_crew(
        client: FlaskClient, cad_key: str, create_unit: Callable[..., Unit],
        create_user: Callable[..., User]) -> None:
    near, far = create_unit(Program.COMMUNITY_RESPONSE, "HEART-1"), create_unit(
        Program.COMMUNITY_RESPONSE, "HEART-2")
    for unit in (near, far):
        create_user(Role.RESPONDER_CLINICIAN, unit=unit)
        create_user(Role.RESPONDER_PEER, unit=unit)
    alone = create_unit(Program.COMMUNITY_RESPONSE, "HEART-3")
    create_user(Role.RESPONDER_CLINICIAN, unit=alone)  # one person: never sent
    place(near, 35.995, -78.900)
    place(far, 36.05, -78.95)
    place(alone, 35.994, -78.899)
    answer = post(client, cad_key, cad_call())
    recommendation = answer.json["recommendation"]
    assert (recommendation["response"], recommendation["call_sign"]) == (
        "community_response", "HEART-1")
    assert "HEART-1" in recommendation["reason"]
    assert recommendation["reason_code"] is None
