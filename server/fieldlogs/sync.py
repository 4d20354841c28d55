"""The field logs' synced kinds: outreach contacts, harm-reduction entries and post-call
surveys, facts a unit's tablets push and pull back for one shift, so the crew's other tablet
knows what was given and that the survey was answered. A push's field logs are one feed row
(a batch) in the unit's scope, which the pull expands: the pushing device has its push answer
and is not sent them again. Registered into the app's synced kinds (`server.sync.kinds`)
from SYNC_KINDS, after the calls (entries and surveys name calls).

A record naming a call that is not the unit's (never assigned to it, or no such call) is
kept and flagged (`review_reason`), not rejected. It is a responder's account of what they
did or gave, and their record is never dropped: a wrong call id is a slip on the tablet (or a
call moved between units as the crew worked it), and the naloxone given, the supplies taken
off the kit and the answers are true either way. A rejection would keep the op aside, its
stock move not made, until a supervisor re-applied it; a flag keeps the kit's stock right now
and leaves the supervisor only the call to sort out. The op's answer says it was flagged.
The same goes for an entry naming an outreach contact the unit did not record.

Cross-field rules (naloxone route and response, sharps fields, call or contact) are each
kind's own (server.fieldlogs.kinds): a bad combination is a rejection naming the field.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.calls.sync import CallBatch, preload_calls
from server.changes import note_change, unit_scope
from server.fieldlogs.kinds import HARM_REDUCTION_ENTRY, OUTREACH_CONTACT, POST_CALL_SURVEY
from server.fieldlogs.models import DebriefRequest, HarmReductionEntry, OutreachContact, PostCallSurvey
from server.fieldlogs.services import EntryGiven, open_debrief, take_from_kit
from server.models_base import utcnow
from server.sync.kinds import KindRegistry, SyncedKind, fact_row, rejected
from server.sync.scope import PullScope
from server.sync.sources import Record, Source, count_of, jsonable, page
from server.sync.store import SqlPushStore
from sync.ops import Operation, OpResult, Outcome
from sync.push import Actor
from sync.registry import RecordKind

# A tablet keeps its unit's field logs for one shift (HEART runs 12-hour shifts).
FIELD_LOG_HISTORY = timedelta(hours=12)
# A push's field logs are one feed row of this kind (record id: the batch id); the pull
# expands it into the records, so devices never see the batch.
FIELD_LOG_BATCH = "field_log_batch"
# The key of this push's batch id in the push store's memo.
_BATCH_KEY = FIELD_LOG_BATCH
# Bytes of a survey's lock key: PostgreSQL advisory locks take a signed 64-bit key.
_LOCK_KEY_BYTES = 8

NO_SUCH_CALL = "no such call: kept, for a supervisor to review"
NOT_THE_UNITS_CALL = "this call is not your unit's: kept, for a supervisor to review"
NOT_THE_UNITS_CONTACT = ("your unit recorded no outreach contact with this id: kept, for a "
                         "supervisor to review")
ALREADY_ANSWERED = "already answered: you sent a survey for this call before"
DUPLICATE = "a record with this id already exists"

_MODELS: dict[str, Any] = {"outreach_contact": OutreachContact,
                           "harm_reduction_entry": HarmReductionEntry,
                           "post_call_survey": PostCallSurvey}


# --- the push -------------------------------------------------------------------------------

def _batch_id(store: SqlPushStore) -> str | None:
    """This push's batch: one feed row in the unit's scope for all its field logs."""
    batch_id: str | None = store.memo.get(_BATCH_KEY)
    if batch_id is None and store.unit_id is not None:
        batch_id = store.memo[_BATCH_KEY] = str(uuid.uuid4())
        note_change(store.session, FIELD_LOG_BATCH, batch_id, [unit_scope(store.unit_id)])
    return batch_id


def _row(store: SqlPushStore, op: Operation, actor: Actor,
         not_before: datetime | None) -> dict[str, Any]:
    """The fact's columns, the unit (the crew's, never the device's word) and the batch."""
    return {**fact_row(store, op, actor, not_before), "unit_id": store.unit_id,
            "batch_id": _batch_id(store)}


def _call_review(store: SqlPushStore, call_id: str) -> tuple[str | None, datetime | None]:
    """Why a record on this call is flagged (None: it is the unit's), and when the call came
    in (no fact on it happened before)."""
    batch: CallBatch = store.memo[CallBatch]
    call = batch.calls.get(call_id)
    if call is None:
        return NO_SUCH_CALL, None
    if not batch.may_record_on(call):
        return NOT_THE_UNITS_CALL, call.received_at
    return None, call.received_at


def _contact_review(store: SqlPushStore, contact_id: str) -> str | None:
    """Flagged unless the unit recorded the contact (earlier, or in this push)."""
    if any(r["id"] == contact_id for r in store.rows[OutreachContact.__table__]):
        return None
    with store.session.no_autoflush:
        unit_id = store.session.scalar(sa.select(OutreachContact.unit_id).where(
            OutreachContact.id == uuid.UUID(contact_id)))
    return None if unit_id is not None and unit_id == store.unit_id else NOT_THE_UNITS_CONTACT


def _audit_clinical(store: SqlPushStore, kind: RecordKind, op: Operation, actor: Actor) -> None:
    """Clinical text written is audited (who, when, device), as a call's note is."""
    written = {name: op.data[name] for name in kind.clinical if op.data.get(name) is not None}
    if written:
        record_audit(store.session, actor=store.author(actor), device_id=uuid.UUID(actor.device_id),
                     entity=kind.name, entity_id=op.record_id, action="create", before=None,
                     after={**written, "author_id": actor.user_id})


def _applied(op: Operation, *flags: str | None) -> OpResult:
    return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, 1,
                    message="; ".join(f for f in flags if f))


def _canonical(value: object) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


def apply_outreach_contact(store: SqlPushStore, kind: RecordKind, op: Operation,
                           actor: Actor) -> OpResult:
    if store.fact_exists(op.kind, op.record_id):
        return rejected(op, "record_id", DUPLICATE)
    data = op.data
    row = {**_row(store, op, actor, None), "lat": data.get("lat"), "lon": data.get("lon"),
           "place": data.get("place"), "note": data.get("note")}
    store.queue_row(OutreachContact.__table__, row)
    store.mark_fact(op.kind, op.record_id)
    _audit_clinical(store, kind, op, actor)
    return _applied(op)


def apply_harm_reduction_entry(store: SqlPushStore, kind: RecordKind, op: Operation,
                               actor: Actor) -> OpResult:
    """The entry is kept, and takes what it gave off the unit's kit (never refused: no kit or
    no such item keeps the entry with a note of the stock move not made)."""
    if store.fact_exists(op.kind, op.record_id):
        return rejected(op, "record_id", DUPLICATE)
    data = op.data
    call_id, contact_id = _canonical(data.get("call_id")), _canonical(data.get("contact_id"))
    review, not_before = _call_review(store, call_id) if call_id else (None, None)
    if contact_id is not None:
        review = _contact_review(store, contact_id)
    row = _row(store, op, actor, not_before)
    stock_note = take_from_kit(store.session, store.author(actor), EntryGiven(
        op.record_id, store.unit_id, data["category"], data["quantity"], data.get("item_id"),
        data.get("lot_id"), row["corrected_time"], uuid.UUID(actor.device_id)))
    row.update(call_id=call_id, contact_id=contact_id, category=data["category"],
               quantity=data["quantity"], item_id=data.get("item_id"), lot_id=data.get("lot_id"),
               route=data.get("route"), response=data.get("response"),
               sharps_where=data.get("sharps_where"), sharps_disposal=data.get("sharps_disposal"),
               review_reason=review, stock_note=stock_note)
    store.queue_row(HarmReductionEntry.__table__, row)
    store.mark_fact(op.kind, op.record_id)
    return _applied(op, review, stock_note)


def _lock_survey(store: SqlPushStore, call_id: str, author: int) -> None:
    """One survey per call and author, however many tablets push at once: on PostgreSQL a
    lock on (call, author) until the push commits, so the second push reads the first's
    survey (SQLite: the push already holds the database's write lock). Only the same person's
    two tablets pushing that same pair at the same moment ever wait here. Taken as the op is
    applied, after the locks of earlier ops: should those two pushes also hold each other's
    kit balance (entries of the same lot, in the other order), PostgreSQL ends one of them as
    a deadlock, answered 503 with Retry-After (server.database), and its retry finds the
    survey answered."""
    if store.session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.blake2b(f"post_call_survey:{call_id}:{author}".encode(),
                             digest_size=_LOCK_KEY_BYTES).digest()
    store.session.execute(sa.select(sa.func.pg_advisory_xact_lock(
        int.from_bytes(digest, "big", signed=True))))


def _answered(store: SqlPushStore, call_id: str, author: int) -> bool:
    if any(r["call_id"] == call_id and r["user_id"] == author
           for r in store.rows[PostCallSurvey.__table__]):
        return True
    with store.session.no_autoflush:
        return store.session.scalar(sa.select(PostCallSurvey.id).where(
            PostCallSurvey.call_id == uuid.UUID(call_id),
            PostCallSurvey.user_id == author).limit(1)) is not None


def apply_post_call_survey(store: SqlPushStore, kind: RecordKind, op: Operation,
                           actor: Actor) -> OpResult:
    """One per call and author (each of a crew may answer); debrief_wanted=yes opens a
    request in the supervisors' debrief queue."""
    if store.fact_exists(op.kind, op.record_id):
        return rejected(op, "record_id", DUPLICATE)
    data = op.data
    call_id = str(uuid.UUID(data["call_id"]))
    author = store.author(actor).id
    _lock_survey(store, call_id, author)
    if _answered(store, call_id, author):
        return rejected(op, "data.call_id", ALREADY_ANSWERED)
    review, not_before = _call_review(store, call_id)
    row = {**_row(store, op, actor, not_before), "call_id": call_id, "review_reason": review,
           **{name: data.get(name) for name in kind.editable if name != "call_id"}}
    store.queue_row(PostCallSurvey.__table__, row)
    store.mark_fact(op.kind, op.record_id)
    if data.get("debrief_wanted") == "yes":
        store.queue_row(DebriefRequest.__table__, open_debrief(
            store.session, op.record_id, uuid.UUID(call_id), store.unit_id, author,
            row["corrected_time"]))
    _audit_clinical(store, kind, op, actor)
    return _applied(op, review)


# --- the pull -------------------------------------------------------------------------------

def _records(kind: RecordKind, rows: Iterable[Any]) -> list[Record]:
    """As pushed, with when (the server's time) and who."""
    return [(str(r.id), {"id": str(r.id),
                         **{name: jsonable(getattr(r, name)) for name in kind.editable},
                         "at": r.corrected_time.isoformat(), "user_id": r.user_id})
            for r in rows]


def _source(kind: RecordKind) -> Source:
    """The unit's own records of the kind for the shift."""
    model = _MODELS[kind.name]

    def in_scope(scope: PullScope) -> sa.Select[Any]:
        return sa.select(model).where(model.unit_id == (scope.unit_id or -1),
                                      model.corrected_time >= utcnow() - FIELD_LOG_HISTORY)

    def snapshot(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
        return _records(kind, session.scalars(page(in_scope(scope), model.id, after, limit)))

    def load(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
        return _records(kind, session.scalars(sa.select(model).where(
            model.id.in_([uuid.UUID(i) for i in ids]), model.unit_id == (scope.unit_id or -1))))

    return Source(kind.name, snapshot, lambda s, scope: count_of(s, in_scope(scope)), load)


def field_log_batch_records(session: Session, scope: PullScope,
                            batch_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """batch id -> its field logs in the scope's unit (contacts first: entries name them)."""
    wanted = [uuid.UUID(i) for i in batch_ids]
    found: dict[str, list[tuple[str, str]]] = {i: [] for i in batch_ids}
    for name, model in _MODELS.items():
        rows = session.execute(sa.select(model.batch_id, model.id).where(
            model.batch_id.in_(wanted), model.unit_id == (scope.unit_id or -1)).order_by(model.id))
        for batch_id, record_id in rows:
            found[str(batch_id)].append((name, str(record_id)))
    return found


def register(kinds: KindRegistry) -> None:
    """Entries and surveys share the calls' preload: the calls a push names, read once."""
    kinds.register(SyncedKind(
        OUTREACH_CONTACT, applier=apply_outreach_contact, table=OutreachContact.__table__,
        source=_source(OUTREACH_CONTACT)))
    kinds.register(SyncedKind(
        HARM_REDUCTION_ENTRY, applier=apply_harm_reduction_entry,
        table=HarmReductionEntry.__table__, preload=preload_calls,
        source=_source(HARM_REDUCTION_ENTRY)))
    kinds.register(SyncedKind(
        POST_CALL_SURVEY, applier=apply_post_call_survey, table=PostCallSurvey.__table__,
        preload=preload_calls, source=_source(POST_CALL_SURVEY)))
    # The pushing device's own field logs come back as its push answer, not in its feed.
    kinds.add_expansion(FIELD_LOG_BATCH, field_log_batch_records, pushed_only=True)
