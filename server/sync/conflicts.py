"""Conflicts a person settles: a responder their own clash on their unit's live call, a
supervisor any (the call was cancelled or moved to another unit: the former unit no longer
chooses, nor reads what the call's new unit wrote)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import User
from server.auth.permissions import CLINICAL_CONTENT_READERS
from server.calls.models import Call
from server.errors import DomainError, field_error, not_found
from server.locking import lock_row
from server.models_base import utcnow
from server.sync.feed import note_change, user_scope
from server.sync.models import SyncConflict
from sync.kinds import CALL
from sync.ops import Operation
from sync.push import Actor

# Who settles a conflict (SyncConflict.resolvable_by).
BY_RESPONDER = "responder"
BY_SUPERVISOR = "supervisor"
# A cancelled call, or one that left the device's unit: the device's side is for review.
SUPERVISOR_REASONS = frozenset({"edit_delete", "out_of_scope"})


def is_reviewer(user: User) -> bool:
    return user.role in CLINICAL_CONTENT_READERS


def open_conflict(session: Session, call: Call, field: str, reason: str, device_value: Any,
                  user: User, actor: Actor, op: Operation) -> str:
    """Record a clash; the server keeps its value until someone chooses."""
    conflict = SyncConflict(
        id=uuid.uuid4(), record_kind="call", record_id=str(call.id), field=field, reason=reason,
        device_value=device_value, server_value=getattr(call, field, None),
        server_changed_by_id=call.updated_by_id, server_changed_at=call.updated_at,
        op_id=uuid.UUID(op.id), device_id=uuid.UUID(actor.device_id), user_id=user.id,
        resolvable_by=BY_SUPERVISOR if reason in SUPERVISOR_REASONS else BY_RESPONDER)
    session.add(conflict)
    note_change(session, "conflict", conflict.id, [user_scope(user.id)])
    return str(conflict.id)


def escalate_conflicts(session: Session, call: Call) -> None:
    """The call was cancelled or left its unit: its open clashes go to a supervisor (the
    responder whose edit clashed no longer holds the call), and their tablets hear of it."""
    found = session.scalars(sa.select(SyncConflict).where(
        SyncConflict.record_kind == "call", SyncConflict.record_id == str(call.id),
        SyncConflict.resolved_at.is_(None), SyncConflict.resolvable_by != BY_SUPERVISOR))
    for conflict in found:
        conflict.resolvable_by = BY_SUPERVISOR
        if conflict.user_id is not None:
            note_change(session, "conflict", conflict.id, [user_scope(conflict.user_id)])


def list_conflicts(session: Session, actor: User, include_resolved: bool) -> list[dict[str, Any]]:
    """Open (or all) conflicts as the actor may read them: a supervisor everyone's, anyone
    else their own."""
    stmt = sa.select(SyncConflict).order_by(SyncConflict.opened_at.desc())
    if not is_reviewer(actor):
        stmt = stmt.where(SyncConflict.user_id == actor.id)
    if not include_resolved:
        stmt = stmt.where(SyncConflict.resolved_at.is_(None))
    found = list(session.scalars(stmt))
    names = user_names(session, {c.server_changed_by_id for c in found if c.server_changed_by_id})
    return [conflict_to_dict(c, names, reviewer=is_reviewer(actor)) for c in found]


def resolve_conflict(session: Session, actor: User, device_id: uuid.UUID | None,
                     unit_id: int | None, conflict_id: uuid.UUID, choice: str,
                     value: Any = None) -> SyncConflict:
    """Keep the server's value, take the device's, or set another; audited. A responder
    settles only their own clash on a live call of their unit (`unit_id`); the rest is a
    supervisor's (403), and only a supervisor restores a cancelled call."""
    from server.calls.services import clinical_snapshot, update_call

    reviewer = is_reviewer(actor)
    found = session.get(SyncConflict, conflict_id)
    if found is None or (not reviewer and found.user_id != actor.id):
        raise not_found("conflict")
    # The call first, then the conflict: the order a reassignment or a cancellation takes
    # them in (the call, then its conflicts to escalate), so the two never deadlock.
    call = lock_row(session, Call, uuid.UUID(found.record_id))
    conflict = lock_row(session, SyncConflict, conflict_id)
    assert conflict is not None  # conflicts are never deleted
    if conflict.resolved_at is not None:
        raise DomainError(409, "This conflict was already resolved.")
    if not reviewer and (conflict.resolvable_by != BY_RESPONDER or call is None
                         or call.deleted_at is not None or call.unit_id != unit_id):
        raise DomainError(403, "A supervisor settles this conflict: the call was cancelled "
                               "or moved to another unit.")
    if choice == "value" and value is None:
        raise field_error("value", "give the value to keep")
    spec = CALL.field_specs.get(conflict.field)
    limit = 0 if spec is None or not spec.editable else spec.max_length or 0
    if choice == "value" and (len(value) > limit or "\x00" in value):
        raise field_error("value", f"text of at most {limit} characters, without NUL")
    chosen = {"server": conflict.server_value, "device": conflict.device_value}.get(choice, value)
    if call is None:
        raise not_found("call")
    if choice != "server":
        if call.deleted_at is not None:  # a supervisor chose to restore a cancelled call
            call.deleted_at = None
            record_audit(session, actor=actor, device_id=device_id, entity="call",
                         entity_id=call.id, action="restore", before=None,
                         after=clinical_snapshot(call))
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


def conflict_to_dict(conflict: SyncConflict, names: dict[int, str] | None = None, *,
                     reviewer: bool) -> dict[str, Any]:
    """A conflict as its reader may see it: the server's side (its value, who set it and
    when) only for a supervisor (`reviewer`) or the responder who settles it; a conflict
    for a supervisor may hold what the call's new unit wrote."""
    names = names or {}
    shown = reviewer or conflict.resolvable_by == BY_RESPONDER
    return {
        "id": str(conflict.id), "record_kind": conflict.record_kind,
        "record_id": conflict.record_id, "field": conflict.field, "reason": conflict.reason,
        "device_value": conflict.device_value,
        "server_value": conflict.server_value if shown else None,
        "server_changed_by": names.get(conflict.server_changed_by_id or 0) if shown else None,
        "server_changed_at": conflict.server_changed_at if shown else None,
        "opened_at": conflict.opened_at, "resolved_at": conflict.resolved_at,
        "resolution": conflict.resolution, "resolvable_by": conflict.resolvable_by,
        "user_id": conflict.user_id,
    }


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids))).all())
