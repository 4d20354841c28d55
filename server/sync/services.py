"""Push and pull for a device, and the supervisor's work on rejected operations."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import Device, User
from server.errors import DomainError, not_found
from server.models_base import utcnow
from server.sync import appliers, sources
from server.sync.feed import latest_position
from server.sync.models import ChangeLogEntry, RejectedOp, SyncOpResult
from server.sync.scope import PullScope
from server.sync.store import SqlPushStore
from sync.cursor import Cursor, Snapshot, decode_cursor, encode_cursor
from sync.ops import OpResult, Outcome, Rejection, parse_operation
from sync.push import Actor, PushOutcome, apply_push

REGISTRY = appliers.build_registry()
# A pull page: large enough that a fresh tablet needs few round trips, small enough that
# one page stays well under a second and a few MB even on a slow link.
DEFAULT_PULL_LIMIT = 1000
MAX_PULL_LIMIT = 5000


class ResyncRequiredError(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__(410, message, action="resync")


# --- push ----------------------------------------------------------------------------------

def push(session: Session, user: User, device: Device, unit_id: int | None,
         body: dict[str, Any]) -> PushOutcome:
    """Apply a device's batch in one transaction (the caller commits)."""
    store = SqlPushStore(session, user, unit_id)
    store.prepare(device.id, body["ops"])
    actor = Actor(device_id=str(device.id), user_id=user.id)
    outcome = apply_push(store, REGISTRY, actor, body["ops"], body["protocol_version"],
                         body["device_time"], utcnow())
    store.finish()
    device.last_seen_at = utcnow()
    return outcome


# --- pull ----------------------------------------------------------------------------------

@dataclass
class PullPage:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool
    total: int


def pull(session: Session, scope: PullScope, cursor_text: str | None, limit: int,
         retention: timedelta) -> PullPage:
    if cursor_text is None:
        cursor = Cursor(0, scope.fingerprint, Snapshot(latest_position(session), ""))
    else:
        try:
            cursor = decode_cursor(cursor_text)
        except ValueError as exc:
            raise DomainError(422, str(exc), {"query": {"cursor": [str(exc)]}}) from None
        if cursor.scope != scope.fingerprint:
            raise ResyncRequiredError("What this device may see has changed: resync from scratch.")
    if cursor.snapshot is not None:
        return _snapshot_page(session, scope, cursor.snapshot, limit)
    _check_retention(session, cursor.position, retention)
    return _feed_page(session, scope, cursor.position, limit)


def _snapshot_page(session: Session, scope: PullScope, snap: Snapshot, limit: int) -> PullPage:
    """Page through every source in turn; then the feed continues from the snapshot's start."""
    kinds = [s.kind for s in sources.SOURCES]
    kind, _, after = snap.after.partition("|") if snap.after else (kinds[0], "", "")
    index = kinds.index(kind) if kind in kinds else 0
    changes: list[dict[str, Any]] = []
    while index < len(kinds) and len(changes) < limit:
        wanted = limit - len(changes)
        src = sources.SOURCES[index]
        records = src.snapshot(session, scope, after or None, wanted)
        changes += [_put(src.kind, rid, data) for rid, data in records]
        if len(records) < wanted:
            index, after = index + 1, ""
        else:
            after = records[-1][0]
    total = sum(s.count(session, scope) for s in sources.SOURCES) if not snap.after else 0
    if index >= len(kinds):
        return PullPage(changes, encode_cursor(Cursor(snap.upto, scope.fingerprint)), False, total)
    next_after = f"{kinds[index]}|{after}"
    return PullPage(changes, encode_cursor(Cursor(snap.upto, scope.fingerprint,
                                                  Snapshot(snap.upto, next_after))), True, total)


def _put(kind: str, record_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "id": record_id, "op": "put", "version": data.get("version", 1),
            "data": data}


def _check_retention(session: Session, position: int, retention: timedelta) -> None:
    oldest = session.scalar(sa.select(sa.func.min(ChangeLogEntry.position)))
    if oldest is not None and position + 1 < oldest:
        raise ResyncRequiredError("This tablet was away longer than the server keeps changes: "
                             "resync from scratch.")


def _feed_page(session: Session, scope: PullScope, position: int, limit: int) -> PullPage:
    rows = session.execute(
        sa.select(ChangeLogEntry.position, ChangeLogEntry.kind, ChangeLogEntry.record_id,
                  ChangeLogEntry.op)
        .where(ChangeLogEntry.scope.in_(scope.feed_scopes), ChangeLogEntry.position > position)
        .order_by(ChangeLogEntry.position).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    expanded = _expand(session, scope, rows)
    # A feed row that stands for several records (a push's location points) counts as
    # many; it is never split, so one such row alone may exceed the limit.
    kept: list[Any] = []
    weight = 0
    for row in rows:
        size = len(expanded[(row.kind, row.record_id)]) if row.kind in sources.EXPANSIONS else 1
        if kept and weight + size > limit:
            has_more = True
            break
        kept.append(row)
        weight += size
    rows = kept
    latest: OrderedDict[tuple[str, str], str] = OrderedDict()
    for row in rows:
        keys = expanded[(row.kind, row.record_id)] if row.kind in sources.EXPANSIONS else [
            (row.kind, row.record_id)]
        for key in keys:
            latest.pop(key, None)
            latest[key] = row.op
    changes = _materialize(session, scope, latest)
    new_position = rows[-1].position if rows else position
    remaining = 0
    if has_more:
        remaining = int(session.scalar(sa.select(sa.func.count()).where(
            ChangeLogEntry.scope.in_(scope.feed_scopes), ChangeLogEntry.position > new_position)) or 0)
    return PullPage(changes, encode_cursor(Cursor(new_position, scope.fingerprint)), has_more,
                    len(changes) + remaining)


def _expand(session: Session, scope: PullScope,
            rows: Sequence[Any]) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(kind, id) of each expandable feed row -> the records it stands for."""
    ids: dict[str, list[str]] = {}
    for row in rows:
        if row.kind in sources.EXPANSIONS:
            ids.setdefault(row.kind, []).append(row.record_id)
    return {(kind, rid): records for kind, wanted in ids.items()
            for rid, records in sources.EXPANSIONS[kind](session, scope, wanted).items()}


def _materialize(session: Session, scope: PullScope,
                 latest: OrderedDict[tuple[str, str], str]) -> list[dict[str, Any]]:
    """Feed rows to changes: current state for puts (with companions), removals, deletes."""
    puts: dict[str, list[str]] = {}
    gone: list[tuple[str, str, str]] = []
    for (kind, record_id), op in latest.items():
        if op == "put":
            puts.setdefault(kind, []).append(record_id)
        else:
            gone.append((kind, record_id, op))
    for kind, ids in list(puts.items()):
        if kind in sources.COMPANIONS:
            for companion_kind, cid in sources.COMPANIONS[kind](session, ids):
                if cid not in puts.setdefault(companion_kind, []):
                    puts[companion_kind].append(cid)
    changes: list[dict[str, Any]] = []
    for src in sources.SOURCES:
        wanted = puts.get(src.kind)
        if not wanted:
            continue
        found = dict(src.load(session, scope, wanted))
        for rid in wanted:
            if rid in found:
                changes.append(_put(src.kind, rid, found[rid]))
            else:
                changes.append({"kind": src.kind, "id": rid, "op": "delete", "version": None,
                                "data": None})
    for kind, rid, op in gone:
        if rid in puts.get(kind, ()):
            continue  # left earlier in this page, back now with its parent: the put wins
        changes.append({"kind": kind, "id": rid, "op": op, "version": None, "data": None})
        if kind in sources.LEAVE_WITH_PARENT and kind in sources.COMPANIONS:
            for companion_kind, cid in sources.COMPANIONS[kind](session, [rid]):
                if companion_kind in sources.LEAVE_WITH_PARENT[kind]:
                    changes.append({"kind": companion_kind, "id": cid, "op": "remove",
                                    "version": None, "data": None})
    return changes


def purge_feed(session: Session, retention: timedelta) -> int:
    """Drop feed rows older than the retention (the newest row always stays)."""
    newest = latest_position(session)
    result = session.execute(sa.delete(ChangeLogEntry).where(
        ChangeLogEntry.at < utcnow() - retention, ChangeLogEntry.position < newest))
    return int(getattr(result, "rowcount", 0) or 0)


# --- rejected operations -------------------------------------------------------------------

def list_rejected(session: Session, status: str) -> list[RejectedOp]:
    stmt = sa.select(RejectedOp).where(RejectedOp.status == status).order_by(RejectedOp.at.desc())
    return list(session.scalars(stmt))


def reapply_rejected(session: Session, actor: User, rejected_id: int,
                     data: dict[str, Any]) -> tuple[RejectedOp, OpResult]:
    """Re-apply a kept operation with corrected data, as its device and person."""
    from server.auth.services import current_unit_id

    kept = session.get(RejectedOp, rejected_id)
    if kept is None:
        raise not_found("rejected operation")
    if kept.status != "open":
        raise DomainError(409, "This operation was already re-applied.")
    raw = {**kept.op, "data": {**(kept.op.get("data") or {}), **data}} if isinstance(
        kept.op, dict) else kept.op
    op = parse_operation(raw, kept.protocol_version)
    errors = op.errors if isinstance(op, Rejection) else REGISTRY.check(op)
    if errors or isinstance(op, Rejection):
        raise DomainError(422, "The corrected operation is still not valid.", {"json": errors})
    author = (session.get(User, kept.user_id) if kept.user_id else None) or actor
    store = SqlPushStore(session, author, current_unit_id(session, author))
    store.prepare(kept.device_id, [raw])
    result = store.apply(REGISTRY.get(op.kind), op, Actor(str(kept.device_id), author.id))
    store.finish()
    if result.outcome is Outcome.REJECTED:
        raise DomainError(422, result.message or "Still rejected.", {"json": result.errors})
    kept.status, kept.resolved_at, kept.resolved_by_id = "reapplied", utcnow(), actor.id
    existing = session.get(SyncOpResult, kept.op_id)
    if existing is not None:
        existing.outcome, existing.result = result.outcome.value, {**result.to_json(),
                                                                   "reapplied": True}
    session.flush()
    return kept, result
