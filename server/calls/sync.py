"""The call's synced kinds: the call document (device edits of its clinical fields, merged
three ways, clashes for review), its status and note facts, and the premise that travels
with it. Registered into the app's synced kinds (`server.sync.kinds`) from SYNC_KINDS.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from server.audit.services import record_audit
from server.auth.models import User
from server.calls.kinds import CALL, CALL_NOTE, CALL_STATUS
from server.calls.models import (
    Call,
    CallNote,
    CallStatus,
    CallStatusEvent,
    Premise,
    refresh_stage_times,
)
from server.calls.services import (
    call_to_dict,
    clinical_snapshot,
    derive_status,
    note_call_changed,
    note_to_dict,
    premise_history,
    premise_summaries,
    premise_to_dict,
    rederive_status,
    status_events_to_dicts,
    update_call,
    withdrawals_of,
)
from server.calls.status import StatusFact, reached_before, withdrawal_refusal
from server.changes import note_change, unit_scope
from server.dispositions.services import UNKNOWN_CODE, unknown_code
from server.locking import lock_row, lock_rows
from server.stream.audience import Audience
from server.stream.services import publish
from server.sync.conflicts import open_field_conflicts
from server.sync.kinds import ConflictHooks, KindRegistry, SyncedKind, fact_row, rejected
from server.sync.models import ChangeLogEntry
from server.sync.scope import PullScope
from server.sync.sources import Record, Source, count_of, jsonable, page, pushed_by_device
from server.sync.store import SqlPushStore
from sync.merge import merge_edit
from sync.ops import Operation, OpResult, Outcome
from sync.push import Actor
from sync.registry import RecordKind

# A state's place in the call lifecycle (CallStatus lists them in order).
LIFECYCLE_RANK = {status: rank for rank, status in enumerate(CallStatus)}
# Kinds whose ops change the call they name (its fields, or its status derived from facts):
# the push locks those calls before reading them, so concurrent pushes apply one by one.
# A note writes nothing on the call row.
CALL_WRITERS = frozenset({"call", "call_status"})

# Who hears of status taps on the live stream: the people who send units.
STATUS_AUDIENCE = Audience.of(roles=["dispatcher", "diversion_clinician", "supervisor"])

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# --- the push: the calls a batch names, read once -----------------------------------------

@dataclass
class CallBatch:
    """The calls a push names, and those of them that left the device's unit (reassigned)
    with the time they last left it."""

    unit_id: int | None
    calls: dict[str, Call] = field(default_factory=dict)
    moved_away: dict[str, datetime] = field(default_factory=dict)

    def may_record_on(self, call: Call) -> bool:
        """Responders record on their unit's calls, and on calls taken from it while offline."""
        return (self.unit_id is not None and call.unit_id == self.unit_id) or (
            str(call.id) in self.moved_away)


def _uuid_text(value: object) -> str | None:
    """The canonical string of a UUID, or None."""
    if isinstance(value, str) and _CANONICAL_UUID.fullmatch(value):
        return value
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return None


def _batch(store: SqlPushStore) -> CallBatch:
    found: CallBatch = store.memo[CallBatch]
    return found


def preload_calls(store: SqlPushStore, ops: list[Operation]) -> None:
    """Read the calls the batch names; those it changes are locked (in id order) before they
    are read, so a concurrent push, edit or resolution changing one waits for this
    transaction and then merges against what it wrote, as if sent after it."""
    batch = store.memo[CallBatch] = CallBatch(store.unit_id)
    named: list[str] = []
    written: set[str] = set()
    for op in ops:
        call_id = op.record_id if op.kind == "call" else _uuid_text(op.data.get("call_id"))
        if call_id is not None:
            named.append(call_id)
            if op.kind in CALL_WRITERS:
                written.add(call_id)
    if not named:
        return
    session = store.session
    locked = lock_rows(session, Call, {uuid.UUID(i) for i in written})
    others = {uuid.UUID(i) for i in named} - {c.id for c in locked}
    read: list[Call] = list(session.scalars(
        sa.select(Call).where(Call.id.in_(others)))) if others else []
    batch.calls = {str(c.id): c for c in [*locked, *read]}
    _load_former_unit_calls(session, batch)


def _load_former_unit_calls(session: Session, batch: CallBatch) -> None:
    """A call that left this unit has a `remove` row in the unit's feed, written when it
    left (feed rows are kept SYNC_RETENTION_DAYS; a tablet away longer must resync
    anyway): the latest one says when it last left."""
    elsewhere = [cid for cid, call in batch.calls.items() if call.unit_id != batch.unit_id]
    if not elsewhere or batch.unit_id is None:
        return
    rows = session.execute(
        sa.select(ChangeLogEntry.record_id, sa.func.max(ChangeLogEntry.at)).where(
            ChangeLogEntry.kind == "call", ChangeLogEntry.scope == unit_scope(batch.unit_id),
            ChangeLogEntry.op == "remove", ChangeLogEntry.record_id.in_(elsewhere))
        .group_by(ChangeLogEntry.record_id))
    batch.moved_away = {str(record_id): at for record_id, at in rows}


# --- the push: appliers ---------------------------------------------------------------------

_AFTER_THE_MOVE = ("the call was moved to another unit before this was recorded: kept for a "
                   "supervisor to review")


def _call_fact(store: SqlPushStore, op: Operation,
               actor: Actor) -> tuple[Call, dict[str, Any]] | OpResult:
    """The call a status or note goes on and the fact's row, or why it may not land. The row
    names who corrected it when a supervisor re-applied it with corrected data; the fact
    cannot have happened before the call came in."""
    if store.fact_exists(op.kind, op.record_id):
        return rejected(op, "record_id", "a record with this id already exists")
    batch = _batch(store)
    call = batch.calls.get(str(uuid.UUID(op.data["call_id"])))
    if call is None or call.deleted_at is not None:
        return rejected(op, "data.call_id", "no such call (it may have been cancelled)")
    if not batch.may_record_on(call):
        return rejected(op, "data.call_id", "this call was never assigned to your unit")
    corrector = store.corrected_by.id if store.corrected_by is not None else None
    row = {**fact_row(store, op, actor, call.received_at), "call_id": call.id,
           "corrected_by_id": corrector}
    if store.unit_id is not None and call.unit_id != store.unit_id:
        # The call left this unit (reassigned). What the crew recorded before it left lands
        # (the tablet then drops its copy); what they recorded after is the call's new
        # unit's business: rejected and kept, for a supervisor to re-apply or leave.
        if row["corrected_time"] > batch.moved_away[str(call.id)] and corrector is None:
            return rejected(op, "data.call_id", _AFTER_THE_MOVE)
        note_change(store.session, op.kind, op.record_id, [unit_scope(store.unit_id)], "remove")
    return call, row


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


def apply_call_status(store: SqlPushStore, kind: RecordKind, op: Operation,
                      actor: Actor) -> OpResult:
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
            return rejected(op, refusal.field, refusal.message)
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
    _announce_status(store, call)
    _refresh_stages(store, call)
    return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, 1, message=message)


class _StatusTaps:
    """The memo key of the calls a push's status taps changed."""


class _StageTimes:
    """The memo key of the calls whose stage times the push's taps change."""


def _refresh_stages(store: SqlPushStore, call: Call) -> None:
    """The calls' first trusted times, worked out again once the push's taps are inserted
    (one UPDATE for the push, however many taps it holds)."""
    changed: set[uuid.UUID] = store.memo.setdefault(_StageTimes, set())
    changed.add(call.id)
    store.finishers.setdefault(_StageTimes,
                               lambda: refresh_stage_times(store.session, changed))


def _announce_status(store: SqlPushStore, call: Call) -> None:
    """Dispatch hears of the push's status taps once, at its end (one `call.status` event
    naming the calls: the publish lock is then held only until the push commits)."""
    changed: set[str] = store.memo.setdefault(_StatusTaps, set())
    changed.add(str(call.id))

    def announce() -> None:
        publish(store.session, "call.status", {"ids": sorted(changed)}, STATUS_AUDIENCE,
                subject="calls")

    store.finishers.setdefault(_StatusTaps, announce)


def apply_call_note(store: SqlPushStore, kind: RecordKind, op: Operation,
                    actor: Actor) -> OpResult:
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


def _call_conflicts(store: SqlPushStore, call: Call, reason: str, op: Operation,
                    actor: Actor, author: User, fields: Iterable[str]) -> list[str]:
    return open_field_conflicts(store.session, "call", str(call.id), reason, op, actor, author,
                                {name: getattr(call, name, None) for name in fields},
                                call.updated_by_id, call.updated_at)


def apply_call_update(store: SqlPushStore, kind: RecordKind, op: Operation,
                      actor: Actor) -> OpResult:
    """Three-way merge of the device's edits from the version it saw; clashes go to review."""
    batch = _batch(store)
    call = batch.calls.get(str(uuid.UUID(op.record_id)))
    if call is None:
        return rejected(op, "record_id", "no such call")
    if not batch.may_record_on(call):
        return rejected(op, "record_id", "this call was never assigned to your unit")
    if unknown_code(store.session, op.data):
        return rejected(op, "data.disposition_code", UNKNOWN_CODE)  # kept for correction
    author = store.author(actor)
    if call.deleted_at is not None:
        ids = _call_conflicts(store, call, "edit_delete", op, actor, author, op.data)
        return OpResult(op.id, op.seq, Outcome.CONFLICT, op.record_id, call.version,
                        conflict_ids=ids, message="the call was cancelled while you edited it")
    if call.unit_id is None or call.unit_id != store.unit_id:
        # Whenever it was made, an edit from the call's former unit is a supervisor's to
        # settle; the answer tells nothing of the call's state now (the version is the one
        # the device sent).
        ids = _call_conflicts(store, call, "out_of_scope", op, actor, author, op.data)
        return OpResult(op.id, op.seq, Outcome.CONFLICT, op.record_id, op.base_version,
                        conflict_ids=ids, message="the call was reassigned; a supervisor reviews")
    server = {name: getattr(call, name) for name in op.data}
    merged = merge_edit(kind.policies, op.data, op.base_version, server,
                        call.field_versions or {}, op.hlc)
    conflict_ids = _call_conflicts(store, call, "both_changed", op, actor, author,
                                   merged.conflicts)
    changes = {name: merged.value[name] for name in op.data if merged.value[name] != server[name]}
    if changes:
        update_call(store.session, author, uuid.UUID(actor.device_id), call, changes)
    record = jsonable(call_to_dict(call))  # the whole state: the device replaces its copy
    return OpResult(op.id, op.seq, merged.outcome, op.record_id, call.version,
                    conflict_ids=conflict_ids, record=record)


# --- conflicts on a call --------------------------------------------------------------------

def _lock_call(session: Session, record_id: str) -> Call | None:
    return lock_row(session, Call, uuid.UUID(record_id))


def _restore(session: Session, actor: User, device_id: uuid.UUID | None, call: Call) -> None:
    """A supervisor chose a cancelled call's device side: the call comes back."""
    call.deleted_at = None
    record_audit(session, actor=actor, device_id=device_id, entity="call", entity_id=call.id,
                 action="restore", before=None, after=clinical_snapshot(call))


def _apply_chosen(session: Session, actor: User, device_id: uuid.UUID | None, call: Call,
                  changes: dict[str, Any]) -> None:
    update_call(session, actor, device_id, call, changes)


CALL_CONFLICTS = ConflictHooks(
    lock=_lock_call,
    is_live=lambda call: call.deleted_at is None,
    may_settle=lambda call, user, unit_id: call.unit_id == unit_id,
    apply=_apply_chosen,
    restore=_restore,
)


# --- the pull -------------------------------------------------------------------------------

def _in_unit(scope: PullScope) -> Any:
    return sa.and_(Call.unit_id == (scope.unit_id or -1), Call.deleted_at.is_(None))


def _calls_in_scope(scope: PullScope) -> sa.Select[Any]:
    return sa.select(Call).where(_in_unit(scope))


def _call_records(calls: Iterable[Call]) -> list[Record]:
    return [(str(c.id), jsonable(call_to_dict(c))) for c in calls]


def _with_call_detail(stmt: sa.Select[Any]) -> sa.Select[Any]:
    return stmt.options(selectinload(Call.call_type), selectinload(Call.status_events),
                        selectinload(Call.premise).selectinload(Premise.hazards))


def snapshot_calls(session: Session, scope: PullScope, after: str | None,
                   limit: int) -> list[Record]:
    stmt = page(_with_call_detail(_calls_in_scope(scope)), Call.id, after, limit)
    return _call_records(session.scalars(stmt))


def load_calls(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = _with_call_detail(sa.select(Call).where(Call.id.in_([uuid.UUID(i) for i in ids]),
                                                   Call.deleted_at.is_(None)))
    return _call_records(session.scalars(stmt))


def _premise_records(session: Session, premises: list[Premise]) -> list[Record]:
    ids = [p.id for p in premises]
    history, summaries = premise_history(session, ids), premise_summaries(session, ids)
    return [(str(p.id), jsonable(premise_to_dict(p, history[p.id], summaries[p.id])))
            for p in premises]


def _premises_in_scope(scope: PullScope) -> sa.Select[Any]:
    ids = sa.select(Call.premise_id).where(_in_unit(scope))
    return sa.select(Premise).where(Premise.id.in_(ids)).options(selectinload(Premise.hazards))


def snapshot_premises(session: Session, scope: PullScope, after: str | None,
                      limit: int) -> list[Record]:
    premises = list(session.scalars(page(_premises_in_scope(scope), Premise.id, after, limit)))
    return _premise_records(session, premises)


def load_premises(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = sa.select(Premise).where(Premise.id.in_([uuid.UUID(i) for i in ids])).options(
        selectinload(Premise.hazards))
    return _premise_records(session, list(session.scalars(stmt)))


def _status_dicts(session: Session, events: list[CallStatusEvent]) -> list[dict[str, Any]]:
    return status_events_to_dicts(events, withdrawals_of(session, [e.id for e in events]))


def _note_dicts(session: Session, notes: list[CallNote]) -> list[dict[str, Any]]:
    return [note_to_dict(n) for n in notes]


def _facts_source(kind: str, model: Any, to_dicts: Any) -> Source:
    def in_scope(scope: PullScope) -> sa.Select[Any]:
        return sa.select(model).where(model.call_id.in_(sa.select(Call.id).where(_in_unit(scope))))

    def records(session: Session, rows: list[Any]) -> list[Record]:
        return [(str(r.id), jsonable(d)) for r, d in zip(rows, to_dicts(session, rows), strict=True)]

    def snapshot(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
        return records(session, list(session.scalars(page(in_scope(scope), model.id, after,
                                                          limit))))

    def load(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
        return records(session, list(session.scalars(
            sa.select(model).where(model.id.in_([uuid.UUID(i) for i in ids])))))

    return Source(kind, snapshot, lambda s, scope: count_of(s, in_scope(scope)), load)


def call_companions(session: Session, call_ids: list[str]) -> list[tuple[str, str, str]]:
    """A call brings its premise, status events and notes."""
    ids = [uuid.UUID(i) for i in call_ids]
    found: list[tuple[str, str, str]] = [
        (str(cid), "premise", str(pid)) for cid, pid in session.execute(
            sa.select(Call.id, Call.premise_id).where(Call.id.in_(ids)))]
    found += [(str(cid), "call_status", str(i)) for cid, i in session.execute(
        sa.select(CallStatusEvent.call_id, CallStatusEvent.id)
        .where(CallStatusEvent.call_id.in_(ids)))]
    found += [(str(cid), "call_note", str(i)) for cid, i in session.execute(
        sa.select(CallNote.call_id, CallNote.id).where(CallNote.call_id.in_(ids)))]
    return found


# --- the plug-in ----------------------------------------------------------------------------

def register(kinds: KindRegistry) -> None:
    """The premise first: parents come before what points at them in a snapshot."""
    kinds.register(SyncedKind(None, source=Source(
        "premise", snapshot_premises, lambda s, scope: count_of(s, _premises_in_scope(scope)),
        load_premises)))
    kinds.register(SyncedKind(
        CALL,
        applier=apply_call_update, preload=preload_calls,
        source=Source("call", snapshot_calls,
                      lambda s, scope: count_of(s, _calls_in_scope(scope)), load_calls),
        companions=call_companions,
        # A premise may serve other calls of the unit, so it stays.
        leave_with_parent=frozenset({"call_status", "call_note"}),
        conflicts=CALL_CONFLICTS))
    kinds.register(SyncedKind(
        CALL_STATUS,
        applier=apply_call_status, table=CallStatusEvent.__table__, preload=preload_calls,
        source=_facts_source("call_status", CallStatusEvent, _status_dicts),
        pushed_by=pushed_by_device(CallStatusEvent)))
    kinds.register(SyncedKind(
        CALL_NOTE,
        applier=apply_call_note, table=CallNote.__table__, preload=preload_calls,
        source=_facts_source("call_note", CallNote, _note_dicts),
        pushed_by=pushed_by_device(CallNote)))
