"""A crew asks for backup from the tablet: one request per press whatever the retries, the
unit from the signed-in crew, the position the tablet's or the unit's last known; the people
who send help acknowledge and close it, and every step is logged and published."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from server.audit.models import AuditEntry
from server.auth.models import Role, User
from server.backups.models import BackupEvent
from server.calls.models import Call
from server.extensions import db
from server.stream.audience import Audience
from server.units.models import Unit
from tests.fixtures.backups import EIGHT_KM_AWAY, HERE, backup_body, published, unit_of
from tests.fixtures.people import Session

Crew = Callable[..., Session]


def test_a_press_makes_one_request_for_the_crews_unit_and_tells_who_sends_help(
        crew: Crew) -> None:
    tablet, near, far = crew(), crew(HERE), crew(EIGHT_KM_AWAY)
    answer = tablet.post("/api/v1/backups", backup_body(note="Man with a knife"))
    assert answer.status_code == 201, answer.json
    request = answer.json
    assert request["unit_id"] == unit_of(tablet)
    assert request["requested_by"] == {"id": tablet.user.id, "name": tablet.user.full_name}
    assert (request["state"], request["tier"], request["tier_name"]) == ("open", 0, "alert")
    assert request["position"]["source"] == "device"
    assert request["next_escalation_at"] is not None
    [event] = published("backup.requested")
    assert event.subject == f"backup:{request['id']}"
    assert event.payload == request
    audience = Audience.from_json(event.audience)
    assert audience.roles == {"supervisor", "dispatcher"}
    assert audience.units == {unit_of(tablet), unit_of(near)}
    assert unit_of(far) not in audience.units
    assert [e.type for e in db.session.query(BackupEvent)] == ["requested"]
    assert db.session.query(AuditEntry).filter_by(action="backup_requested").count() == 1


def test_a_double_press_or_a_retry_is_one_request(crew: Crew) -> None:
    tablet = crew()
    body = backup_body()
    first = tablet.post("/api/v1/backups", body)
    again = tablet.post("/api/v1/backups", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert len(published("backup.requested")) == 1


def test_a_press_on_a_call_carries_its_number_and_address(
        crew: Crew, create_call: Callable[..., Call]) -> None:
    tablet = crew()
    call = create_call(db.session.get(Unit, unit_of(tablet)), address="12 Elm St, Durham NC")
    request = tablet.post("/api/v1/backups", backup_body(call_id=str(call.id))).json
    assert (request["cad_number"], request["address"]) == (call.cad_number, "12 Elm St, Durham NC")
    assert request["call_sign"] == db.session.get(Unit, unit_of(tablet)).call_sign
    assert crew().post("/api/v1/backups", backup_body(call_id=str(call.id))).status_code == 422


def test_a_retry_after_the_call_moved_to_another_unit_is_answered_with_its_request(
        crew: Crew, create_call: Callable[..., Call]) -> None:
    tablet, other = crew(), crew()
    call = create_call(db.session.get(Unit, unit_of(tablet)))
    body = backup_body(call_id=str(call.id))
    first = tablet.post("/api/v1/backups", body)
    assert first.status_code == 201, first.json
    call.unit_id = unit_of(other)  # dispatch moved the call while the answer was lost
    db.session.commit()
    again = tablet.post("/api/v1/backups", body)
    assert again.status_code == 200, again.json
    assert again.json["id"] == first.json["id"]
    assert len(published("backup.requested")) == 1
    assert other.post("/api/v1/backups", body).status_code == 409


def test_another_units_press_with_the_same_id_is_refused(crew: Crew) -> None:
    body = backup_body()
    assert crew().post("/api/v1/backups", body).status_code == 201
    assert crew().post("/api/v1/backups", body).status_code == 409


def test_without_a_position_the_units_last_known_one_is_used(crew: Crew) -> None:
    request = crew(EIGHT_KM_AWAY).post("/api/v1/backups", backup_body(position=None)).json
    assert request["position"]["source"] == "last_known"
    assert (request["position"]["lat"], request["position"]["lon"]) == EIGHT_KM_AWAY
    assert crew(None).post("/api/v1/backups", backup_body(position=None)).json["position"] is None


def test_a_responder_off_shift_cannot_ask(signed_in: Callable[..., Session]) -> None:
    assert signed_in(Role.RESPONDER_PEER).post("/api/v1/backups",
                                               backup_body()).status_code == 403


def test_the_first_acknowledgement_stands(crew: Crew, signed_in: Callable[..., Session]) -> None:
    request = crew().post("/api/v1/backups", backup_body()).json
    dispatcher, supervisor = signed_in(Role.DISPATCHER), signed_in(Role.SUPERVISOR)
    url = f"/api/v1/backups/{request['id']}/acknowledge"
    first = dispatcher.post(url, {})
    later = supervisor.post(url, {})
    assert (first.status_code, later.status_code) == (200, 200)
    assert later.json["acknowledged_by"]["id"] == dispatcher.user.id
    assert later.json["state"] == "acknowledged"
    assert later.json["next_escalation_at"] is None
    assert len(published("backup.acknowledged")) == 1


def test_cancel_and_resolve_need_a_reason_and_close_once(
        crew: Crew, signed_in: Callable[..., Session]) -> None:
    tablet = crew()
    first = tablet.post("/api/v1/backups", backup_body()).json
    second = tablet.post("/api/v1/backups", backup_body()).json
    for path in ("cancel", "resolve"):
        who = tablet if path == "cancel" else signed_in(Role.SUPERVISOR)
        for body in ({}, {"reason": ""}, {"reason": "x" * 301}):
            answer = who.post(f"/api/v1/backups/{first['id']}/{path}", body)
            assert answer.status_code == 422
            assert "reason" in answer.json["errors"]["json"]
    cancelled = tablet.post(f"/api/v1/backups/{first['id']}/cancel", {"reason": "Calmed down"})
    assert cancelled.status_code == 200
    assert (cancelled.json["state"], cancelled.json["close_reason"]) == ("cancelled", "Calmed down")
    supervisor = signed_in(Role.SUPERVISOR)
    resolved = supervisor.post(f"/api/v1/backups/{second['id']}/resolve",
                               {"reason": "CORE-1 arrived"})
    assert resolved.json["closed_by"]["id"] == supervisor.user.id
    again = supervisor.post(f"/api/v1/backups/{first['id']}/resolve", {"reason": "again"})
    assert again.status_code == 409
    assert [e.type for e in published("backup.cancelled")] == ["backup.cancelled"]
    assert [e.type for e in published("backup.resolved")] == ["backup.resolved"]
    detail = supervisor.get(f"/api/v1/backups/{first['id']}").json
    assert [e["type"] for e in detail["events"]] == ["requested", "cancelled"]
    assert detail["events"][1]["detail"] == {"reason": "Calmed down"}
    assert detail["events"][1]["actor"]["id"] == tablet.user.id


def test_who_reads_and_closes_which_requests(crew: Crew, signed_in: Callable[..., Session]
                                            ) -> None:
    mine, other = crew(), crew()
    request = mine.post("/api/v1/backups", backup_body()).json
    url = f"/api/v1/backups/{request['id']}"
    assert mine.get(url).status_code == 200
    assert other.get(url).status_code == 404
    assert other.post(f"{url}/cancel", {"reason": "no"}).status_code == 404
    assert other.get("/api/v1/backups").json == {"items": [], "total": 0}
    assert mine.get("/api/v1/backups").json["total"] == 1
    assert mine.post(f"{url}/acknowledge", {}).status_code == 403
    assert mine.post(f"{url}/resolve", {"reason": "ok"}).status_code == 403
    for role in (Role.DISPATCHER, Role.SUPERVISOR, Role.DIVERSION_CLINICIAN):
        assert signed_in(role).get(url).status_code == 200
    assert signed_in(Role.DIVERSION_CLINICIAN).post(f"{url}/acknowledge", {}).status_code == 403
    for role in (Role.ADMIN, Role.SUPPLY_MANAGER, Role.PROGRAM_LEAD):
        reader = signed_in(role)
        assert reader.get(url).status_code == 403
        assert reader.post("/api/v1/backups", backup_body()).status_code == 403
    assert signed_in(Role.DISPATCHER).post("/api/v1/backups", backup_body()).status_code == 403
    assert signed_in(Role.DISPATCHER).post(f"{url}/cancel", {"reason": "dup"}).status_code == 200


def test_lists_open_and_closed_newest_first(crew: Crew, signed_in: Callable[..., Session]
                                           ) -> None:
    tablet = crew()
    older = tablet.post("/api/v1/backups", backup_body()).json
    newer = tablet.post("/api/v1/backups", backup_body()).json
    tablet.post(f"/api/v1/backups/{older['id']}/cancel", {"reason": "fine"})
    dispatcher = signed_in(Role.DISPATCHER)
    assert [r["id"] for r in dispatcher.get("/api/v1/backups").json["items"]] == [newer["id"]]
    assert [r["id"] for r in dispatcher.get("/api/v1/backups?state=closed").json["items"]] == [
        older["id"]]
    assert dispatcher.get("/api/v1/backups?state=all").json["total"] == 2
    assert dispatcher.get("/api/v1/backups?state=maybe").status_code == 422


@pytest.mark.parametrize(("change", "field"), [
    ({"id": "not-a-uuid"}, "id"),
    ({"urgency": "whenever"}, "urgency"),
    ({"device_time": "yesterday"}, "device_time"),
    ({"note": "x" * 301}, "note"),
    ({"note": "a\u0000b"}, "note"),
    ({"call_id": str(uuid.uuid4())}, "call_id"),
    ({"position": {"lat": 91, "lon": 0, "recorded_at": "2026-12-01T10:00:00Z"}}, "position"),
    ({"position": {"lat": 1e400, "lon": 0, "recorded_at": "2026-12-01T10:00:00Z"}}, "position"),
    ({"position": {"lat": 10, "lon": 10, "accuracy_m": 1e308,
                   "recorded_at": "2026-12-01T10:00:00Z"}}, "position"),
    ({"position": "here"}, "position"),
])
def test_bad_input_is_422_naming_the_field(crew: Crew, change: dict[str, Any], field: str
                                          ) -> None:
    answer = crew().post("/api/v1/backups", backup_body(**change))
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]["json"]
    assert published() == []


def test_bad_bytes_and_missing_fields_are_refused(crew: Crew, app: Flask) -> None:
    tablet = crew()
    garbled = tablet.client.post("/api/v1/backups", data=b"\xff\xfe{", headers={
        **tablet.headers, "Content-Type": "application/json"})
    assert garbled.status_code == 400
    missing = tablet.post("/api/v1/backups", {})
    assert missing.status_code == 422
    assert {"id", "urgency", "device_time"} <= set(missing.json["errors"]["json"])


# --- a tablet the crew shares -----------------------------------------------------------------

def test_a_press_queued_by_the_clinician_and_sent_by_the_peer_is_the_clinicians(
        create_unit: Callable[..., Unit], create_user: Callable[..., User],
        sign_in: Callable[..., Session]) -> None:
    unit = create_unit()
    clinician = create_user(Role.RESPONDER_CLINICIAN, unit=unit)
    peer = create_user(Role.RESPONDER_PEER, unit=unit)
    tablet = sign_in(clinician)
    as_peer = sign_in(peer, device_id=tablet.device_id)  # the clinician locked, the peer unlocked
    answer = as_peer.post("/api/v1/backups", backup_body(pressed_by=clinician.id))
    assert answer.status_code == 201, answer.json
    assert answer.json["requested_by"] == {"id": clinician.id, "name": clinician.full_name}
    [event] = db.session.query(BackupEvent).all()
    assert (event.actor_id, event.detail["sent_by"]) == (clinician.id, peer.id)
    [audit] = db.session.query(AuditEntry).filter_by(action="backup_requested").all()
    assert audit.actor_id == clinician.id


def test_a_press_naming_someone_who_may_not_be_credited_is_kept_for_the_sender(
        create_unit: Callable[..., Unit], create_user: Callable[..., User],
        sign_in: Callable[..., Session]) -> None:
    unit, other_unit = create_unit(), create_unit()
    peer = create_user(Role.RESPONDER_PEER, unit=unit)
    never_here = create_user(Role.RESPONDER_EMT, unit=unit)  # on the crew, not on this tablet
    elsewhere = create_user(Role.RESPONDER_EMT, unit=other_unit)  # neither
    tablet = sign_in(peer)
    for named in (never_here.id, elsewhere.id, 2**31 - 1):
        answer = tablet.post("/api/v1/backups", backup_body(pressed_by=named))
        assert answer.status_code == 201, answer.json
        assert answer.json["requested_by"]["id"] == peer.id
        event = db.session.query(BackupEvent).filter_by(
            request_id=uuid.UUID(answer.json["id"])).one()
        assert event.detail["pressed_by_not_credited"] == named
    assert tablet.post("/api/v1/backups", backup_body(pressed_by="1")).status_code == 422
    assert tablet.post("/api/v1/backups", backup_body(pressed_by=0)).status_code == 422
