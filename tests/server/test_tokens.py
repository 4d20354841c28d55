"""Sign-out ends the device session; refresh tokens rotate on use, a reused one ends the
session, and the one just rotated away may be retried for a short grace (a lost answer)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_jwt_extended import create_access_token, decode_token

from server.auth.models import DeviceSession, Role, User
from server.auth.services import REFRESH_RETRY_GRACE, enrolled_user_ids
from server.extensions import db
from server.models_base import utcnow
from tests.fixtures.people import Session

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def _refresh(client: FlaskClient, token: str) -> Any:
    return client.post(REFRESH, headers={"Authorization": f"Bearer {token}"})


def _me(client: FlaskClient, access: str) -> int:
    return client.get(ME, headers={"Authorization": f"Bearer {access}"}).status_code


def _device_session(token: str) -> DeviceSession:
    db.session.expire_all()
    found = db.session.get(DeviceSession, uuid.UUID(decode_token(token)["sid"]))
    assert found is not None
    return found


def test_sign_out_refuses_that_sign_in_s_access_and_refresh_tokens(
        signed_in: Callable[..., Session]) -> None:
    tablet = signed_in(Role.RESPONDER_CLINICIAN)

    signed_out = tablet.post(LOGOUT)
    me = tablet.get(ME)
    refreshed = _refresh(tablet.client, tablet.refresh_token)

    assert signed_out.status_code == 204
    assert me.status_code == 401
    assert me.json["action"] == "login"
    assert refreshed.status_code == 401
    assert refreshed.json["action"] == "login"
    assert _device_session(tablet.refresh_token).signed_out_at is not None


def test_signing_out_on_a_shared_tablet_ends_only_that_person_s_sign_in(
        create_user: Callable[..., User], sign_in: Callable[..., Session]) -> None:
    clinician = sign_in(create_user(Role.RESPONDER_CLINICIAN))
    peer = sign_in(create_user(Role.RESPONDER_PEER), device_id=clinician.device_id)

    assert peer.post(LOGOUT).status_code == 204

    assert clinician.get(ME).status_code == 200
    assert peer.get(ME).status_code == 401
    assert enrolled_user_ids(db.session, uuid.UUID(clinician.device_id)) == {clinician.user.id}


def test_refresh_hands_out_a_new_refresh_token_that_works_in_turn(
        signed_in: Callable[..., Session]) -> None:
    tablet = signed_in(Role.RESPONDER_EMT)

    first = _refresh(tablet.client, tablet.refresh_token)
    second = _refresh(tablet.client, first.json["refresh_token"])

    assert first.status_code == 200
    assert first.json["refresh_token"] != tablet.refresh_token
    assert second.status_code == 200
    assert _me(tablet.client, second.json["access_token"]) == 200


def test_a_reused_old_refresh_token_ends_the_sign_in(signed_in: Callable[..., Session]) -> None:
    tablet = signed_in(Role.RESPONDER_EMT)
    second = _refresh(tablet.client, tablet.refresh_token).json
    third = _refresh(tablet.client, second["refresh_token"]).json

    stolen = _refresh(tablet.client, tablet.refresh_token)

    assert stolen.status_code == 401
    assert stolen.json["action"] == "login"
    assert _refresh(tablet.client, third["refresh_token"]).status_code == 401
    assert _me(tablet.client, third["access_token"]) == 401
    assert _device_session(tablet.refresh_token).revoked_at is not None


def test_a_retried_refresh_whose_answer_was_lost_gets_a_fresh_rotation(
        signed_in: Callable[..., Session]) -> None:
    tablet = signed_in(Role.RESPONDER_PEER)
    lost = _refresh(tablet.client, tablet.refresh_token)  # the answer never reached the tablet

    retried = _refresh(tablet.client, tablet.refresh_token)
    next_time = _refresh(tablet.client, retried.json["refresh_token"])

    assert lost.status_code == 200
    assert retried.status_code == 200
    assert retried.json["refresh_token"] not in (tablet.refresh_token, lost.json["refresh_token"])
    assert next_time.status_code == 200
    assert _me(tablet.client, next_time.json["access_token"]) == 200


def test_the_previous_refresh_token_after_the_grace_ends_the_sign_in(
        signed_in: Callable[..., Session]) -> None:
    tablet = signed_in(Role.RESPONDER_PEER)
    rotated = _refresh(tablet.client, tablet.refresh_token).json
    db.session.execute(sa.update(DeviceSession).values(
        rotated_at=utcnow() - REFRESH_RETRY_GRACE - timedelta(minutes=1)))
    db.session.commit()

    late = _refresh(tablet.client, tablet.refresh_token)

    assert late.status_code == 401
    assert late.json["action"] == "login"
    assert _refresh(tablet.client, rotated["refresh_token"]).status_code == 401


def test_a_rotated_refresh_token_ends_when_the_sign_in_s_first_one_did(
        signed_in: Callable[..., Session]) -> None:
    tablet = signed_in(Role.RESPONDER_CLINICIAN)

    rotated = _refresh(tablet.client, tablet.refresh_token).json["refresh_token"]

    assert abs(decode_token(rotated)["exp"] - decode_token(tablet.refresh_token)["exp"]) <= 1


def test_a_token_from_no_device_session_is_refused(
        app: Any, signed_in: Callable[..., Session]) -> None:
    tablet = signed_in(Role.DISPATCHER)
    sessionless = create_access_token(str(tablet.user.id),
                                      additional_claims={"device": tablet.device_id})

    answer = tablet.client.get(ME, headers={"Authorization": f"Bearer {sessionless}"})

    assert answer.status_code == 401
    assert answer.json["action"] == "login"


def test_a_token_naming_another_person_s_device_session_is_refused(
        app: Any, create_user: Callable[..., User], sign_in: Callable[..., Session]) -> None:
    clinician = sign_in(create_user(Role.RESPONDER_CLINICIAN))
    other = sign_in(create_user(Role.RESPONDER_PEER))
    borrowed = create_access_token(str(other.user.id), additional_claims={
        "device": other.device_id, "sid": decode_token(clinician.access_token)["sid"]})

    assert _me(clinician.client, borrowed) == 401


def test_revoking_a_device_ends_every_sign_in_on_it(
        create_user: Callable[..., User], sign_in: Callable[..., Session],
        signed_in: Callable[..., Session]) -> None:
    clinician = sign_in(create_user(Role.RESPONDER_CLINICIAN))
    sign_in(create_user(Role.RESPONDER_PEER), device_id=clinician.device_id)

    assert signed_in(Role.SUPERVISOR).post(
        f"/api/v1/devices/{clinician.device_id}/revoke", json={"reason": "lost"}).status_code == 200

    db.session.expire_all()
    ended = db.session.scalars(sa.select(DeviceSession.revoked_at).where(
        DeviceSession.device_id == uuid.UUID(clinician.device_id))).all()
    assert len(ended) == 2
    assert all(ended)
