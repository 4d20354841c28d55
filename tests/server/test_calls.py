"""Dispatch scenarios: taking calls in, assigning, reassigning, cancelling, the audit trail of
clinical fields, who may read a call, and who may edit call types and their eligibility."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.auth.models import Role
from server.calls.models import Call, CallStatus, CallType
from server.extensions import db
from server.models_base import utcnow
from server.units.models import Program, Shift, Unit
from tests.fixtures.people import Session

NEW_CALL = {"cad_number": "C-100", "call_type": "welfare_check", "address": "12 Alston Ave",
            "lat": 35.98, "lon": -78.88, "narrative": "Man pacing in traffic, talking to himself."}


def stored_call(call_id: Any) -> Call:
    db.session.expire_all()
    call = db.session.get(Call, uuid.UUID(str(call_id)))
    assert call is not None
    return call


def audit_entries(call_id: Any) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).where(AuditEntry.entity_id == str(call_id)).order_by(AuditEntry.id)
    return list(db.session.scalars(stmt))


def test_dispatcher_takes_a_call_in_unassigned_and_it_is_audited(
        call_types: None, signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    response = dispatcher.post("/api/v1/calls", json=NEW_CALL)
    assert response.status_code == 201
    call = stored_call(response.json["id"])
    assert call.status == CallStatus.RECEIVED
    assert call.unit_id is None
    assert call.dispatched_at is None
    assert call.premise.address == "12 Alston Ave"
    [entry] = audit_entries(call.id)
    assert entry.action == "create"
    assert entry.actor_id == dispatcher.user.id
    assert str(entry.device_id) == dispatcher.device_id
    assert entry.at is not None
    assert entry.before is None
    assert entry.after == {"narrative": NEW_CALL["narrative"], "disposition": None,
                           "disposition_code": None, "transport_destination": None}


def test_dispatcher_assigns_then_reassigns_a_call_and_only_the_current_unit_can_read_it(
        create_call: Callable[..., Call], create_unit: Callable[..., Unit],
        signed_in: Callable[..., Session]) -> None:
    first, second = create_unit(), create_unit()
    first_crew, second_crew = signed_in(Role.RESPONDER_EMT, first), signed_in(Role.RESPONDER_PEER, second)
    dispatcher = signed_in(Role.DISPATCHER)
    call = create_call()

    assigned = dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": first.id})
    assert assigned.status_code == 200
    stored = stored_call(call.id)
    assert (stored.unit_id, stored.status) == (first.id, CallStatus.DISPATCHED)
    assert stored.dispatched_at is not None
    assert first_crew.get(f"/api/v1/calls/{call.id}").status_code == 200
    assert second_crew.get(f"/api/v1/calls/{call.id}").status_code == 403

    reassigned = dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": second.id})
    assert reassigned.status_code == 200
    assert stored_call(call.id).unit_id == second.id
    assert first_crew.get(f"/api/v1/calls/{call.id}").status_code == 403
    assert second_crew.get(f"/api/v1/calls/{call.id}").status_code == 200


def test_assigning_to_a_unit_that_does_not_exist_is_422_and_changes_nothing(
        create_call: Callable[..., Call], signed_in: Callable[..., Session]) -> None:
    call = create_call()
    response = signed_in(Role.DISPATCHER).patch(f"/api/v1/calls/{call.id}",
                                                json={"unit_id": 9999, "narrative": "changed"})
    assert response.status_code == 422
    assert "unit_id" in response.json["errors"]["json"]
    stored = stored_call(call.id)
    assert (stored.unit_id, stored.narrative, stored.version) == (None, call.narrative, 1)


def test_dispatcher_cancels_a_call_leaving_an_audited_tombstone(
        create_call: Callable[..., Call], signed_in: Callable[..., Session]) -> None:
    call = create_call(narrative="Caller worried about a neighbor.")
    dispatcher = signed_in(Role.DISPATCHER)
    assert dispatcher.delete(f"/api/v1/calls/{call.id}").status_code == 204
    stored = stored_call(call.id)
    assert stored.deleted_at is not None
    assert stored.version == 2
    assert dispatcher.get(f"/api/v1/calls/{call.id}").status_code == 404
    assert dispatcher.delete(f"/api/v1/calls/{call.id}").status_code == 404
    listed = dispatcher.get("/api/v1/calls").json
    assert str(call.id) not in {c["id"] for c in listed}
    deleted = audit_entries(call.id)[-1]
    assert deleted.action == "delete"
    assert deleted.actor_id == dispatcher.user.id
    assert str(deleted.device_id) == dispatcher.device_id
    assert deleted.before == {"narrative": "Caller worried about a neighbor.", "disposition": None,
                              "disposition_code": None, "transport_destination": None}
    assert deleted.after is None


def test_editing_clinical_fields_records_who_when_which_device_before_and_after(
        create_call: Callable[..., Call], signed_in: Callable[..., Session]) -> None:
    call = create_call(narrative="First account.")
    supervisor = signed_in(Role.SUPERVISOR)
    response = supervisor.patch(f"/api/v1/calls/{call.id}", json={
        "narrative": "Second account.", "disposition": "Resolved on scene",
        "transport_destination": "Crisis center"})
    assert response.status_code == 200
    entry = audit_entries(call.id)[-1]
    assert entry.action == "update"
    assert entry.actor_id == supervisor.user.id
    assert str(entry.device_id) == supervisor.device_id
    assert entry.at is not None
    assert entry.before == {"narrative": "First account.", "disposition": None,
                            "disposition_code": None, "transport_destination": None}
    assert entry.after == {"narrative": "Second account.", "disposition": "Resolved on scene",
                           "disposition_code": None, "transport_destination": "Crisis center"}
    trail = supervisor.get("/api/v1/audit", query_string={"entity_id": str(call.id)})
    assert trail.status_code == 200
    assert [e["action"] for e in trail.json] == ["update", "create"]


def test_changing_only_the_priority_is_not_a_clinical_audit_entry(
        create_call: Callable[..., Call], signed_in: Callable[..., Session]) -> None:
    call = create_call()
    response = signed_in(Role.DISPATCHER).patch(f"/api/v1/calls/{call.id}", json={"priority": 1})
    assert response.status_code == 200
    assert stored_call(call.id).priority == 1
    assert [e.action for e in audit_entries(call.id)] == ["create"]


def test_field_responder_reads_only_their_units_calls(
        create_call: Callable[..., Call], create_unit: Callable[..., Unit],
        signed_in: Callable[..., Session]) -> None:
    mine, theirs = create_unit(), create_unit()
    responder = signed_in(Role.RESPONDER_CLINICIAN, mine)
    own, other, unassigned = create_call(unit=mine), create_call(unit=theirs), create_call()
    assert responder.get(f"/api/v1/calls/{own.id}").status_code == 200
    assert responder.get(f"/api/v1/calls/{other.id}").status_code == 403
    assert responder.get(f"/api/v1/calls/{unassigned.id}").status_code == 403
    assert responder.get("/api/v1/calls").status_code == 403
    assert responder.patch(f"/api/v1/calls/{own.id}", json={"priority": 1}).status_code == 403


def test_field_responder_off_shift_reads_no_call(
        create_call: Callable[..., Call], create_unit: Callable[..., Unit],
        signed_in: Callable[..., Session]) -> None:
    call = create_call(unit=create_unit())
    assert signed_in(Role.CIT_OFFICER).get(f"/api/v1/calls/{call.id}").status_code == 403


def test_a_unit_tablet_still_reads_its_unit_s_call_after_the_shift_ended(
        create_call: Callable[..., Call], create_unit: Callable[..., Unit],
        signed_in: Callable[..., Session]) -> None:
    unit = create_unit()
    responder = signed_in(Role.RESPONDER_EMT, unit)
    call = create_call(unit=unit)
    db.session.execute(sa.update(Shift).values(ends_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert responder.get(f"/api/v1/calls/{call.id}").status_code == 200
    assert responder.get(f"/api/v1/calls/{create_call(unit=create_unit()).id}").status_code == 403


def test_supply_manager_and_program_lead_cannot_read_a_call(
        create_call: Callable[..., Call], signed_in: Callable[..., Session]) -> None:
    call = create_call()
    for role in (Role.SUPPLY_MANAGER, Role.PROGRAM_LEAD):
        response = signed_in(role).get(f"/api/v1/calls/{call.id}")
        assert response.status_code == 403, role
        assert "narrative" not in response.json


def test_program_lead_adds_a_call_type_with_its_eligibility(
        call_types: None, signed_in: Callable[..., Session]) -> None:
    lead = signed_in(Role.PROGRAM_LEAD)
    response = lead.post("/api/v1/call-types", json={
        "code": "hoarding", "name": "Hoarding concern", "default_priority": 4,
        "eligibility": [{"program": "care_navigation", "rank": 1},
                        {"program": "community_response", "rank": 2}]})
    assert response.status_code == 201
    stored = db.session.scalar(sa.select(CallType).where(CallType.code == "hoarding"))
    assert stored is not None
    assert [(e.program, e.rank) for e in stored.eligibility] == [
        (Program.CARE_NAVIGATION, 1), (Program.COMMUNITY_RESPONSE, 2)]


def test_program_lead_reorders_eligibility_keeping_the_same_programs(
        call_types: None, signed_in: Callable[..., Session]) -> None:
    """Replacing the rows wholesale broke the unique (call type, program) pair: a 500."""
    call_type = db.session.scalar(sa.select(CallType).where(CallType.code == "welfare_check"))
    assert call_type is not None
    programs = [e.program for e in call_type.eligibility]
    assert len(programs) >= 2
    reordered = [{"program": p.value, "rank": rank}
                 for rank, p in enumerate(reversed(programs), start=1)]
    response = signed_in(Role.PROGRAM_LEAD).patch(
        f"/api/v1/call-types/{call_type.id}", json={"eligibility": reordered, "name": "Welfare"})
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.get(CallType, call_type.id)
    assert stored is not None
    assert stored.name == "Welfare"
    assert [e.program for e in stored.eligibility] == list(reversed(programs))


def test_responder_cannot_edit_call_types(
        call_types: None, signed_in: Callable[..., Session]) -> None:
    call_type = db.session.scalar(sa.select(CallType).order_by(CallType.id))
    assert call_type is not None
    name = call_type.name
    responder = signed_in(Role.RESPONDER_PEER)
    assert responder.patch(f"/api/v1/call-types/{call_type.id}",
                           json={"name": "Renamed"}).status_code == 403
    assert responder.post("/api/v1/call-types", json={"code": "x_type", "name": "X"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(CallType, call_type.id).name == name  # type: ignore[union-attr]
    assert db.session.scalar(sa.select(CallType).where(CallType.code == "x_type")) is None


def test_a_call_shows_what_its_premise_saw_this_week_beside_hand_entered_hazards(
        create_call: Callable[..., Call], create_unit: Callable[..., Unit],
        signed_in: Callable[..., Session]) -> None:
    unit = create_unit()
    address = "77 Roxboro St, Durham NC"
    now = utcnow()
    for n, (code, days_ago) in enumerate([("threat_weapon", 1), ("trespass_weapon", 3),
                                          ("disturbance_weapon", 6), ("welfare_check", 2),
                                          ("threat_weapon", 9)]):
        create_call(address=address, call_type=code, received_at=now - timedelta(days=days_ago),
                    cad_number=f"PS-{n}")
    cancelled = create_call(address=address, call_type="harassment_weapon", cad_number="PS-X")
    cancelled.deleted_at = now
    today = create_call(unit=unit, address=address, call_type="welfare_check", cad_number="PS-T")
    db.session.commit()
    responder = signed_in(Role.RESPONDER_PEER, unit=unit)
    response = responder.get(f"/api/v1/calls/{today.id}")
    assert response.status_code == 200
    # Three weapon calls in the last seven days; the one nine days ago and the cancelled one do not count.
    assert response.json["premise"]["summary"] == {"days": 7, "calls": 5, "weapon_calls": 3}

    pulled = responder.get("/api/v1/sync/pull", query_string={"limit": 500}).json["changes"]
    [premise] = [c["data"] for c in pulled if c["kind"] == "premise"]
    assert premise["summary"] == {"days": 7, "calls": 5, "weapon_calls": 3}


def test_a_calls_history_holds_the_block_around_it_with_dispositions(
        create_call: Callable[..., Call], create_unit: Callable[..., Unit],
        signed_in: Callable[..., Session]) -> None:
    unit = create_unit()
    here = create_call(address="10 Elm St", lat=35.99, lon=-78.9, cad_number="H-HERE")
    here.disposition = "Resolved on scene"
    next_door = create_call(address="12 Elm St", lat=35.9903, lon=-78.9, cad_number="H-NEXT")
    create_call(address="90 Far Rd", lat=36.01, lon=-78.9, cad_number="H-FAR")  # 2.2 km away
    db.session.commit()
    today = create_call(unit=unit, address="10 Elm St", lat=35.99, lon=-78.9, cad_number="H-NOW")
    responder = signed_in(Role.RESPONDER_PEER, unit=unit)
    history = responder.get(f"/api/v1/calls/{today.id}").json["premise"]["history"]
    by_number = {h["cad_number"]: h for h in history}
    assert set(by_number) == {"H-NOW", "H-HERE", "H-NEXT"}
    assert by_number["H-HERE"]["disposition"] == "Resolved on scene"
    assert "distance_m" not in by_number["H-HERE"]
    assert (by_number["H-NEXT"]["address"], by_number["H-NEXT"]["distance_m"]) == ("12 Elm St", 33)
    assert next_door.id  # its own premise: the history names where it was


def test_a_hazard_past_its_expiry_is_no_longer_shown(
        create_call: Callable[..., Call], create_unit: Callable[..., Unit],
        signed_in: Callable[..., Session]) -> None:
    from server.calls.models import PremiseHazard

    unit = create_unit()
    call = create_call(unit=unit)
    now = utcnow()
    db.session.add_all([
        PremiseHazard(premise_id=call.premise_id, kind="dog", description="Large dog, friendly",
                      expires_at=now - timedelta(days=1)),
        PremiseHazard(premise_id=call.premise_id, kind="weapon", description="Knife reported",
                      expires_at=now + timedelta(days=30)),
    ])
    db.session.commit()
    responder = signed_in(Role.RESPONDER_PEER, unit=unit)
    answer = responder.get(f"/api/v1/calls/{call.id}").json
    assert [h["kind"] for h in answer["premise"]["hazards"]] == ["weapon"]
    assert answer["hazard_count"] == 1


def test_demo_narratives_match_their_call_types() -> None:
    from server.calls.seed import CALL_TYPES
    from server.demo import NARRATIVES, narrative_for

    for code, _name, weapon, _priority, _programs in CALL_TYPES:
        text = narrative_for(code)
        assert ("weapon" in text.lower()) == weapon, code
        assert code in NARRATIVES or code.removesuffix("_weapon") in NARRATIVES, code
