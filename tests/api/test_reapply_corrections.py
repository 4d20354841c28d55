"""A supervisor re-applies a rejected note or status with corrected data: the author stays
the responder, and the record and the audit say who corrected it and what was changed.
(SQLite and PostgreSQL.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.calls.models import Call
from server.extensions import db
from server.sync.models import RejectedOp
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]


def _reapply(supervisor: Session, op_id: str, data: dict[str, Any]) -> Any:
    kept = {r["op_id"]: r["id"] for r in supervisor.get("/api/v1/sync/rejected").json}
    answer = supervisor.post(f"/api/v1/sync/rejected/{kept[op_id]}/reapply", json={"data": data})
    assert answer.status_code == 200, answer.json
    return answer


def _audit(entity: str, entity_id: object) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))))


def test_a_corrected_note_keeps_its_author_and_names_its_corrector_on_the_note_and_in_the_audit(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session,
        supervisor: Session) -> None:
    device = tablet()
    crewmate = tablet(unit=device.unit)
    call = create_call(device.unit)
    note = device.note(call, "pasted\x00from the intake form")
    assert outcomes(device.push([note])) == ["rejected"]

    answer = _reapply(supervisor, note["id"], {"body": "pasted from the intake form"})

    assert answer.json["rejected"]["resolved_by_id"] == supervisor.user.id
    [shown] = dispatcher.get(f"/api/v1/calls/{call.id}").json["notes"]
    assert (shown["body"], shown["user_id"], shown["corrected_by_id"]) == (
        "pasted from the intake form", device.user.id, supervisor.user.id)
    pulled = [c["data"] for c in crewmate.pull_all()[0] if c["kind"] == "call_note"]
    assert [(p["user_id"], p["corrected_by_id"]) for p in pulled] == [
        (device.user.id, supervisor.user.id)]
    [correction] = _audit("sync_rejected_op", answer.json["rejected"]["id"])
    assert (correction.action, correction.actor_id) == ("reapply", supervisor.user.id)
    assert correction.before is not None
    assert correction.after is not None
    assert correction.before["data"]["body"] == "pasted\x00from the intake form"
    assert correction.after["data"]["body"] == "pasted from the intake form"
    assert correction.after["author_id"] == device.user.id
    [created] = _audit("call_note", note["record_id"])
    assert created.actor_id == supervisor.user.id  # the person whose text this write holds
    assert created.after is not None
    assert (created.after["author_id"], created.after["corrected_by_id"]) == (
        device.user.id, supervisor.user.id)


def test_a_corrected_status_shows_its_corrector_and_one_as_recorded_shows_none(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session,
        supervisor: Session) -> None:
    device = tablet()
    call = create_call(device.unit)
    as_recorded = device.status(call, "en_route")
    misnamed = device.status(call, "arrived")  # an old app's name for on_scene
    assert outcomes(device.push([as_recorded, misnamed])) == ["applied", "rejected"]

    _reapply(supervisor, misnamed["id"], {"status": "on_scene"})

    events = {e["id"]: e for e in dispatcher.get(f"/api/v1/calls/{call.id}").json["status_events"]}
    assert (events[as_recorded["record_id"]]["user_id"],
            events[as_recorded["record_id"]]["corrected_by_id"]) == (device.user.id, None)
    assert (events[misnamed["record_id"]]["user_id"],
            events[misnamed["record_id"]]["corrected_by_id"]) == (device.user.id, supervisor.user.id)
    [correction] = _audit("sync_rejected_op", _kept_id(misnamed["id"]))
    assert correction.before == {"kind": "call_status", "record_id": misnamed["record_id"],
                                 "data": {"call_id": str(call.id), "status": "arrived"}}
    assert correction.after is not None
    assert correction.after["data"] == {"call_id": str(call.id), "status": "on_scene"}



def _kept_id(op_id: str) -> int:
    found = db.session.scalar(sa.select(RejectedOp.id).where(RejectedOp.op_id == uuid.UUID(op_id)))
    assert found is not None
    return found
