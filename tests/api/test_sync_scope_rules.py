"""Who may record on which call through sync, and which unit a tablet syncs after a shift ends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.calls.models import Call, CallNote, CallStatusEvent
from server.extensions import db
from server.models_base import utcnow
from server.sync.models import RejectedOp, SyncConflict
from server.units.models import Shift
from tests.fixtures.sync import Tablet, fact_ids, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]


def test_a_responder_cannot_record_on_a_call_never_assigned_to_their_unit(
        tablet: MakeTablet, create_call: MakeCall, create_unit: Callable[..., Any]) -> None:
    device = tablet()
    elsewhere = create_call(create_unit())
    ops = [device.status(elsewhere, "on_scene"), device.note(elsewhere, "not ours"),
           device.edit(elsewhere, elsewhere.version, disposition="closed")]

    response = device.push(ops)

    assert outcomes(response) == ["rejected", "rejected", "rejected"]
    assert ops[0]["record_id"] not in fact_ids(CallStatusEvent)
    assert ops[1]["record_id"] not in fact_ids(CallNote)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncConflict)) == 0
    kept = set(db.session.scalars(sa.select(RejectedOp.op_id)))
    assert {str(k) for k in kept} == {op["id"] for op in ops}


def test_a_call_taken_from_the_unit_still_takes_the_crew_s_offline_facts(
        tablet: MakeTablet, create_call: MakeCall, create_unit: Callable[..., Any],
        dispatcher: Any) -> None:
    device = tablet()
    call = create_call(device.unit)
    offline = device.status(call, "cleared", device_time=utcnow() - timedelta(minutes=1))
    assert dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": create_unit().id}).status_code == 200

    response = device.push([offline])

    assert outcomes(response) == ["applied"]


def test_a_tablet_whose_shift_ended_offline_still_syncs_its_unit_s_calls(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    db.session.execute(sa.update(Shift).where(Shift.unit_id == device.unit.id)
                       .values(ends_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()

    response = device.push([device.status(call, "cleared"), device.note(call, "wrapped up")])
    pulled, _ = device.pull_all()

    assert outcomes(response) == ["applied", "applied"]
    assert str(call.id) in {c["id"] for c in pulled if c["kind"] == "call"}
