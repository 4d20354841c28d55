"""A tablet's unit goes to its crew only: sign-in on a tablet another unit holds is refused,
a token on it gives nothing of that unit to someone not on its crew, and a crew keeps its
unit for SHIFT_GRACE after its shift while offline, not longer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from server.auth.models import Device, DeviceSession, Role, User
from server.auth.services import SHIFT_GRACE
from server.calls.models import Call, CallNote
from server.extensions import db
from server.models_base import utcnow
from server.units.models import Shift, Unit
from tests.fixtures.people import PASSWORD, Session
from tests.fixtures.sync import Tablet, fact_ids, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]
LOGIN = "/api/v1/auth/login"


def _sign_in_on(client: FlaskClient, user: User, device_id: str) -> Any:
    return client.post(LOGIN, json={"username": user.username, "password": PASSWORD,
                                    "device_id": device_id})


def _device(device_id: str) -> Device:
    db.session.expire_all()
    found = db.session.get(Device, uuid.UUID(device_id))
    assert found is not None
    return found


def _end_unit_shift(unit: Unit, ago: timedelta) -> None:
    """The unit's shift ended `ago`, after 12 hours."""
    ends = utcnow() - ago
    db.session.execute(sa.update(Shift).where(Shift.unit_id == unit.id)
                       .values(starts_at=ends - timedelta(hours=12), ends_at=ends))
    db.session.commit()


def _unit_call_ids(changes: list[dict[str, Any]]) -> set[str]:
    return {c["id"] for c in changes if c["kind"] == "call"}


def test_a_responder_with_no_shift_cannot_sign_in_on_another_unit_s_tablet(
        tablet: MakeTablet, create_user: Callable[..., User], client: FlaskClient) -> None:
    heart1 = tablet()
    stranger = create_user(Role.RESPONDER_CLINICIAN)

    refused = _sign_in_on(client, stranger, heart1.session.device_id)

    assert refused.status_code == 403
    assert heart1.unit is not None
    assert heart1.unit.call_sign in refused.json["message"]
    assert "access_token" not in refused.json
    assert _device(heart1.session.device_id).unit_id == heart1.unit.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeviceSession).where(
        DeviceSession.user_id == stranger.id)) == 0


def test_a_responder_on_another_unit_s_shift_cannot_sign_in_on_a_held_tablet(
        tablet: MakeTablet, create_user: Callable[..., User], create_unit: Callable[..., Unit],
        client: FlaskClient) -> None:
    heart1 = tablet()
    heart2_responder = create_user(Role.RESPONDER_EMT, unit=create_unit())

    assert _sign_in_on(client, heart2_responder, heart1.session.device_id).status_code == 403
    assert heart1.unit is not None
    assert _device(heart1.session.device_id).unit_id == heart1.unit.id


def test_a_tablet_held_by_a_crew_just_off_shift_is_refused_to_others(
        tablet: MakeTablet, create_user: Callable[..., User], client: FlaskClient) -> None:
    heart1 = tablet()
    assert heart1.unit is not None
    _end_unit_shift(heart1.unit, SHIFT_GRACE - timedelta(hours=1))

    refused = _sign_in_on(client, create_user(Role.RESPONDER_PEER), heart1.session.device_id)

    assert refused.status_code == 403


def test_a_crew_member_is_added_on_the_unit_s_tablet(
        tablet: MakeTablet, create_user: Callable[..., User], client: FlaskClient) -> None:
    heart1 = tablet()
    partner = create_user(Role.RESPONDER_PEER, unit=heart1.unit)

    added = _sign_in_on(client, partner, heart1.session.device_id)

    assert added.status_code == 200
    assert heart1.unit is not None
    assert added.json["user"]["unit_id"] == heart1.unit.id


def test_a_tablet_no_unit_holds_any_more_goes_to_the_signer_s_unit(
        tablet: MakeTablet, create_user: Callable[..., User], create_unit: Callable[..., Unit],
        client: FlaskClient) -> None:
    heart1 = tablet()
    assert heart1.unit is not None
    _end_unit_shift(heart1.unit, SHIFT_GRACE + timedelta(hours=1))
    heart2 = create_unit()

    taken = _sign_in_on(client, create_user(Role.RESPONDER_EMT, unit=heart2),
                        heart1.session.device_id)

    assert taken.status_code == 200
    assert taken.json["user"]["unit_id"] == heart2.id
    assert _device(heart1.session.device_id).unit_id == heart2.id


def test_a_token_holder_not_on_the_crew_pulls_nothing_of_the_unit(
        create_user: Callable[..., User], create_unit: Callable[..., Unit], create_call: MakeCall,
        sign_in: Callable[..., Session]) -> None:
    stranger = sign_in(create_user(Role.RESPONDER_CLINICIAN))  # registers a spare tablet
    heart1 = create_unit()
    crew = sign_in(create_user(Role.RESPONDER_EMT, unit=heart1), device_id=stranger.device_id)
    assert _device(stranger.device_id).unit_id == heart1.id  # no unit held it: now HEART-1's
    call = create_call(heart1)
    crew_tablet = Tablet(crew, heart1)
    assert outcomes(crew_tablet.push([crew_tablet.note(call, "private to HEART-1")])) == ["applied"]

    pulled, _ = Tablet(stranger, None).pull_all()
    read = stranger.get(f"/api/v1/calls/{call.id}")
    me = stranger.get("/api/v1/auth/me")

    assert str(call.id) not in _unit_call_ids(pulled)
    assert not [c for c in pulled if c["kind"] == "call_note"]
    assert read.status_code in (403, 404)
    assert me.json["unit_id"] is None


def test_a_token_holder_not_on_the_crew_cannot_record_on_the_unit_s_calls(
        create_user: Callable[..., User], create_unit: Callable[..., Unit], create_call: MakeCall,
        sign_in: Callable[..., Session]) -> None:
    stranger = sign_in(create_user(Role.RESPONDER_CLINICIAN))
    heart1 = create_unit()
    sign_in(create_user(Role.RESPONDER_EMT, unit=heart1), device_id=stranger.device_id)
    call = create_call(heart1)
    device = Tablet(stranger, None)
    note = device.note(call, "not my unit")

    assert outcomes(device.push([note])) == ["rejected"]
    assert note["record_id"] not in fact_ids(CallNote)


def test_a_crew_member_after_the_shift_within_the_grace_still_syncs(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    assert device.unit is not None
    call = create_call(device.unit)
    _end_unit_shift(device.unit, SHIFT_GRACE - timedelta(minutes=10))

    response = device.push([device.status(call, "cleared"), device.note(call, "wrapped up")])
    pulled, _ = device.pull_all()

    assert outcomes(response) == ["applied", "applied"]
    assert str(call.id) in _unit_call_ids(pulled)


def test_a_crew_member_after_the_grace_no_longer_syncs_the_unit(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    assert device.unit is not None
    call = create_call(device.unit)
    _end_unit_shift(device.unit, SHIFT_GRACE + timedelta(minutes=10))
    note = device.note(call, "too late")

    response = device.push([note])
    pulled, _ = device.pull_all()

    assert outcomes(response) == ["rejected"]
    assert note["record_id"] not in fact_ids(CallNote)
    assert str(call.id) not in _unit_call_ids(pulled)
