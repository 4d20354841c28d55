"""A call moved to another unit, or cancelled, is no longer its former crew's to write.

What the former unit recorded before the move still lands; its edits, and facts it records
after the move, go to a supervisor (an out_of_scope conflict only a supervisor settles, or
a rejected op kept for a supervisor to re-apply), and it reads nothing the new unit wrote.
Only a supervisor restores a cancelled call. (SQLite and PostgreSQL.)
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.calls.models import Call, CallNote, CallStatusEvent
from server.extensions import db
from server.models_base import utcnow
from server.sync.models import SyncConflict
from server.units.models import Unit
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet, fact_ids, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]
CONFLICTS = "/api/v1/sync/conflicts"
SERVER_SIDE = ("server_value", "server_changed_by", "server_changed_at")


def _call(call_id: Any) -> Call:
    db.session.expire_all()
    call = db.session.get(Call, call_id)
    assert call is not None
    return call


def _resolve(session: Session, conflict_id: str, choice: str = "device") -> Any:
    return session.post(f"{CONFLICTS}/{conflict_id}/resolve", json={"choice": choice})


def _moved_with_a_new_value(tablet: MakeTablet, create_call: MakeCall, dispatcher: Session,
                            ) -> tuple[Tablet, Tablet, Call]:
    """HEART-2 held the call; dispatch moved it to HEART-1, whose tablet set a disposition."""
    heart2 = tablet()
    heart1 = tablet()
    call = create_call(heart2.unit)
    moved = dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": heart1.unit.id})
    assert moved.status_code == 200, moved.json
    assert outcomes(heart1.push([heart1.edit(call, _call(call.id).version,
                                             disposition="transported to Duke ED")])) == ["applied"]
    return heart2, heart1, call


def test_the_former_unit_s_edit_goes_to_a_supervisor_without_showing_the_new_unit_s_value(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session,
        supervisor: Session) -> None:
    heart2, _heart1, call = _moved_with_a_new_value(tablet, create_call, dispatcher)

    response = heart2.push([heart2.edit(call, 1, disposition="refused care")])

    [result] = response.json["results"]
    assert result["outcome"] == "conflict"
    assert (result["version"], result["record"]) == (1, None)  # nothing of the call now
    [mine] = heart2.session.get(CONFLICTS).json
    assert (mine["reason"], mine["resolvable_by"], mine["device_value"]) == (
        "out_of_scope", "supervisor", "refused care")
    assert [mine[k] for k in SERVER_SIDE] == [None, None, None]
    pulled = [c["data"] for c in heart2.pull_all()[0] if c["kind"] == "conflict"]
    assert [(p["id"], p["resolvable_by"]) for p in pulled] == [(mine["id"], "supervisor")]
    assert [pulled[0][k] for k in SERVER_SIDE] == [None, None, None]
    [reviewed] = supervisor.get(CONFLICTS).json
    assert reviewed["server_value"] == "transported to Duke ED"
    assert reviewed["server_changed_by"] is not None
    assert reviewed["server_changed_at"] is not None


def test_the_former_unit_cannot_settle_its_out_of_scope_conflict_but_a_supervisor_can(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session,
        supervisor: Session) -> None:
    heart2, _heart1, call = _moved_with_a_new_value(tablet, create_call, dispatcher)
    pushed = heart2.push([heart2.edit(call, 1, disposition="refused care")])
    [conflict_id] = pushed.json["results"][0]["conflict_ids"]

    refused = _resolve(heart2.session, conflict_id)

    assert refused.status_code == 403
    assert "supervisor" in refused.json["message"]
    assert _call(call.id).disposition == "transported to Duke ED"
    assert [c["id"] for c in heart2.session.get(CONFLICTS).json] == [conflict_id]
    settled = _resolve(supervisor, conflict_id)
    assert settled.status_code == 200, settled.json
    assert _call(call.id).disposition == "refused care"  # the supervisor's choice


def test_a_status_and_a_note_the_former_unit_records_after_the_move_are_kept_for_a_supervisor(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session,
        supervisor: Session) -> None:
    heart2 = tablet()
    heart1 = tablet()
    call = create_call(heart2.unit)
    before = heart2.status(call, "on_scene", device_time=utcnow() - timedelta(minutes=1))
    assert dispatcher.patch(f"/api/v1/calls/{call.id}",
                            json={"unit_id": heart1.unit.id}).status_code == 200
    after = [heart2.status(call, "cleared"), heart2.note(call, "left without the patient")]

    response = heart2.push([before, *after])

    assert outcomes(response) == ["applied", "rejected", "rejected"]
    assert "moved to another unit" in response.json["results"][1]["message"]
    assert fact_ids(CallStatusEvent) == [before["record_id"]]
    assert fact_ids(CallNote) == []
    assert _call(call.id).status.value == "on_scene"
    kept = {r["op_id"]: r for r in supervisor.get("/api/v1/sync/rejected").json}
    assert set(kept) == {op["id"] for op in after}
    assert kept[after[1]["id"]]["op"] == after[1]  # kept whole: nothing recorded is lost

    reapplied = supervisor.post(f"/api/v1/sync/rejected/{kept[after[0]['id']]['id']}/reapply",
                                json={"data": {}})

    assert reapplied.status_code == 200, reapplied.json
    assert reapplied.json["result"]["outcome"] == "applied"
    assert _call(call.id).status.value == "cleared"
    event = db.session.get(CallStatusEvent, uuid.UUID(after[0]["record_id"]))
    assert event is not None
    assert (event.user_id, event.corrected_by_id) == (heart2.user.id, supervisor.user.id)


@pytest.mark.parametrize("choice", ["device", "value"])
def test_only_a_supervisor_restores_a_cancelled_call_through_an_edit_delete_conflict(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session, supervisor: Session,
        choice: str) -> None:
    device = tablet()
    call = create_call(device.unit)
    assert dispatcher.delete(f"/api/v1/calls/{call.id}").status_code == 204
    pushed = device.push([device.edit(call, call.version, disposition="treated")])
    [conflict_id] = pushed.json["results"][0]["conflict_ids"]
    [shown] = device.session.get(CONFLICTS).json
    assert (shown["reason"], shown["resolvable_by"]) == ("edit_delete", "supervisor")
    body = {"choice": choice, "value": "treated on scene"}
    url = f"{CONFLICTS}/{conflict_id}/resolve"

    refused = device.session.post(url, json=body)

    assert refused.status_code == 403
    assert _call(call.id).deleted_at is not None
    assert dispatcher.get(f"/api/v1/calls/{call.id}").status_code == 404
    restored = supervisor.post(url, json=body)
    assert restored.status_code == 200, restored.json
    assert _call(call.id).deleted_at is None
    assert dispatcher.get(f"/api/v1/calls/{call.id}").status_code == 200
    actions = db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.entity == "call", AuditEntry.entity_id == str(call.id))
        .order_by(AuditEntry.id)).all()
    assert actions == ["create", "delete", "restore", "update"]
    restore = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "restore"))
    assert restore is not None
    assert restore.actor_id == supervisor.user.id


@pytest.mark.parametrize("change", ["moved", "cancelled"])
def test_a_clash_opened_before_the_call_moved_or_was_cancelled_becomes_a_supervisor_s(
        tablet: MakeTablet, create_call: MakeCall, create_unit: Callable[..., Unit],
        dispatcher: Session, change: str) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    first.push([first.edit(call, 1, disposition="transported")])
    pushed = second.push([second.edit(call, 1, disposition="refused care")])
    [conflict_id] = pushed.json["results"][0]["conflict_ids"]
    assert second.session.get(CONFLICTS).json[0]["resolvable_by"] == "responder"
    _, cursor = second.pull_all()

    if change == "moved":
        answer = dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": create_unit().id})
        assert answer.status_code == 200
    else:
        assert dispatcher.delete(f"/api/v1/calls/{call.id}").status_code == 204

    [shown] = second.session.get(CONFLICTS).json
    assert shown["resolvable_by"] == "supervisor"
    assert [shown[k] for k in SERVER_SIDE] == [None, None, None]
    changes, _ = second.pull_all(cursor)
    [pulled] = [c for c in changes if c["kind"] == "conflict"]
    assert (pulled["id"], pulled["op"], pulled["data"]["resolvable_by"]) == (
        conflict_id, "put", "supervisor")
    assert _resolve(second.session, conflict_id).status_code == 403
    assert db.session.get(SyncConflict, uuid.UUID(conflict_id)).resolved_at is None  # type: ignore[union-attr]

