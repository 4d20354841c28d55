"""Conflicts a person settles, and rejected operations a supervisor corrects and re-applies."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import Role, User
from server.calls.models import Call
from server.errors import DomainError, field_error, not_found
from server.models_base import utcnow
from server.sync.feed import note_change, user_scope
from server.sync.models import SyncConflict
from sync.kinds import CALL_EDITABLE
from sync.ops import Operation
from sync.push import Actor

REVIEWERS = frozenset({Role.SUPERVISOR, Role.ADMIN})


def open_conflict(session: Session, call: Call, field: str, reason: str, device_value: Any,
                  user: User, actor: Actor, op: Operation) -> str:
    """Record a clash; the server keeps its value until someone chooses."""
    conflict = SyncConflict(
        id=uuid.uuid4(), record_kind="call", record_id=str(call.id), field=field, reason=reason,
        device_value=device_value, server_value=getattr(call, field, None),
        server_changed_by_id=call.updated_by_id, server_changed_at=call.updated_at,
        op_id=uuid.UUID(op.id), device_id=uuid.UUID(actor.device_id), user_id=user.id)
    session.add(conflict)
    note_change(session, "conflict", conflict.id, [user_scope(user.id)])
    return str(conflict.id)


def list_conflicts(session: Session, actor: User, include_resolved: bool) -> list[SyncConflict]:
    stmt = sa.select(SyncConflict).order_by(SyncConflict.opened_at.desc())
    if actor.role not in REVIEWERS:
        stmt = stmt.where(SyncConflict.user_id == actor.id)
    if not include_resolved:
        stmt = stmt.where(SyncConflict.resolved_at.is_(None))
    return list(session.scalars(stmt))


def resolve_conflict(session: Session, actor: User, device_id: uuid.UUID | None,
                     conflict_id: uuid.UUID, choice: str, value: Any = None) -> SyncConflict:
    """Keep the server's value, take the device's, or set another; audited."""
    from server.calls.services import update_call

    conflict = session.get(SyncConflict, conflict_id)
    if conflict is None or (actor.role not in REVIEWERS and conflict.user_id != actor.id):
        raise not_found("conflict")
    if conflict.resolved_at is not None:
        raise DomainError(409, "This conflict was already resolved.")
    if choice == "value" and value is None:
        raise field_error("value", "give the value to keep")
    limit = CALL_EDITABLE.get(conflict.field, 0)
    if choice == "value" and (len(value) > limit or "\x00" in value):
        raise field_error("value", f"text of at most {limit} characters, without NUL")
    chosen = {"server": conflict.server_value, "device": conflict.device_value}.get(choice, value)
    call = session.get(Call, uuid.UUID(conflict.record_id))
    if call is None:
        raise not_found("call")
    if choice != "server":
        if call.deleted_at is not None:
            call.deleted_at = None  # the person chose to restore a cancelled call's record
        update_call(session, actor, device_id, call, {conflict.field: chosen})
    conflict.resolved_at = utcnow()
    conflict.resolved_by_id = actor.id
    conflict.resolution = choice
    conflict.resolved_value = chosen
    record_audit(session, actor=actor, device_id=device_id, entity="sync_conflict",
                 entity_id=conflict.id, action="resolve",
                 before={"server_value": conflict.server_value, "device_value": conflict.device_value},
                 after={"choice": choice, "value": chosen})
    if conflict.user_id is not None:
        note_change(session, "conflict", conflict.id, [user_scope(conflict.user_id)], "delete")
    session.flush()
    return conflict


def conflict_to_dict(conflict: SyncConflict, names: dict[int, str] | None = None) -> dict[str, Any]:
    names = names or {}
    return {
        "id": str(conflict.id), "record_kind": conflict.record_kind,
        "record_id": conflict.record_id, "field": conflict.field, "reason": conflict.reason,
        "device_value": conflict.device_value, "server_value": conflict.server_value,
        "server_changed_by": names.get(conflict.server_changed_by_id or 0),
        "server_changed_at": conflict.server_changed_at, "opened_at": conflict.opened_at,
        "resolved_at": conflict.resolved_at, "resolution": conflict.resolution,
        "user_id": conflict.user_id,
    }


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all())
