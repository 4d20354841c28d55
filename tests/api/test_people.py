"""People an admin runs: the list (a supervisor reads it to build crews), a new login, a
changed name or role, deactivation that refuses the person's tokens at once, each change
audited; an admin does not lock themself out; bad input names the field; no other role
changes anyone. (SQLite and PostgreSQL.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from server.audit.models import AuditEntry
from server.auth.models import Role, User
from server.extensions import db
from tests.fixtures.people import PASSWORD, Session

USERS = "/api/v1/users"


def _audit() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "user")
                                   .order_by(AuditEntry.id)))


def test_an_admin_creates_a_login_and_the_person_signs_in(
        signed_in: Callable[..., Session]) -> None:
    admin = signed_in(Role.ADMIN)
    made = admin.post(USERS, {"username": "rosa", "full_name": "Rosa Diaz",
                              "role": "responder_peer", "password": PASSWORD})
    assert made.status_code == 201, made.json
    assert (made.json["role"], made.json["active"]) == ("responder_peer", True)
    login = admin.client.post("/api/v1/auth/login",
                              json={"username": "rosa", "password": PASSWORD})
    assert login.status_code == 200


def test_a_supervisor_reads_the_list_to_build_crews_but_changes_no_one(
        signed_in: Callable[..., Session], create_user: Callable[..., User]) -> None:
    supervisor = signed_in(Role.SUPERVISOR)
    peer = create_user(Role.RESPONDER_PEER)
    listed = supervisor.get(USERS)
    assert listed.status_code == 200
    assert {"id": peer.id, "username": peer.username, "full_name": peer.full_name,
            "role": "responder_peer", "active": True} in listed.json
    assert supervisor.patch(f"{USERS}/{peer.id}", {"role": "admin"}).status_code == 403


def test_an_admin_changes_a_persons_role_and_name_and_it_is_audited(
        signed_in: Callable[..., Session], create_user: Callable[..., User]) -> None:
    admin = signed_in(Role.ADMIN)
    person = create_user(Role.RESPONDER_PEER, full_name="Sam Lee")
    changed = admin.patch(f"{USERS}/{person.id}",
                          {"role": "responder_clinician", "full_name": "Sam Lee, LCSW"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["role"], changed.json["full_name"]) == (
        "responder_clinician", "Sam Lee, LCSW")
    [entry] = _audit()
    assert (entry.action, entry.actor_id, entry.entity_id) == ("update", admin.user.id,
                                                               str(person.id))
    assert entry.before == {"full_name": "Sam Lee", "role": "responder_peer", "active": True}
    assert entry.after == {"full_name": "Sam Lee, LCSW", "role": "responder_clinician",
                           "active": True}


def test_a_deactivated_persons_tokens_are_refused_at_once_and_they_come_back(
        signed_in: Callable[..., Session]) -> None:
    admin = signed_in(Role.ADMIN)
    emt = signed_in(Role.RESPONDER_EMT)
    assert emt.get("/api/v1/auth/me").status_code == 200

    off = admin.patch(f"{USERS}/{emt.user.id}", {"active": False})

    assert off.status_code == 200, off.json
    assert off.json["active"] is False
    refused = emt.get("/api/v1/auth/me")
    assert refused.status_code == 401
    assert admin.patch(f"{USERS}/{emt.user.id}", {"active": True}).status_code == 200
    login = emt.client.post("/api/v1/auth/login",
                            json={"username": emt.user.username, "password": PASSWORD})
    assert login.status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"active": False}, "active"),
    ({"role": "supervisor"}, "role"),
])
def test_an_admin_does_not_lock_themself_out(
        signed_in: Callable[..., Session], body: dict[str, Any], field: str) -> None:
    admin = signed_in(Role.ADMIN)
    answer = admin.patch(f"{USERS}/{admin.user.id}", body)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]["json"]
    assert _audit() == []


@pytest.mark.parametrize(("body", "field"), [
    ({"role": "chief"}, "role"),
    ({"full_name": ""}, "full_name"),
    ({"full_name": "x" * 121}, "full_name"),
    ({"active": "no"}, "active"),
    ({"username": "renamed"}, "username"),
    ({"password": "new password here"}, "password"),
])
def test_a_bad_change_is_refused_naming_its_field(
        signed_in: Callable[..., Session], create_user: Callable[..., User],
        body: dict[str, Any], field: str) -> None:
    admin = signed_in(Role.ADMIN)
    person = create_user(Role.RESPONDER_PEER)
    answer = admin.patch(f"{USERS}/{person.id}", body)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["errors"]["json"]
    assert _audit() == []


def test_changing_no_such_person_is_404(signed_in: Callable[..., Session]) -> None:
    assert signed_in(Role.ADMIN).patch(f"{USERS}/999999", {"active": False}).status_code == 404


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_an_admin_changes_people(signed_in: Callable[..., Session],
                                      create_user: Callable[..., User], role: Role) -> None:
    person = create_user(Role.RESPONDER_PEER)
    answer = signed_in(role).patch(f"{USERS}/{person.id}", {"active": False})
    assert answer.status_code == 403
    assert _audit() == []
