"""A call keeps each timed state's first trusted time as its taps land (what the response-time
indicator reads): a tap sets it, a later one leaves it, one made earlier but pushed late moves
it back; a withdrawal takes its tap's time away; a supervisor's re-applied tap and the taps on
a reassigned call count; taps written through the ORM count too. Always equal to the trusted
times of status_times. (SQLite and PostgreSQL.)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from server.auth.models import Device
from server.calls.models import TIMED_STATES, Call, CallStatus, CallStatusEvent, stage_columns
from server.calls.services import status_times
from server.extensions import db
from server.models_base import utcnow
from tests.fixtures.people import Session
from tests.fixtures.sync import Tablet, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]
# The calls here came in, and the tablets were registered, an hour ago: a tap older than
# either would be clamped to it and flagged uncertain.
AN_HOUR_AGO = timedelta(hours=1)


@pytest.fixture
def create_call(create_call: MakeCall) -> MakeCall:
    def factory(*args: object, **kwargs: object) -> Call:
        call = create_call(*args, **kwargs)
        call.received_at = utcnow() - AN_HOUR_AGO
        db.session.commit()
        return call

    return factory


@pytest.fixture
def tablet(tablet: MakeTablet) -> MakeTablet:
    def factory(*args: object, **kwargs: object) -> Tablet:
        made = tablet(*args, **kwargs)
        device = db.session.get(Device, uuid.UUID(made.session.device_id))
        assert device is not None
        device.registered_at = utcnow() - AN_HOUR_AGO
        db.session.commit()
        return made

    return factory


def stages(call_id: uuid.UUID) -> dict[str, tuple[datetime | None, bool]]:
    """The call's stored stage columns by state, after checking them against status_times."""
    db.session.expire_all()
    call = db.session.get(Call, call_id)
    assert call is not None
    times = status_times(call.status_events)
    found: dict[str, tuple[datetime | None, bool]] = {}
    for state in TIMED_STATES:
        first_at, uncertain = (getattr(call, name) for name in stage_columns(state))
        trusted = None if state.value in times.uncertain else times.times.get(state.value)
        assert first_at == trusted, state
        found[state.value] = (first_at, uncertain)
    return found


def at_second(t: datetime) -> datetime:
    return t.replace(microsecond=0)


def test_a_tap_sets_its_state_s_first_time_and_a_later_one_leaves_it(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    first = utcnow() - timedelta(minutes=10)
    assert outcomes(device.push([device.status(call, "en_route", device_time=first)])) == [
        "applied"]
    en_route = stages(call.id)["en_route"][0]
    assert en_route is not None
    assert stages(call.id)["on_scene"] == (None, False)

    device.push([device.status(call, "en_route", device_time=first + timedelta(minutes=2)),
                 device.status(call, "on_scene", device_time=first + timedelta(minutes=5))])

    found = stages(call.id)
    assert found["en_route"] == (en_route, False)
    assert found["on_scene"][0] is not None


def test_a_tap_made_earlier_but_pushed_late_moves_the_first_time_back(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    offline = tablet(unit=device.unit)
    call = create_call(device.unit)
    now = utcnow()
    device.push([device.status(call, "on_scene", device_time=now - timedelta(minutes=2))])
    later = stages(call.id)["on_scene"][0]

    offline.push([offline.status(call, "on_scene", device_time=now - timedelta(minutes=8))])

    earlier = stages(call.id)["on_scene"][0]
    assert later is not None
    assert earlier is not None
    assert earlier < later


def test_a_withdrawal_takes_its_tap_s_time_away(tablet: MakeTablet,
                                                create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    en_route, mistap = device.status(call, "en_route"), device.status(call, "on_scene")
    device.push([en_route, mistap])
    assert stages(call.id)["on_scene"][0] is not None
    undo = device.status(call, "on_scene")
    undo["data"]["withdraws"] = mistap["record_id"]

    assert outcomes(device.push([undo])) == ["applied"]

    found = stages(call.id)
    assert found["on_scene"] == (None, False)
    assert found["en_route"][0] is not None


def test_a_status_a_supervisor_re_applies_sets_its_time(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Session) -> None:
    device = tablet()
    call = create_call(device.unit)
    misnamed = device.status(call, "arrived")  # an old app's name for on_scene
    assert outcomes(device.push([misnamed])) == ["rejected"]
    assert stages(call.id)["on_scene"] == (None, False)
    kept = {r["op_id"]: r["id"] for r in supervisor.get("/api/v1/sync/rejected").json}

    answer = supervisor.post(f"/api/v1/sync/rejected/{kept[misnamed['id']]}/reapply",
                             json={"data": {"status": "on_scene"}})

    assert answer.status_code == 200, answer.json
    assert stages(call.id)["on_scene"][0] is not None


def test_a_reassigned_call_is_timed_by_the_taps_of_either_unit(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Session) -> None:
    heart2, heart1 = tablet(), tablet()
    assert heart1.unit is not None
    call = create_call(heart2.unit)
    now = utcnow()
    heart2.push([heart2.status(call, "en_route", device_time=now - timedelta(minutes=9))])
    assert dispatcher.patch(f"/api/v1/calls/{call.id}",
                            json={"unit_id": heart1.unit.id}).status_code == 200
    heart1.push([heart1.status(call, "en_route", device_time=now - timedelta(minutes=4)),
                 heart1.status(call, "on_scene", device_time=now - timedelta(minutes=1))])

    found = stages(call.id)
    first, on_scene = found["en_route"][0], found["on_scene"][0]
    assert first is not None
    assert on_scene is not None
    assert at_second(first) == at_second(now - timedelta(minutes=9))


def test_taps_written_through_the_orm_count_uncertain_ones_only_as_uncertain(
        create_call: MakeCall) -> None:
    call = create_call(None)
    at = utcnow()

    def tap(status: CallStatus, when: datetime, uncertain: bool) -> None:
        db.session.add(CallStatusEvent(id=uuid.uuid4(), call_id=call.id, status=status,
                                       device_time=when, corrected_time=when,
                                       time_uncertain=uncertain))
        db.session.commit()

    tap(CallStatus.EN_ROUTE, at - timedelta(minutes=3), uncertain=True)
    tap(CallStatus.ON_SCENE, at, uncertain=True)
    tap(CallStatus.EN_ROUTE, at - timedelta(minutes=1), uncertain=False)

    found = stages(call.id)
    assert found["en_route"] == (at - timedelta(minutes=1), True)
    assert found["on_scene"] == (None, True)
    assert found["dispatched"] == (None, False)
