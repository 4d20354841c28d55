"""Sign-in, tokens bound to devices, revocation and the login throttle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask_jwt_extended import create_access_token

from server.auth.models import Role, User
from tests.fixtures.people import PASSWORD


def test_first_sign_in_registers_the_device_and_tokens_work(signed_in: Callable[..., Any]) -> None:
    session = signed_in(Role.DISPATCHER)
    me = session.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json["device_id"] == session.device_id
    assert me.json["role"] == "dispatcher"


def test_revoked_device_gets_401_with_wipe_on_next_request(signed_in: Callable[..., Any]) -> None:
    tablet = signed_in(Role.RESPONDER_EMT)
    supervisor = signed_in(Role.SUPERVISOR)
    assert supervisor.post(f"/api/v1/devices/{tablet.device_id}/revoke",
                           json={"reason": "lost"}).status_code == 200
    response = tablet.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json["action"] == "wipe"
    refreshed = tablet.client.post("/api/v1/auth/refresh",
                                   headers={"Authorization": f"Bearer {tablet.refresh_token}"})
    assert refreshed.status_code == 401
    assert refreshed.json["action"] == "wipe"


def test_sign_in_on_a_revoked_device_is_refused_with_wipe(
        signed_in: Callable[..., Any], client: Any) -> None:
    tablet = signed_in(Role.RESPONDER_PEER)
    signed_in(Role.SUPERVISOR).post(f"/api/v1/devices/{tablet.device_id}/revoke",
                                    json={"reason": "lost"})
    response = client.post("/api/v1/auth/login", json={
        "username": tablet.user.username, "password": PASSWORD, "device_id": tablet.device_id})
    assert response.status_code == 401
    assert response.json["action"] == "wipe"


def test_expired_access_token_asks_for_refresh_and_refresh_works(
        app: Any, signed_in: Callable[..., Any]) -> None:
    session = signed_in(Role.RESPONDER_CLINICIAN)
    expired = create_access_token(str(session.user.id), expires_delta=timedelta(seconds=-1),
                                  additional_claims={"device": session.device_id})
    response = session.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json["action"] == "refresh"
    refreshed = session.client.post("/api/v1/auth/refresh",
                                    headers={"Authorization": f"Bearer {session.refresh_token}"})
    assert refreshed.status_code == 200
    new = refreshed.json["access_token"]
    me = session.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {new}"})
    assert me.status_code == 200


def test_wrong_password_is_401_and_repeated_failures_are_throttled(
        create_user: Callable[..., User], client: Any) -> None:
    user = create_user(Role.DISPATCHER)
    wrong = {"username": user.username, "password": "nope"}
    codes = [client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(5)]
    assert codes == [401] * 5
    right = {"username": user.username, "password": PASSWORD}
    throttled = client.post("/api/v1/auth/login", json=right)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0


def test_password_is_stored_with_argon2(create_user: Callable[..., User]) -> None:
    user = create_user(Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
