"""Push and pull for a device, and the supervisor's work on rejected operations."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import Device, User
from server.auth.permissions import CLINICAL_CONTENT_READERS
from server.changes import pushed_by
from server.errors import DomainError, not_found
from server.locking import lock_row
from server.models_base import utcnow
from server.sync.feed import latest_position
from server.sync.kinds import current_kinds
from server.sync.models import ChangeLogEntry, RejectedOp, SyncOpResult
from server.sync.pull_store import SqlPullStore
from server.sync.scope import PullScope
from server.sync.store import SqlPushStore
from sync.hlc import Clock, Timestamp
from sync.ops import OpResult, Outcome, Rejection, parse_operation
from sync.pull import UNREADABLE_CURSOR, read_cursor, serve_pull
from sync.pull import ResyncRequiredError as EngineResyncRequired
from sync.push import Actor, PushOutcome, apply_push

# The server's node name in its HLC readings (devices use their own ids).
SERVER_NODE = "server"


class ServerClock:
    """The server's hybrid logical clock, shared by the threads of a worker: it merges the
    latest HLC of every push and stamps every push and pull answer, so a device whose clock
    lags learns a reading at least as late as the server's clock and what it has taken."""

    def __init__(self, now_ms: Callable[[], int]) -> None:
        self._clock = Clock(now_ms, SERVER_NODE)
        self._lock = threading.Lock()

    def stamp(self, heard: Timestamp | None = None) -> Timestamp:
        with self._lock:
            return self._clock.send() if heard is None else self._clock.recv(heard)


def _wall_ms() -> int:
    return int(utcnow().timestamp() * 1000)


SERVER_CLOCK = ServerClock(_wall_ms)


class ResyncRequiredError(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(410, message, action="resync")


# --- push ----------------------------------------------------------------------------------

def push(session: Session, user: User, device: Device, unit_id: int | None,
         body: dict[str, Any]) -> PushOutcome:
    """Apply a device's batch in one transaction (the caller commits)."""
    kinds = current_kinds()
    store = SqlPushStore(session, kinds, user, unit_id, device)
    actor = Actor(device_id=str(device.id), user_id=user.id)
    with pushed_by(session, actor.device_id):
        outcome = apply_push(store, kinds.records, actor, body["ops"], body["protocol_version"],
                             body["device_time"], utcnow())
        store.finish()
    return outcome


# --- pull ----------------------------------------------------------------------------------

@dataclass
class PullPage:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool
    total: int


def pull(session: Session, scope: PullScope, cursor_text: str | None, limit: int,
         retention: timedelta, key: bytes, device_id: uuid.UUID | None = None) -> PullPage:
    """One page for the device (`sync.pull.serve_pull` over the SQL PullStore, cursors signed
    with `key`), without the facts this device pushed itself (`SqlPullStore`). Retention:
    `purge_feed` drops old feed rows; a cursor from before the oldest kept row gets 410, and so
    does one that cannot be read."""
    store = SqlPullStore(session, current_kinds(), scope, device_id)
    try:
        page = serve_pull(store, scope.fingerprint, cursor_text, limit, key)
    except EngineResyncRequired as exc:
        raise ResyncRequiredError(_RESYNC_MESSAGES[exc.args[0]]) from None
    changes = [c.to_json() for c in page.changes]
    if page.total is not None:
        return PullPage(changes, page.cursor, page.has_more, page.total)
    remaining = 0  # a feed page: this page's changes and the feed's after it
    if page.has_more:
        position = read_cursor(page.cursor, key).position
        remaining = int(session.scalar(sa.select(sa.func.count()).where(
            ChangeLogEntry.scope.in_(scope.feed_scopes),
            ChangeLogEntry.position > position)) or 0)
    return PullPage(changes, page.cursor, page.has_more, len(changes) + remaining)


_RESYNC_MESSAGES = {
    "what this device may see has changed":
        "What this device may see has changed: resync from scratch.",
    "the cursor is older than the tombstone retention":
        "This tablet was away longer than the server keeps changes: resync from scratch.",
    UNREADABLE_CURSOR:
        "The server cannot read this cursor (damaged, edited or from an older version): "
        "resync from scratch.",
}


def purge_feed(session: Session, retention: timedelta) -> int:
    """Drop feed rows older than the retention (the newest row always stays)."""
    newest = latest_position(session)
    result = session.execute(sa.delete(ChangeLogEntry).where(
        ChangeLogEntry.at < utcnow() - retention, ChangeLogEntry.position < newest))
    return int(getattr(result, "rowcount", 0) or 0)


# --- rejected operations -------------------------------------------------------------------

def list_rejected(session: Session, actor: User, status: str) -> list[dict[str, Any]]:
    """Kept operations, newest first. What a device sent is clinical content: a clinical
    reader gets each op whole, anyone else its envelope facts (who, when, why) without it."""
    stmt = sa.select(RejectedOp).where(RejectedOp.status == status).order_by(RejectedOp.at.desc())
    readable = actor.role in CLINICAL_CONTENT_READERS
    return [rejected_to_dict(kept, readable) for kept in session.scalars(stmt)]


def rejected_to_dict(kept: RejectedOp, readable: bool) -> dict[str, Any]:
    return {"id": kept.id, "op_id": kept.op_id, "device_id": kept.device_id,
            "user_id": kept.user_id, "protocol_version": kept.protocol_version,
            "op": kept.op if readable else None, "redacted": not readable,
            "errors": kept.errors, "message": kept.message, "status": kept.status,
            "at": kept.at, "resolved_by_id": kept.resolved_by_id}


def reapply_rejected(session: Session, actor: User, device_id: uuid.UUID | None,
                     rejected_id: int, data: dict[str, Any]) -> tuple[RejectedOp, OpResult]:
    """Re-apply a kept operation with corrected data, as its device and author; the actor
    is named as its corrector on the record and in the audit (the data before and after)."""
    from server.auth.services import scope_unit_id

    kept = lock_row(session, RejectedOp, rejected_id)  # two reviewers: one re-applies it
    if kept is None:
        raise not_found("rejected operation")
    if kept.status != "open":
        raise DomainError(409, "This operation was already re-applied.")
    original = (kept.op.get("data") or {}) if isinstance(kept.op, dict) else {}
    raw = {**kept.op, "data": {**original, **data}} if isinstance(kept.op, dict) else kept.op
    op = parse_operation(raw, kept.protocol_version)
    kinds = current_kinds()
    errors = op.errors if isinstance(op, Rejection) else kinds.records.check(op)
    if errors or isinstance(op, Rejection):
        raise DomainError(422, "The corrected operation is still not valid.", {"json": errors})
    author = (session.get(User, kept.user_id) if kept.user_id else None) or actor
    device = session.get(Device, kept.device_id)
    unit_id = scope_unit_id(session, author.id, device.unit_id if device else None, utcnow())
    store = SqlPushStore(session, kinds, author, unit_id, device, corrected_by=actor)
    store.prepare(str(kept.device_id), [op])
    result = store.apply(kinds.records.get(op.kind), op, Actor(str(kept.device_id), author.id))
    store.finish()
    if result.outcome is Outcome.REJECTED:
        raise DomainError(422, result.message or "Still rejected.", {"json": result.errors})
    kept.status, kept.resolved_at, kept.resolved_by_id = "reapplied", utcnow(), actor.id
    record_audit(session, actor=actor, device_id=device_id, entity="sync_rejected_op",
                 entity_id=kept.id, action="reapply",
                 before={"kind": op.kind, "record_id": op.record_id, "data": original},
                 after={"kind": op.kind, "record_id": op.record_id, "data": dict(op.data),
                        "author_id": author.id, "outcome": result.outcome.value})
    existing = session.get(SyncOpResult, kept.op_id)
    if existing is not None:
        existing.outcome, existing.result = result.outcome.value, {**result.to_json(),
                                                                   "reapplied": True}
    session.flush()
    return kept, result
