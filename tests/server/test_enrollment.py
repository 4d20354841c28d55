"""Enrollment (who signed in online on a tablet) and crews (who is on a unit's shift, with
the grace a crew still offline after its shift gets)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from server.auth.models import DeviceSession, Role, User
from server.auth.services import SHIFT_GRACE, crew_user_ids, enrolled_user_ids, scope_unit_id
from server.extensions import db
from server.models_base import utcnow
from server.units.models import Unit

User_ = Callable[..., User]


def _sessions_of(device_id: str) -> list[DeviceSession]:
    return list(db.session.scalars(
        sa.select(DeviceSession).where(DeviceSession.device_id == uuid.UUID(device_id))))


def test_each_sign_in_on_a_device_enrolls_that_person(
        create_user: User_, sign_in: Callable[..., Any]) -> None:
    clinician, peer = create_user(Role.RESPONDER_CLINICIAN), create_user(Role.RESPONDER_PEER)
    tablet = sign_in(clinician)
    sign_in(peer, device_id=tablet.device_id)
    assert enrolled_user_ids(db.session, uuid.UUID(tablet.device_id)) == {clinician.id, peer.id}
    assert {s.user_id for s in _sessions_of(tablet.device_id)} == {clinician.id, peer.id}


def test_a_person_signed_in_elsewhere_is_not_enrolled_on_this_tablet(
        create_user: User_, sign_in: Callable[..., Any]) -> None:
    clinician, stranger = create_user(Role.RESPONDER_CLINICIAN), create_user(Role.RESPONDER_EMT)
    tablet = sign_in(clinician)
    sign_in(stranger)
    assert enrolled_user_ids(db.session, uuid.UUID(tablet.device_id)) == {clinician.id}


def test_signed_out_or_revoked_sessions_no_longer_enroll(
        create_user: User_, sign_in: Callable[..., Any]) -> None:
    clinician, peer, emt = (create_user(Role.RESPONDER_CLINICIAN), create_user(Role.RESPONDER_PEER),
                            create_user(Role.RESPONDER_EMT))
    tablet = sign_in(clinician)
    sign_in(peer, device_id=tablet.device_id)
    sign_in(emt, device_id=tablet.device_id)
    by_user = {s.user_id: s for s in _sessions_of(tablet.device_id)}
    by_user[peer.id].signed_out_at = utcnow()
    by_user[emt.id].revoked_at = utcnow()
    db.session.commit()
    assert enrolled_user_ids(db.session, uuid.UUID(tablet.device_id)) == {clinician.id}


def test_a_revoked_device_enrolls_no_one(
        create_user: User_, sign_in: Callable[..., Any], signed_in: Callable[..., Any]) -> None:
    tablet = sign_in(create_user(Role.RESPONDER_CLINICIAN))
    supervisor = signed_in(Role.SUPERVISOR)
    assert supervisor.post(f"/api/v1/devices/{tablet.device_id}/revoke",
                           json={"reason": "lost"}).status_code == 200
    assert enrolled_user_ids(db.session, uuid.UUID(tablet.device_id)) == set()


def test_an_unknown_device_enrolls_no_one(app: Any) -> None:
    assert enrolled_user_ids(db.session, uuid.uuid4()) == set()


def test_crew_is_who_is_on_the_units_shift_now(
        create_user: User_, create_unit: Callable[..., Unit], create_shift: Callable[..., Any]) -> None:
    heart1, heart2 = create_unit(), create_unit()
    crew = [create_user(Role.RESPONDER_CLINICIAN), create_user(Role.RESPONDER_PEER)]
    other = create_user(Role.RESPONDER_EMT)
    create_shift(heart1, crew)
    create_shift(heart2, [other])
    assert crew_user_ids(db.session, heart1.id, utcnow()) == {u.id for u in crew}


def test_crew_whose_shift_ended_within_the_grace_is_still_the_crew(
        create_user: User_, create_unit: Callable[..., Unit], create_shift: Callable[..., Any]) -> None:
    unit = create_unit()
    late, gone = create_user(Role.RESPONDER_CLINICIAN), create_user(Role.RESPONDER_PEER)
    create_shift(unit, [late], ended_ago=SHIFT_GRACE - timedelta(minutes=5))
    create_shift(unit, [gone], ended_ago=SHIFT_GRACE + timedelta(minutes=5))
    assert crew_user_ids(db.session, unit.id, utcnow()) == {late.id}


def test_crew_of_a_shift_not_started_yet_is_not_the_crew(
        create_user: User_, create_unit: Callable[..., Unit], create_shift: Callable[..., Any]) -> None:
    unit = create_unit()
    create_shift(unit, [create_user(Role.RESPONDER_CLINICIAN)], starts_in=timedelta(hours=1))
    assert crew_user_ids(db.session, unit.id, utcnow()) == set()


def test_crew_is_taken_at_the_time_asked_not_now(
        create_user: User_, create_unit: Callable[..., Unit], create_shift: Callable[..., Any]) -> None:
    unit = create_unit()
    night = create_user(Role.RESPONDER_CLINICIAN)
    shift = create_shift(unit, [night], ended_ago=SHIFT_GRACE * 3)
    during = shift.starts_at + timedelta(hours=1)
    assert crew_user_ids(db.session, unit.id, during) == {night.id}
    assert crew_user_ids(db.session, unit.id, shift.starts_at - timedelta(minutes=1)) == set()


def test_the_unit_on_shift_now_wins_over_the_tablet_s_unit_just_off_shift(
        create_user: User_, create_unit: Callable[..., Unit], create_shift: Callable[..., Any]) -> None:
    heart1, heart2 = create_unit(), create_unit()
    medic = create_user(Role.RESPONDER_EMT)
    create_shift(heart1, [medic], ended_ago=timedelta(hours=1))
    create_shift(heart2, [medic])

    assert scope_unit_id(db.session, medic.id, heart1.id, utcnow()) == heart2.id
    assert scope_unit_id(db.session, medic.id, None, utcnow()) == heart2.id


def test_a_tablet_s_unit_after_its_shift_goes_only_to_its_crew_within_the_grace(
        create_user: User_, create_unit: Callable[..., Unit], create_shift: Callable[..., Any]) -> None:
    heart1 = create_unit()
    late, gone, stranger = (create_user(Role.RESPONDER_EMT), create_user(Role.RESPONDER_PEER),
                            create_user(Role.RESPONDER_CLINICIAN))
    create_shift(heart1, [late], ended_ago=SHIFT_GRACE - timedelta(minutes=5))
    create_shift(heart1, [gone], ended_ago=SHIFT_GRACE + timedelta(minutes=5))
    now = utcnow()

    assert scope_unit_id(db.session, late.id, heart1.id, now) == heart1.id
    assert scope_unit_id(db.session, gone.id, heart1.id, now) is None
    assert scope_unit_id(db.session, stranger.id, heart1.id, now) is None
    assert scope_unit_id(db.session, late.id, None, now) is None
