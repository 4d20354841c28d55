"""Changing a person: name, role, active; every change audited (who, when, before, after)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import User
from server.errors import field_error, not_found


def get_user(session: Session, user_id: int) -> User:
    found = session.get(User, user_id)
    if found is None:
        raise not_found("person")
    return found


def _person(user: User) -> dict[str, Any]:
    return {"full_name": user.full_name, "role": str(user.role), "active": user.active}


def update_user(session: Session, actor: User, device_id: uuid.UUID | None, user: User,
                changes: dict[str, Any]) -> User:
    """Rename, change the role of, deactivate or bring back a person. An admin does not
    demote or deactivate themself (the last admin would lock everyone out). A deactivated
    person's tokens are refused from their next request (server.auth.guard)."""
    if user.id == actor.id and changes.get("active") is False:
        raise field_error("active", "you cannot deactivate your own login")
    if user.id == actor.id and changes.get("role", actor.role) != actor.role:
        raise field_error("role", "you cannot change your own role")
    before = _person(user)
    for name, value in changes.items():
        setattr(user, name, value)
    session.flush()
    record_audit(session, actor=actor, device_id=device_id, entity="user", entity_id=user.id,
                 action="update", before=before, after=_person(user))
    return user
