"""Devices: named when registered, renamed by a supervisor, listed with who and when, and
revoked as lost (refused at once, wiped) or retired (sends what it holds, then wipes)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_jwt_extended import create_refresh_token

from server.auth.models import Device, Role, User
from server.auth.services import LAST_SEEN_RESOLUTION, default_device_name
from server.extensions import db
from server.locations.models import LocationPoint
from server.models_base import utcnow
from tests.fixtures.people import PASSWORD, Session
from tests.fixtures.sync import PULL, Tablet, count_rows, outcomes

MakeTablet = Callable[..., Tablet]
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/120.0.0.0 Safari/537.36")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.1 Mobile/15E148 Safari/604.1")


def revoke(supervisor: Session, device_id: str, reason: Any) -> Any:
    return supervisor.post(f"/api/v1/devices/{device_id}/revoke", json={"reason": reason})


def stored_device(device_id: str) -> Device:
    db.session.expire_all()
    device = db.session.get(Device, uuid.UUID(device_id))
    assert device is not None
    return device


def listed(supervisor: Session, device_id: str) -> dict[str, Any]:
    answer = supervisor.get("/api/v1/devices")
    assert answer.status_code == 200, answer.json
    [row] = [d for d in answer.json if d["id"] == device_id]
    return dict(row)


# --- revoked as lost -----------------------------------------------------------------------

def test_a_lost_tablet_is_refused_at_once_and_told_to_wipe(
        tablet: MakeTablet, supervisor: Session) -> None:
    device = tablet()
    answer = revoke(supervisor, device.session.device_id, "lost")
    assert answer.status_code == 200, answer.json
    assert answer.json["revocation_reason"] == "lost"

    pushed = device.push([device.point()], expect=401)
    pulled = device.session.get(PULL)
    refreshed = device.session.client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {device.session.refresh_token}"})

    assert pushed.json["action"] == "wipe"
    assert "lost or stolen" in pushed.json["message"]
    assert (pulled.status_code, pulled.json["action"]) == (401, "wipe")
    assert (refreshed.status_code, refreshed.json["action"]) == (401, "wipe")
    assert count_rows(LocationPoint) == 0
    stored = stored_device(device.session.device_id)
    assert stored.revoked_by_id == supervisor.user.id
    assert stored.revoked_at is not None


def test_sign_in_on_a_lost_tablet_is_refused_with_wipe(
        tablet: MakeTablet, supervisor: Session, client: FlaskClient) -> None:
    device = tablet()
    revoke(supervisor, device.session.device_id, "lost")
    answer = client.post("/api/v1/auth/login", json={
        "username": device.user.username, "password": PASSWORD,
        "device_id": device.session.device_id})
    assert (answer.status_code, answer.json["action"]) == (401, "wipe")


# --- revoked as retired --------------------------------------------------------------------

def test_a_retired_tablet_may_push_what_it_holds_but_not_pull(
        tablet: MakeTablet, supervisor: Session) -> None:
    device = tablet()
    assert revoke(supervisor, device.session.device_id, "retired").status_code == 200

    pulled = device.session.get(PULL)
    me = device.session.get("/api/v1/auth/me")
    pushed = device.push([device.point(), device.point()])

    assert (pulled.status_code, pulled.json["action"]) == (401, "retire")
    assert "retired" in pulled.json["message"]
    assert (me.status_code, me.json["action"]) == (401, "retire")
    assert outcomes(pushed) == ["applied", "applied"]
    assert count_rows(LocationPoint) == 2


def test_a_retired_tablet_refreshes_its_token_to_push(
        tablet: MakeTablet, supervisor: Session) -> None:
    device = tablet()
    revoke(supervisor, device.session.device_id, "retired")
    refreshed = device.session.client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {device.session.refresh_token}"})
    assert refreshed.status_code == 200, refreshed.json
    device.session.access_token = refreshed.json["access_token"]
    assert outcomes(device.push([device.point()])) == ["applied"]


def test_a_retired_tablet_whose_sign_in_expired_is_told_to_retire_not_to_refresh(
        app: Any, tablet: MakeTablet, supervisor: Session) -> None:
    device = tablet()
    revoke(supervisor, device.session.device_id, "retired")
    expired = create_refresh_token(str(device.user.id), expires_delta=timedelta(seconds=-1),
                                   additional_claims={"device": device.session.device_id})
    answer = device.session.client.post("/api/v1/auth/refresh",
                                        headers={"Authorization": f"Bearer {expired}"})
    assert (answer.status_code, answer.json["action"]) == (401, "retire")


def test_once_a_retired_tablet_signs_out_nothing_more_is_taken_from_it(
        tablet: MakeTablet, supervisor: Session, sign_in: Callable[..., Session],
        create_user: Callable[..., User]) -> None:
    device = tablet()
    second = sign_in(create_user(Role.RESPONDER_PEER, unit=device.unit),
                     device_id=device.session.device_id)
    revoke(supervisor, device.session.device_id, "retired")
    assert outcomes(device.push([device.point()])) == ["applied"]

    assert device.session.post("/api/v1/auth/logout").status_code == 204

    # Every sign-in on the tablet ended, not only the one that sent the last entries.
    for session in (device.session, second):
        refused = session.post("/api/v1/sync/push", json={
            "protocol_version": 2, "device_time": utcnow().isoformat(), "ops": [device.point()]})
        assert (refused.status_code, refused.json["action"]) == (401, "login")
    assert count_rows(LocationPoint) == 1


def test_sign_in_on_a_retired_tablet_is_refused_with_retire(
        tablet: MakeTablet, supervisor: Session, client: FlaskClient) -> None:
    device = tablet()
    revoke(supervisor, device.session.device_id, "retired")
    answer = client.post("/api/v1/auth/login", json={
        "username": device.user.username, "password": PASSWORD,
        "device_id": device.session.device_id})
    assert (answer.status_code, answer.json["action"]) == (401, "retire")


def test_a_retired_tablet_found_lost_is_revoked_as_lost_but_a_lost_one_is_never_retired(
        tablet: MakeTablet, supervisor: Session) -> None:
    retired, lost = tablet(), tablet()
    revoke(supervisor, retired.session.device_id, "retired")
    assert revoke(supervisor, retired.session.device_id, "lost").json["revocation_reason"] == "lost"
    assert retired.push([retired.point()], expect=401).json["action"] == "wipe"

    revoke(supervisor, lost.session.device_id, "lost")
    refused = revoke(supervisor, lost.session.device_id, "retired")
    assert refused.status_code == 409
    assert "reason" in refused.json["errors"]["json"]
    assert stored_device(lost.session.device_id).revocation_reason == "lost"


@pytest.mark.parametrize("body", [{}, {"reason": "broken"}, {"reason": None}, {"reason": 1},
                                  {"reason": "LOST"}])
def test_a_revocation_without_a_known_reason_is_422_naming_reason_and_revokes_nothing(
        tablet: MakeTablet, supervisor: Session, body: dict[str, Any]) -> None:
    device = tablet()
    answer = supervisor.post(f"/api/v1/devices/{device.session.device_id}/revoke", json=body)
    assert answer.status_code == 422
    assert list(answer.json["errors"]["json"]) == ["reason"]
    assert stored_device(device.session.device_id).revoked_at is None


def test_revoking_an_unknown_device_is_404(supervisor: Session) -> None:
    assert revoke(supervisor, str(uuid.uuid4()), "lost").status_code == 404


# --- names ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("user_agent", "name"), [
    (ANDROID_TABLET, "Chrome on Android (SM-X200)"),
    (IPAD, "Mobile Safari on iOS (iPad)"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/156.0.0.0 Safari/537.36", "Chrome on Linux"),
    ("", "Tablet"),
    (None, "Tablet"),
    ("Werkzeug/3.1", "Tablet"),
])
def test_a_device_is_named_after_its_browser_and_system(user_agent: str | None,
                                                        name: str) -> None:
    assert default_device_name(user_agent) == name


def test_a_new_tablet_takes_the_name_given_at_sign_in_else_its_browsers(
        create_user: Callable[..., User], client: FlaskClient) -> None:
    named_by, unnamed_by = create_user(), create_user()
    named = client.post("/api/v1/auth/login", json={
        "username": named_by.username, "password": PASSWORD, "device_name": "  Van 3 tablet "})
    unnamed = client.post("/api/v1/auth/login", headers={"User-Agent": ANDROID_TABLET}, json={
        "username": unnamed_by.username, "password": PASSWORD})
    assert stored_device(named.json["device_id"]).name == "Van 3 tablet"
    assert stored_device(unnamed.json["device_id"]).name == "Chrome on Android (SM-X200)"


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "Van 3\ntablet", "Van\x003", 7])
def test_a_bad_device_name_at_sign_in_is_422_naming_device_name(
        create_user: Callable[..., User], client: FlaskClient, name: Any) -> None:
    user = create_user()
    answer = client.post("/api/v1/auth/login", json={
        "username": user.username, "password": PASSWORD, "device_name": name})
    assert answer.status_code == 422
    assert list(answer.json["errors"]["json"]) == ["device_name"]
    assert count_rows(Device) == 0


def test_a_supervisor_renames_a_tablet(tablet: MakeTablet, supervisor: Session) -> None:
    device = tablet()
    answer = supervisor.patch(f"/api/v1/devices/{device.session.device_id}",
                              json={"name": " Van 3 tablet "})
    assert answer.status_code == 200, answer.json
    assert answer.json["name"] == "Van 3 tablet"
    assert stored_device(device.session.device_id).name == "Van 3 tablet"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "  "}, {"name": "x" * 121},
                                  {"name": "two\nlines"}, {"name": None}, {"name": 3}])
def test_a_bad_new_name_is_422_naming_name_and_changes_nothing(
        tablet: MakeTablet, supervisor: Session, body: dict[str, Any]) -> None:
    device = tablet()
    before = stored_device(device.session.device_id).name
    answer = supervisor.patch(f"/api/v1/devices/{device.session.device_id}", json=body)
    assert answer.status_code == 422
    assert list(answer.json["errors"]["json"]) == ["name"]
    assert stored_device(device.session.device_id).name == before


def test_renaming_an_unknown_device_is_404(supervisor: Session) -> None:
    answer = supervisor.patch(f"/api/v1/devices/{uuid.uuid4()}", json={"name": "Van 3"})
    assert answer.status_code == 404


@pytest.mark.parametrize("role", [Role.RESPONDER_EMT, Role.DISPATCHER, Role.PROGRAM_LEAD])
def test_only_supervision_lists_renames_and_revokes_devices(
        tablet: MakeTablet, signed_in: Callable[..., Session], role: Role) -> None:
    device = tablet()
    before = stored_device(device.session.device_id).name
    other = signed_in(role)
    url = f"/api/v1/devices/{device.session.device_id}"
    assert other.get("/api/v1/devices").status_code == 403
    assert other.patch(url, json={"name": "Mine now"}).status_code == 403
    assert other.post(f"{url}/revoke", json={"reason": "lost"}).status_code == 403
    stored = stored_device(device.session.device_id)
    assert (stored.name, stored.revoked_at) == (before, None)


# --- the list ------------------------------------------------------------------------------

def test_the_list_shows_name_unit_last_person_last_seen_and_revocation(
        tablet: MakeTablet, supervisor: Session, sign_in: Callable[..., Session],
        create_user: Callable[..., User]) -> None:
    device = tablet()
    later = create_user(Role.RESPONDER_PEER, unit=device.unit, full_name="Rosa Peer")
    sign_in(later, device_id=device.session.device_id)
    supervisor.patch(f"/api/v1/devices/{device.session.device_id}", json={"name": "Van 3 tablet"})

    row = listed(supervisor, device.session.device_id)
    assert row["name"] == "Van 3 tablet"
    assert (row["unit_id"], row["unit_call_sign"]) == (device.unit.id, device.unit.call_sign)
    assert (row["user_id"], row["last_user_id"], row["last_user_name"]) == (
        device.user.id, later.id, "Rosa Peer")
    assert row["last_seen_at"] is not None
    assert (row["revoked_at"], row["revoked_by_id"], row["revoked_by_name"],
            row["revocation_reason"]) == (None, None, None, None)

    revoke(supervisor, device.session.device_id, "retired")
    row = listed(supervisor, device.session.device_id)
    assert row["revoked_at"] is not None
    assert (row["revoked_by_id"], row["revoked_by_name"], row["revocation_reason"]) == (
        supervisor.user.id, supervisor.user.full_name, "retired")


def test_any_authenticated_request_marks_the_device_seen_at_most_once_a_minute(
        tablet: MakeTablet) -> None:
    device = tablet()
    device_uuid = uuid.UUID(device.session.device_id)
    stale = utcnow() - LAST_SEEN_RESOLUTION - timedelta(seconds=1)
    db.session.execute(sa.update(Device).where(Device.id == device_uuid)
                       .values(last_seen_at=stale))
    db.session.commit()

    assert device.session.get(PULL).status_code == 200  # a read alone: its mark is kept
    seen = stored_device(device.session.device_id).last_seen_at
    assert seen is not None
    assert seen > stale
    assert device.session.get("/api/v1/auth/me").status_code == 200
    assert stored_device(device.session.device_id).last_seen_at == seen  # seconds later: no write
