"""Status taps corrected on the tablet: the person who tapped a status withdraws it within the
undo window with a new fact (the first stays), the call's status and times leave the withdrawn
tap out, and a tap against the lifecycle is kept but answered as out of order."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from server.calls.models import Call, CallStatus, CallStatusEvent
from server.calls.status import STATUS_UNDO_MINUTES
from server.extensions import db
from server.models_base import utcnow
from tests.fixtures.sync import Tablet, count_rows, outcomes

MakeCall = Callable[..., Call]
MakeTablet = Callable[..., Tablet]


def _withdrawal(device: Tablet, tap: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    op = device.status(tap["data"]["call_id"], tap["data"]["status"], **kwargs)
    op["data"]["withdraws"] = tap["record_id"]
    return op


def _call(call: Call) -> Call:
    db.session.expire_all()
    found = db.session.get(Call, call.id)
    assert found is not None
    return found


@pytest.fixture
def crew(tablet: MakeTablet, create_call: MakeCall) -> tuple[Tablet, Call]:
    device = tablet()
    return device, create_call(device.unit)


def test_own_withdrawal_within_the_window_is_applied_and_both_facts_stay(
        crew: tuple[Tablet, Call]) -> None:
    device, call = crew
    en_route, on_scene = device.status(call, "en_route"), device.status(call, "on_scene")
    device.push([en_route, on_scene])

    undo = _withdrawal(device, on_scene)
    assert outcomes(device.push([undo])) == ["applied"]

    assert _call(call).status is CallStatus.EN_ROUTE
    assert count_rows(CallStatusEvent) == 3
    detail = device.session.get(f"/api/v1/calls/{call.id}").json
    events = {e["id"]: e for e in detail["status_events"]}
    assert events[on_scene["record_id"]]["withdrawn_by"] == undo["record_id"]
    assert events[undo["record_id"]]["withdraws"] == on_scene["record_id"]
    assert events[en_route["record_id"]]["withdrawn_by"] is None
    assert list(detail["status_times"]) == ["en_route"]


def test_a_withdrawn_cleared_opens_the_call_again(crew: tuple[Tablet, Call]) -> None:
    device, call = crew
    on_scene, cleared = device.status(call, "on_scene"), device.status(call, "cleared")
    device.push([on_scene, cleared])
    assert _call(call).status is CallStatus.CLEARED

    assert outcomes(device.push([_withdrawal(device, cleared)])) == ["applied"]

    assert _call(call).status is CallStatus.ON_SCENE
    detail = device.session.get(f"/api/v1/calls/{call.id}").json
    assert (detail["status"], list(detail["status_times"])) == ("on_scene", ["on_scene"])


def test_a_tap_and_its_withdrawal_in_one_push_offline_leave_the_status_before_it(
        crew: tuple[Tablet, Call]) -> None:
    device, call = crew
    cleared = device.status(call, "cleared")

    assert outcomes(device.push([cleared, _withdrawal(device, cleared)])) == ["applied", "applied"]

    assert _call(call).status is CallStatus.DISPATCHED


def test_the_pull_shows_the_withdrawal_and_the_withdrawn_tap(crew: tuple[Tablet, Call]) -> None:
    device, call = crew
    cleared = device.status(call, "cleared")
    undo = _withdrawal(device, cleared)
    device.push([cleared, undo])

    changes, _ = device.pull_all()

    pulled = {c["id"]: c["data"] for c in changes if c["kind"] == "call_status"}
    assert pulled[cleared["record_id"]]["withdrawn_by"] == undo["record_id"]
    assert pulled[undo["record_id"]]["withdraws"] == cleared["record_id"]
    [pulled_call] = [c["data"] for c in changes if c["kind"] == "call"]
    assert pulled_call["status"] == "dispatched"


def test_a_tablet_pulling_from_its_cursor_learns_its_tap_was_withdrawn(
        crew: tuple[Tablet, Call], tablet: MakeTablet) -> None:
    device, call = crew
    colleague = tablet(device.unit)
    cleared = device.status(call, "cleared")
    device.push([cleared])
    _, cursor = colleague.pull_all()

    undo = _withdrawal(device, cleared)
    device.push([undo])
    changes, _ = colleague.pull_all(cursor)

    pulled = {c["id"]: c["data"] for c in changes if c["kind"] == "call_status"}
    assert pulled[cleared["record_id"]]["withdrawn_by"] == undo["record_id"]
    assert [c["data"]["status"] for c in changes if c["kind"] == "call"] == ["dispatched"]


def test_a_crew_mates_withdrawal_of_someone_elses_tap_is_rejected(
        crew: tuple[Tablet, Call], tablet: MakeTablet) -> None:
    device, call = crew
    colleague = tablet(device.unit)
    cleared = device.status(call, "cleared")
    device.push([cleared])

    [result] = colleague.push([_withdrawal(colleague, cleared)]).json["results"]

    assert result["outcome"] == "rejected"
    assert list(result["errors"]) == ["author_id"]
    assert _call(call).status is CallStatus.CLEARED


def test_a_withdrawal_after_the_undo_window_is_rejected(
        crew: tuple[Tablet, Call], monkeypatch: pytest.MonkeyPatch) -> None:
    device, call = crew
    cleared = device.status(call, "cleared")
    device.push([cleared])
    later = utcnow() + timedelta(minutes=STATUS_UNDO_MINUTES + 1)
    for module in ("server.sync.store", "server.sync.services"):  # the server's clock, later
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)

    undo = _withdrawal(device, cleared, device_time=later)
    [result] = device.push([undo], device_time=later).json["results"]

    assert result["outcome"] == "rejected"
    assert list(result["errors"]) == ["device_time"]
    assert _call(call).status is CallStatus.CLEARED


@pytest.mark.parametrize(("change", "field"), [
    ("other_call", "data.withdraws"),
    ("other_status", "data.status"),
    ("twice", "data.withdraws"),
])
def test_a_withdrawal_of_no_tap_of_this_call_or_a_second_one_is_rejected_naming_the_field(
        crew: tuple[Tablet, Call], create_call: MakeCall, change: str, field: str) -> None:
    device, call = crew
    other: Call = create_call(device.unit)
    tap = device.status(other if change == "other_call" else call, "on_scene")
    device.push([tap])
    undo = _withdrawal(device, tap)
    undo["data"]["call_id"] = str(call.id)
    if change == "other_status":
        undo["data"]["status"] = "cleared"
    if change == "twice":
        device.push([undo])
        undo = _withdrawal(device, tap)

    [result] = device.push([undo]).json["results"]

    assert result["outcome"] == "rejected"
    assert list(result["errors"]) == [field]


def test_en_route_tapped_after_cleared_is_kept_but_answered_out_of_order(
        crew: tuple[Tablet, Call]) -> None:
    device, call = crew
    device.push([device.status(call, "cleared")])
    late = device.status(call, "en_route")

    [result] = device.push([late]).json["results"]

    assert result["outcome"] == "applied"
    assert result["message"].startswith("out of order")
    assert "cleared" in result["message"]
    assert _call(call).status is CallStatus.CLEARED
    assert db.session.get(CallStatusEvent, uuid.UUID(late["record_id"])) is not None


def test_a_tap_made_offline_before_a_crew_mates_later_state_is_in_order(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    colleague: Tablet = tablet(device.unit)
    call = create_call(device.unit, received_at=utcnow() - timedelta(minutes=10))
    # Made a minute before the colleague's tap, pushed after it: a minute is far beyond what
    # the skew measured at each push (request latency, a few ms) can move either time.
    en_route = device.status(call, "en_route", device_time=device.now() - timedelta(minutes=1))
    colleague.push([colleague.status(call, "on_scene")])

    [result] = device.push([en_route]).json["results"]

    assert (result["outcome"], result["message"]) == ("applied", "")
    assert _call(call).status is CallStatus.ON_SCENE


def test_a_withdrawal_naming_a_bad_id_is_rejected_naming_data_withdraws(
        crew: tuple[Tablet, Call]) -> None:
    device, call = crew
    tap = device.status(call, "on_scene")
    tap["data"]["withdraws"] = "not-an-id"

    [result] = device.push([tap]).json["results"]

    assert result["outcome"] == "rejected"
    assert "data.withdraws" in result["errors"]
