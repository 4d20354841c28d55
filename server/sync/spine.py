"""Appliers for the spine's record kinds: call status and note facts, location points, and
device edits of a call's clinical fields (three-way merge, conflicts for review)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.audit.services import record_audit
from server.calls.models import Call, CallNote, CallStatus, CallStatusEvent
from server.calls.services import (
    call_to_dict,
    derive_status,
    note_call_changed,
    rederive_status,
    update_call,
)
from server.locations.models import LocationPoint
from server.sync import appliers
from server.sync.conflicts import open_conflict
from server.sync.feed import note_change, unit_scope
from server.sync.sources import LOCATION_BATCH, jsonable
from server.sync.store import SqlPushStore
from sync.clock_skew import fact_time
from sync.merge import merge_record
from sync.ops import Operation, OpResult, Outcome
from sync.push import Actor
from sync.registry import RecordKind
from sync.status import StatusFact, reached_before, withdrawal_refusal

# A state's place in the call lifecycle (CallStatus lists them in order).
LIFECYCLE_RANK = {status: rank for rank, status in enumerate(CallStatus)}

# Stands for "changed on the server since the device's base version": equal to nothing.
_CHANGED_ON_SERVER = object()


def _rejected(op: Operation, field: str, message: str) -> OpResult:
    return OpResult(op.id, op.seq, Outcome.REJECTED, op.record_id, errors={field: [message]},
                    message=message)


def _fact_row(store: SqlPushStore, op: Operation, actor: Actor,
              not_before: datetime | None) -> dict[str, Any]:
    # Ids as canonical strings (parse_operation made them so): bulk_insert copies them as
    # they are on PostgreSQL, or makes UUIDs for an INSERT.
    when = fact_time(op.device_time, actor.skew_ms, op.clock, store.received_at, not_before)
    return {
        "id": op.record_id,
        "device_id": str(actor.device_id),
        "user_id": actor.user_id,
        "device_time": op.device_time,
        "corrected_time": when.corrected,
        "time_source": when.source.value,
        "time_uncertain": when.uncertain,
        "received_at": store.received_at,  # one push, one time of receipt
        "hlc": str(op.hlc),
        "op_id": op.id,
    }


def _call_fact_row(store: SqlPushStore, op: Operation, actor: Actor, call: Call) -> dict[str, Any]:
    """A fact about a call: it cannot have happened before the call came in."""
    registered = store.device_registered_at
    not_before = call.received_at if registered is None else max(call.received_at, registered)
    return {**_fact_row(store, op, actor, not_before), "call_id": call.id}


def _call_fact(store: SqlPushStore, op: Operation,
               actor: Actor) -> tuple[Call, dict[str, Any]] | OpResult:
    """The call a status or note goes on and the fact's row, or why it may not land. The row
    names who corrected it when a supervisor re-applied it with corrected data."""
    if store.fact_exists(op.kind, op.record_id):
        return _rejected(op, "record_id", "a record with this id already exists")
    call = store.calls.get(str(uuid.UUID(op.data["call_id"])))
    if call is None or call.deleted_at is not None:
        return _rejected(op, "data.call_id", "no such call (it may have been cancelled)")
    if not store.may_record_on(call):
        return _rejected(op, "data.call_id", "this call was never assigned to your unit")
    corrector = store.corrected_by.id if store.corrected_by is not None else None
    row = {**_call_fact_row(store, op, actor, call), "corrected_by_id": corrector}
    if store.unit_id is not None and call.unit_id != store.unit_id:
        # The call left this unit (reassigned). What the crew recorded before it left lands
        # (the tablet then drops its copy); what they recorded after is the call's new
        # unit's business: rejected and kept, for a supervisor to re-apply or leave.
        if row["corrected_time"] > store.moved_away[str(call.id)] and corrector is None:
            return _rejected(op, "data.call_id", _AFTER_THE_MOVE)
        note_change(store.session, op.kind, op.record_id, [unit_scope(store.unit_id)], "remove")
    return call, row


_AFTER_THE_MOVE = ("the call was moved to another unit before this was recorded: kept for a "
                   "supervisor to review")


def _stored_status_facts(store: SqlPushStore, call: Call) -> list[StatusFact]:
    """The call's stored status facts, read once per push as plain rows: a storm of taps on
    a call with a long history loaded every event as an ORM object for each late tap."""
    key = (CallStatusEvent.__table__, call.id)
    if key not in store.memo:
        events = CallStatusEvent.__table__.c
        # Stored taps only (this push's are queued, not flushed): no flush of the calls first.
        with store.session.no_autoflush:
            rows = store.session.execute(
                sa.select(events.id, events.status, events.user_id, events.corrected_time,
                          events.time_uncertain, events.withdraws_id)
                .where(events.call_id == call.id)).all()
        store.memo[key] = [StatusFact(str(r.id), CallStatus(r.status).value, r.user_id,
                                      r.corrected_time, r.time_uncertain,
                                      str(r.withdraws_id) if r.withdraws_id is not None else None)
                           for r in rows]
    return list(store.memo[key])


def _status_facts(store: SqlPushStore, call: Call) -> list[StatusFact]:
    """The call's status facts: those stored, and those this push queued so far."""
    queued = [StatusFact(r["id"], r["status"], r["user_id"], r["corrected_time"],
                         r["time_uncertain"], r["withdraws_id"])
              for r in store.rows[CallStatusEvent.__table__] if r["call_id"] == call.id]
    return _stored_status_facts(store, call) + queued


def apply_call_status(store: SqlPushStore, kind: RecordKind, op: Operation, actor: Actor) -> OpResult:
    """A status tap: kept with its times; the call's status is the furthest state among the
    taps that stand. A tap that withdraws an earlier one is checked (sync.status) and the
    status derived again; a tap of a state the call had passed when it was made is kept,
    and answered as out of order."""
    found = _call_fact(store, op, actor)
    if isinstance(found, OpResult):
        return found
    call, row = found
    status = CallStatus(op.data["status"])
    withdraws = op.data.get("withdraws")
    target = str(uuid.UUID(withdraws)) if withdraws is not None else None
    message = ""
    if target is not None:
        facts = _status_facts(store, call)
        refusal = withdrawal_refusal(facts, target, status.value, actor.user_id,
                                     row["corrected_time"], row["time_uncertain"])
        if refusal is not None:
            return _rejected(op, refusal.field, refusal.message)
        fact = StatusFact(op.record_id, status.value, actor.user_id, row["corrected_time"],
                          row["time_uncertain"], target)
        rederive_status(call, [*facts, fact])
    elif LIFECYCLE_RANK[status] < LIFECYCLE_RANK[call.status] and (later := reached_before(
            _status_facts(store, call), status.value, row["corrected_time"])) is not None:
        message = (f"out of order: the call was already {later.replace('_', ' ')}; "
                   "kept in the record, not its current status")
    else:
        derive_status(call, [status])
    store.queue_row(CallStatusEvent.__table__,
                    {**row, "status": status.value, "withdraws_id": target})
    store.mark_fact(op.kind, op.record_id)
    note_call_changed(store.session, call)
    return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, 1, message=message)


def apply_call_note(store: SqlPushStore, kind: RecordKind, op: Operation, actor: Actor) -> OpResult:
    """A note appends; it is clinical text, so it is audited."""
    found = _call_fact(store, op, actor)
    if isinstance(found, OpResult):
        return found
    call, row = found
    store.queue_row(CallNote.__table__, {**row, "body": op.data["body"]})
    store.mark_fact(op.kind, op.record_id)
    # Who made this write: the author, or the supervisor whose corrected text it holds (the
    # re-apply's own audit entry has the text before and after the correction).
    record_audit(store.session, actor=store.corrected_by or store.author(actor),
                 device_id=uuid.UUID(actor.device_id), entity="call_note",
                 entity_id=op.record_id, action="create", before=None,
                 after={"call_id": str(call.id), "body": op.data["body"],
                        "author_id": actor.user_id, "corrected_by_id": row["corrected_by_id"]})
    note_call_changed(store.session, call)
    return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, 1)


def apply_location_point(store: SqlPushStore, kind: RecordKind, op: Operation, actor: Actor) -> OpResult:
    if store.fact_exists(op.kind, op.record_id):
        return _rejected(op, "record_id", "a record with this id already exists")
    batch_id = store.location_batch_id
    if batch_id is None and store.unit_id is not None:
        # One feed row for all the points of this push (the unit's tablets pull them all).
        batch_id = store.location_batch_id = str(uuid.uuid4())
        note_change(store.session, LOCATION_BATCH, batch_id, [unit_scope(store.unit_id)])
    row = _fact_row(store, op, actor, store.device_registered_at)
    data = op.data
    row.update(unit_id=store.unit_id, lat=data["lat"], lon=data["lon"],
               accuracy_m=data.get("accuracy_m"), batch_id=batch_id)
    store.queue_row(LocationPoint.__table__, row)
    store.mark_fact(op.kind, op.record_id)
    return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, 1)


def apply_call_update(store: SqlPushStore, kind: RecordKind, op: Operation, actor: Actor) -> OpResult:
    """Three-way merge of the device's edits from the version it saw; clashes go to review."""
    call = store.calls.get(str(uuid.UUID(op.record_id)))
    if call is None:
        return _rejected(op, "record_id", "no such call")
    if not store.may_record_on(call):
        return _rejected(op, "record_id", "this call was never assigned to your unit")
    author = store.author(actor)
    if call.deleted_at is not None:
        ids = [open_conflict(store.session, call, field, "edit_delete", value, author, actor,
                             op) for field, value in op.data.items()]
        return OpResult(op.id, op.seq, Outcome.CONFLICT, op.record_id, call.version,
                        conflict_ids=ids, message="the call was cancelled while you edited it")
    if call.unit_id is None or call.unit_id != store.unit_id:
        # Whenever it was made, an edit from the call's former unit is a supervisor's to
        # settle; the answer tells nothing of the call's state now (the version is the one
        # the device sent).
        ids = [open_conflict(store.session, call, field, "out_of_scope", value, author, actor,
                             op) for field, value in op.data.items()]
        return OpResult(op.id, op.seq, Outcome.CONFLICT, op.record_id, op.base_version,
                        conflict_ids=ids, message="the call was reassigned; a supervisor reviews")
    server = {name: getattr(call, name) for name in op.data}
    versions = call.field_versions or {}
    base = {name: (_CHANGED_ON_SERVER if versions.get(name, 0) > (op.base_version or 0)
                   else server[name]) for name in op.data}
    merged = merge_record(kind.policies, base, server, op.data, remote_hlc=op.hlc)
    conflict_ids = [open_conflict(store.session, call, name, "both_changed", op.data[name],
                                  author, actor, op) for name in merged.conflicts]
    changes = {name: merged.value[name] for name in op.data if merged.value[name] != server[name]}
    if changes:
        update_call(store.session, author, uuid.UUID(actor.device_id), call, changes)
    record = jsonable(call_to_dict(call))  # the whole state: the device replaces its copy
    return OpResult(op.id, op.seq, merged.outcome, op.record_id, call.version,
                    conflict_ids=conflict_ids, record=record)


def register_spine() -> None:
    # A status fact moves the call's derived status (computed from a stale read, a tap racing
    # a further one would move it back); a note writes nothing on the call row.
    appliers.register("call_status", apply_call_status, CallStatusEvent.__table__,
                      writes_call=True)
    appliers.register("call_note", apply_call_note, CallNote.__table__)
    appliers.register("location_point", apply_location_point, LocationPoint.__table__)
    appliers.register("call", apply_call_update, writes_call=True)
