"""The dispatch queue: calls not cleared with their recommendation; assigning the recommended
unit, overriding it only with a reason; a diversion clinician resolving by phone; declining
with a reason code; the rules as data (hours); and who may do each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from server.auth.models import Role
from server.calls.models import Call
from server.dispatch.models import ProgramServiceRow
from server.extensions import db
from server.units.models import Program, Unit
from tests.fixtures.dispatch import cad_call
from tests.fixtures.dispatch import post_cad as post
from tests.fixtures.people import Session

QUEUE = "/api/v1/dispatch/queue"


def queued(session: Session) -> dict[str, Any]:
    answer = session.get(QUEUE)
    assert answer.status_code == 200, answer.json
    [item] = answer.json["items"]
    return dict(item)


def test_the_queue_shows_the_call_with_its_recommendation_and_reason(
        client: FlaskClient, cad_key: str, crews: tuple[Unit, Unit],
        signed_in: Callable[..., Session]) -> None:
    post(client, cad_key, cad_call())
    item = queued(signed_in(Role.DISPATCHER))
    assert item["eligible"] is True
    assert item["recommendation"]["call_sign"] == "HEART-1"
    assert item["recommendation"]["reason"].startswith("HEART-1 (community response)")
    assert item["source"] == "cad"


def test_assigning_the_recommended_unit_needs_no_reason_and_another_needs_one(
        client: FlaskClient, cad_key: str, crews: tuple[Unit, Unit],
        signed_in: Callable[..., Session]) -> None:
    near, far = crews
    post(client, cad_key, cad_call())
    post(client, cad_key, cad_call(incident_number="2026-000200"))
    dispatcher = signed_in(Role.DISPATCHER)
    items = dispatcher.get(QUEUE).json["items"]
    first, second = items[0]["id"], items[1]["id"]
    refused = dispatcher.post(f"/api/v1/dispatch/calls/{first}/assign", {"unit_id": far.id})
    assert refused.status_code == 422
    assert "override_reason" in refused.json["errors"]["json"]
    sent = dispatcher.post(f"/api/v1/dispatch/calls/{first}/assign", {"unit_id": near.id})
    assert sent.status_code == 200, sent.json
    assert (sent.json["call_sign"], sent.json["status"], sent.json["override_reason"]) == (
        "HEART-1", "dispatched", None)
    overridden = dispatcher.post(f"/api/v1/dispatch/calls/{second}/assign", {
        "unit_id": far.id, "override_reason": "HEART-2 knows the family"})
    assert overridden.status_code == 200, overridden.json
    assert overridden.json["override_reason"] == "HEART-2 knows the family"


def test_a_diversion_clinician_resolves_a_call_by_phone_and_it_is_counted(
        client: FlaskClient, cad_key: str, signed_in: Callable[..., Session]) -> None:
    post(client, cad_key, cad_call(call_type="mental_health_crisis"))
    clinician = signed_in(Role.DIVERSION_CLINICIAN)
    item = queued(clinician)
    done = clinician.post(f"/api/v1/dispatch/calls/{item['id']}/resolve-by-phone",
                          {"note": "Talked through; will call the warm line"})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["unserved_reason"]) == ("cleared", "resolved_by_phone")
    assert clinician.get(QUEUE).json["items"] == []
    dispatcher = signed_in(Role.DISPATCHER)
    assert dispatcher.post(f"/api/v1/dispatch/calls/{item['id']}/resolve-by-phone",
                           {"note": "x"}).status_code == 403


def test_declining_keeps_the_reason_code_and_refuses_an_unknown_one(
        client: FlaskClient, cad_key: str, signed_in: Callable[..., Session]) -> None:
    post(client, cad_key, cad_call())
    dispatcher = signed_in(Role.DISPATCHER)
    item = queued(dispatcher)
    url = f"/api/v1/dispatch/calls/{item['id']}/decline"
    bad = dispatcher.post(url, {"reason_code": "too_far"})
    assert bad.status_code == 422
    assert "reason_code" in bad.json["errors"]["json"]
    done = dispatcher.post(url, {"reason_code": "declined_by_team", "note": "crew on break"})
    assert done.status_code == 200
    assert done.json["unserved_reason"] == "declined_by_team"
    again = dispatcher.post(url, {"reason_code": "declined_by_team"})
    assert again.status_code == 409


def test_outside_the_programs_hours_an_eligible_call_falls_back_with_the_reason(
        app: Flask, client: FlaskClient, cad_key: str, crews: tuple[Unit, Unit]) -> None:
    # The pilot's hours: weekdays 07:00-19:00; the call comes on a Saturday night.
    for program in (Program.COMMUNITY_RESPONSE, Program.CO_RESPONSE):
        db.session.add(ProgramServiceRow(program=program, weekdays=[0, 1, 2, 3, 4],
                                         starts=time(7), ends=time(19),
                                         timezone="America/New_York", area_ids=["everywhere"]))
    db.session.commit()
    answer = post(client, cad_key, cad_call(received_at="2026-12-06T03:00:00Z"))
    assert answer.json["eligible"] is True
    assert answer.json["recommendation"]["reason_code"] == "outside_hours"
    call = db.session.scalar(sa.select(Call))
    assert call is not None
    assert call.unserved_reason == "outside_hours"


def test_only_dispatch_reads_the_queue(signed_in: Callable[..., Session]) -> None:
    for role in (Role.RESPONDER_EMT, Role.SUPPLY_MANAGER, Role.CARE_NAVIGATOR, Role.ADMIN):
        assert signed_in(role).get(QUEUE).status_code == 403
    for role in (Role.DISPATCHER, Role.DIVERSION_CLINICIAN, Role.SUPERVISOR):
        assert signed_in(role).get(QUEUE).status_code == 200


def test_a_pushs_status_taps_reach_dispatch_as_one_event_naming_the_calls(
        tablet: Callable[..., Any], create_call: Callable[..., Call]) -> None:
    from server.stream.models import StreamEvent

    device = tablet()
    first, second = create_call(device.unit), create_call(device.unit)
    answer = device.push([device.status(first, "en_route"), device.status(second, "en_route"),
                          device.status(first, "on_scene")])
    assert answer.status_code == 200
    events = list(db.session.scalars(sa.select(StreamEvent).where(
        StreamEvent.type == "call.status")))
    assert [sorted(e.payload["ids"]) for e in events] == [sorted([str(first.id), str(second.id)])]
    assert events[0].audience["roles"] == ["dispatcher", "diversion_clinician", "supervisor"]
    device.push([device.point()])  # a push with no status tap announces nothing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StreamEvent).where(
        StreamEvent.type == "call.status")) == 1
