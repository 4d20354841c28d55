"""Conflicts a person settles, on a record of any document kind: a responder their own
clash on a live record in their hands, a supervisor any (the record was deleted or left the
device's unit: the former unit no longer chooses, nor reads what the new one wrote).

One conflict per clashing field, whatever the reason (both changed, edited after deletion,
out of scope). The kind's `ConflictHooks` (server.sync.kinds) read and write its records;
conflicts themselves are the engine's own pulled kind.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import Role, User
from server.auth.permissions import CLINICAL_CONTENT_READERS
from server.changes import note_change, user_scope
from server.errors import DomainError, field_error, not_found
from server.locking import lock_row
from server.models_base import utcnow
from server.sync.kinds import KindRegistry, SyncedKind
from server.sync.models import SyncConflict
from server.sync.scope import PullScope
from server.sync.sources import Record, Source, count_of, jsonable, page
from sync.ops import Operation
from sync.push import Actor

# Who settles a conflict (SyncConflict.resolvable_by).
BY_RESPONDER = "responder"
BY_SUPERVISOR = "supervisor"
# A deleted record, or one that left the device's unit: the device's side is for review.
SUPERVISOR_REASONS = frozenset({"edit_delete", "out_of_scope"})


def is_reviewer(user: User) -> bool:
    return user.role in CLINICAL_CONTENT_READERS


def open_field_conflicts(session: Session, record_kind: str, record_id: str, reason: str,
                         op: Operation, actor: Actor, user: User, server_values: dict[str, Any],
                         changed_by_id: int | None, changed_at: datetime | None) -> list[str]:
    """Record one clash per field of `server_values` (the server's value of each field the
    op changes that clashes); the server keeps its values until someone chooses."""
    ids: list[str] = []
    for name, server_value in server_values.items():
        conflict = SyncConflict(
            id=uuid.uuid4(), record_kind=record_kind, record_id=record_id, field=name,
            reason=reason, device_value=op.data[name], server_value=server_value,
            server_changed_by_id=changed_by_id, server_changed_at=changed_at,
            op_id=uuid.UUID(op.id), device_id=uuid.UUID(actor.device_id), user_id=user.id,
            resolvable_by=BY_SUPERVISOR if reason in SUPERVISOR_REASONS else BY_RESPONDER)
        session.add(conflict)
        note_change(session, "conflict", conflict.id, [user_scope(user.id)])
        ids.append(str(conflict.id))
    return ids


def escalate_conflicts(session: Session, record_kind: str, record_id: str) -> None:
    """The record was deleted or left its unit: its open clashes go to a supervisor (the
    responder whose edit clashed no longer holds it), and their tablets hear of it."""
    found = session.scalars(sa.select(SyncConflict).where(
        SyncConflict.record_kind == record_kind, SyncConflict.record_id == record_id,
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


def resolve_conflict(session: Session, kinds: KindRegistry, actor: User,
                     device_id: uuid.UUID | None, unit_id: int | None, conflict_id: uuid.UUID,
                     choice: str, value: Any = None) -> SyncConflict:
    """Keep the server's value, take the device's, or set another; audited. A responder
    settles only their own clash on a live record in their unit's hands (`unit_id`); the
    rest is a supervisor's (403), and only a supervisor restores a deleted record."""
    reviewer = is_reviewer(actor)
    found = session.get(SyncConflict, conflict_id)
    if found is None or (not reviewer and found.user_id != actor.id):
        raise not_found("conflict")
    kind = kinds.find(found.record_kind)
    hooks = kind.conflicts if kind is not None else None
    if kind is None or hooks is None:
        raise DomainError(409, f"Conflicts on {found.record_kind} records are not settled here.")
    # The record first, then the conflict: the order a reassignment or a deletion takes
    # them in (the record, then its conflicts to escalate), so the two never deadlock.
    record = hooks.lock(session, found.record_id)
    conflict = lock_row(session, SyncConflict, conflict_id)
    assert conflict is not None  # conflicts are never deleted
    if conflict.resolved_at is not None:
        raise DomainError(409, "This conflict was already resolved.")
    if not reviewer and (conflict.resolvable_by != BY_RESPONDER or record is None
                         or not hooks.is_live(record)
                         or not hooks.may_settle(record, actor, unit_id)):
        raise DomainError(403, f"A supervisor settles this conflict: the {conflict.record_kind} "
                               "was deleted or moved to another unit.")
    if choice == "value":
        if value is None:
            raise field_error("value", "give the value to keep")
        why = _value_error(kind, conflict.field, value)
        if why:
            raise field_error("value", why)
    chosen = {"server": conflict.server_value, "device": conflict.device_value}.get(choice, value)
    if record is None:
        raise not_found(conflict.record_kind)
    if choice != "server":
        if not hooks.is_live(record) and hooks.restore is not None:
            hooks.restore(session, actor, device_id, record)  # a supervisor brings it back
        hooks.apply(session, actor, device_id, record, {conflict.field: chosen})
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


def _value_error(kind: SyncedKind, name: str, value: Any) -> str:
    """Why a value chosen by hand may not be stored in the field ("" when it may): the
    field's own spec, and no NUL in text (PostgreSQL's text holds none)."""
    spec = kind.record.field_specs.get(name) if kind.record is not None else None
    if spec is None or not spec.editable:
        return f"{name} is not a field a device edits"
    if not spec.accepts(value):
        return spec.error
    if isinstance(value, str) and "\x00" in value:
        return "must not hold NUL characters"
    return ""


def conflict_to_dict(conflict: SyncConflict, names: dict[int, str] | None = None, *,
                     reviewer: bool) -> dict[str, Any]:
    """A conflict as its reader may see it: the server's side (its value, who set it and
    when) only for a supervisor (`reviewer`) or the responder who settles it; a conflict
    for a supervisor may hold what the record's new unit wrote."""
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


# --- the pull: a person's open conflicts ------------------------------------------------------

def _conflicts_in_scope(scope: PullScope) -> sa.Select[Any]:
    return sa.select(SyncConflict).where(SyncConflict.user_id == scope.user_id,
                                         SyncConflict.resolved_at.is_(None))


def _conflict_records(session: Session, scope: PullScope,
                      conflicts: list[SyncConflict]) -> list[Record]:
    names = user_names(session, {c.server_changed_by_id for c in conflicts if c.server_changed_by_id})
    reviewer = Role(scope.role) in CLINICAL_CONTENT_READERS
    return [(str(c.id), jsonable(conflict_to_dict(c, names, reviewer=reviewer)))
            for c in conflicts]


def snapshot_conflicts(session: Session, scope: PullScope, after: str | None,
                       limit: int) -> list[Record]:
    stmt = page(_conflicts_in_scope(scope), SyncConflict.id, after, limit)
    return _conflict_records(session, scope, list(session.scalars(stmt)))


def load_conflicts(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = _conflicts_in_scope(scope).where(SyncConflict.id.in_([uuid.UUID(i) for i in ids]))
    return _conflict_records(session, scope, list(session.scalars(stmt)))


def register(kinds: KindRegistry) -> None:
    """Conflicts come last in a snapshot: after the records they are on."""
    kinds.register(SyncedKind(None, source=Source(
        "conflict", snapshot_conflicts, lambda s, scope: count_of(s, _conflicts_in_scope(scope)),
        load_conflicts)))
