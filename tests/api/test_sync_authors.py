"""Who did it, on a tablet a crew shares: each op names its author (the person unlocked when it
was made), the server credits the fact to them and accepts it only from someone signed in on
that tablet and on its unit's crew (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.auth.models import DeviceSession, Role, User
from server.calls.models import Call, CallNote, CallStatusEvent
from server.extensions import db
from server.sync.models import RejectedOp
from server.units.models import ShiftMember, Unit
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet, count_rows, outcomes

MakeCall = Callable[..., Call]


@dataclass
class SharedTablet:
    """One tablet of a unit: the clinician signed in first, then the peer on the same device."""

    unit: Unit
    clinician: User
    peer: User
    as_clinician: Tablet
    as_peer: Tablet


@pytest.fixture
def shared(create_unit: Callable[..., Unit], create_user: Callable[..., User],
           sign_in: Callable[..., Session]) -> SharedTablet:
    unit = create_unit()
    clinician = create_user(Role.RESPONDER_CLINICIAN, unit=unit)
    peer = create_user(Role.RESPONDER_PEER, unit=unit)
    first = sign_in(clinician)
    second = sign_in(peer, device_id=first.device_id)
    return SharedTablet(unit, clinician, peer, Tablet(first, unit), Tablet(second, unit))


def _row(model: type[CallNote] | type[CallStatusEvent], record_id: object) -> CallNote | CallStatusEvent:
    db.session.expire_all()
    found = db.session.get(model, uuid.UUID(str(record_id)))
    assert found is not None
    return found


def _push_as_peer(shared: SharedTablet, ops: list[dict[str, object]]) -> list[str]:
    """The peer unlocked with signal: the device's ops go with the peer's token."""
    shared.as_peer.next_seq = shared.as_clinician.next_seq
    return outcomes(shared.as_peer.push(ops))


def test_a_note_written_offline_by_the_clinician_and_pushed_by_the_peer_is_the_clinicians(
        shared: SharedTablet, create_call: MakeCall) -> None:
    call = create_call(shared.unit)
    device = shared.as_clinician
    note = {**device.note(call, "agreed to a follow-up visit"), "author_id": shared.clinician.id}
    tap = {**device.status(call, "on_scene"), "author_id": shared.peer.id}

    assert _push_as_peer(shared, [note, tap]) == ["applied", "applied"]

    assert _row(CallNote, note["record_id"]).user_id == shared.clinician.id
    assert _row(CallStatusEvent, tap["record_id"]).user_id == shared.peer.id
    audit = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "call_note", AuditEntry.entity_id == note["record_id"])).one()
    assert audit.actor_id == shared.clinician.id


def test_notes_and_status_events_name_their_author_in_the_api_and_the_pull(
        shared: SharedTablet, create_call: MakeCall) -> None:
    call = create_call(shared.unit)
    device = shared.as_clinician
    note = {**device.note(call, "calm, with family"), "author_id": shared.clinician.id}
    tap = {**device.status(call, "en_route"), "author_id": shared.peer.id}
    _push_as_peer(shared, [note, tap])

    detail = shared.as_peer.session.get(f"/api/v1/calls/{call.id}").json
    changes, _ = shared.as_peer.pull_all()

    assert [(n["user_id"], n["author_name"]) for n in detail["notes"]] == [
        (shared.clinician.id, shared.clinician.full_name)]
    assert [(e["user_id"], e["author_name"]) for e in detail["status_events"]] == [
        (shared.peer.id, shared.peer.full_name)]
    pulled = {c["id"]: c["data"]["author_name"] for c in changes
              if c["kind"] in ("call_note", "call_status")}
    assert pulled == {note["record_id"]: shared.clinician.full_name,
                      tap["record_id"]: shared.peer.full_name}


def test_an_op_without_an_author_an_older_app_s_is_the_token_person_s(
        shared: SharedTablet, create_call: MakeCall) -> None:
    call = create_call(shared.unit)
    tap = shared.as_clinician.status(call, "en_route")

    assert _push_as_peer(shared, [tap]) == ["applied"]

    assert _row(CallStatusEvent, tap["record_id"]).user_id == shared.peer.id


def test_an_author_who_never_signed_in_on_the_tablet_is_rejected_and_kept(
        shared: SharedTablet, create_call: MakeCall, create_user: Callable[..., User]) -> None:
    call = create_call(shared.unit)
    colleague = create_user(Role.RESPONDER_EMT, unit=shared.unit)  # on the crew, not on this tablet
    note = {**shared.as_clinician.note(call, "written as someone else"), "author_id": colleague.id}

    response = shared.as_peer.push([note])

    [result] = response.json["results"]
    assert result["outcome"] == "rejected"
    assert list(result["errors"]) == ["author_id"]
    assert "signed in online on this tablet" in result["errors"]["author_id"][0]
    assert count_rows(CallNote) == 0
    kept = db.session.scalars(sa.select(RejectedOp)).one()
    assert kept.op["author_id"] == colleague.id


def test_an_author_signed_out_of_the_tablet_is_rejected(
        shared: SharedTablet, create_call: MakeCall) -> None:
    call = create_call(shared.unit)
    db.session.execute(sa.update(DeviceSession).where(DeviceSession.user_id == shared.clinician.id)
                       .values(signed_out_at=sa.func.now()))
    db.session.commit()
    note = {**shared.as_clinician.note(call, "after signing out"), "author_id": shared.clinician.id}

    assert _push_as_peer(shared, [note]) == ["rejected"]
    assert count_rows(RejectedOp) == 1


def test_an_author_enrolled_on_the_tablet_but_taken_off_the_crew_is_rejected(
        shared: SharedTablet, create_call: MakeCall) -> None:
    call = create_call(shared.unit)
    db.session.execute(sa.delete(ShiftMember).where(ShiftMember.user_id == shared.clinician.id))
    db.session.commit()
    tap = {**shared.as_clinician.status(call, "on_scene"), "author_id": shared.clinician.id}
    mine = {**shared.as_clinician.status(call, "en_route"), "author_id": shared.peer.id}

    response = shared.as_peer.push([tap, mine])

    assert outcomes(response) == ["rejected", "applied"]
    assert response.json["results"][0]["errors"] == {
        "author_id": ["this person is not on the crew of this tablet's unit"]}
    assert _row(CallStatusEvent, mine["record_id"]).user_id == shared.peer.id


@pytest.mark.parametrize("author_id", [0, -3, "12", 1.5, True, 2**31])
def test_an_author_id_that_is_not_a_person_s_id_is_named(
        shared: SharedTablet, create_call: MakeCall, author_id: object) -> None:
    call = create_call(shared.unit)
    tap = {**shared.as_clinician.status(call, "on_scene"), "author_id": author_id}

    response = shared.as_peer.push([tap])

    assert outcomes(response) == ["rejected"]
    assert list(response.json["results"][0]["errors"]) == ["author_id"]


def test_a_call_edit_by_the_clinician_pushed_by_the_peer_is_made_and_audited_as_hers(
        shared: SharedTablet, create_call: MakeCall) -> None:
    call = create_call(shared.unit)
    edit = {**shared.as_clinician.edit(call, call.version, disposition="referred to care"),
            "author_id": shared.clinician.id}

    assert _push_as_peer(shared, [edit]) == ["applied"]

    db.session.expire_all()
    stored = db.session.get(Call, call.id)
    assert stored is not None
    assert stored.updated_by_id == shared.clinician.id
    audit = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.entity == "call", AuditEntry.action == "update")).one()
    assert audit.actor_id == shared.clinician.id
