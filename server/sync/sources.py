"""Record sources for the pull: each kind pages a fresh snapshot of a scope by id, loads the
current state of records named by the change feed, and turns rows into wire data.

A feature adds a kind to the pull by registering a Source; the pull loop never names one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from server.auth.models import Role
from server.auth.permissions import CLINICAL_CONTENT_READERS
from server.calls.models import Call, CallNote, CallStatusEvent, Premise
from server.calls.services import (
    call_to_dict,
    note_to_dict,
    premise_history,
    premise_summaries,
    premise_to_dict,
    status_events_to_dicts,
    withdrawals_of,
)
from server.locations.models import LocationPoint
from server.models_base import utcnow
from server.supplies.models import SupplyItem
from server.supplies.services import kit_locations, stock_on_hand
from server.sync.conflicts import conflict_to_dict, user_names
from server.sync.models import SyncConflict
from server.sync.scope import LOCATION_HISTORY, PullScope

Record = tuple[str, dict[str, Any]]  # (id, data)


def jsonable(value: Any) -> Any:
    """Wire form: UUIDs and enums as strings, times as ISO 8601 with offset."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Source:
    kind: str
    # (session, scope, after id or None, limit) -> records in id order
    snapshot: Callable[[Session, PullScope, str | None, int], list[Record]]
    count: Callable[[Session, PullScope], int]
    # (session, scope, ids) -> records that exist; absent ids were deleted
    load: Callable[[Session, PullScope, list[str]], list[Record]]


SOURCES: list[Source] = []


def register(source: Source) -> None:
    if any(s.kind == source.kind for s in SOURCES):
        raise ValueError(f"a source for {source.kind!r} is already registered")
    SOURCES.append(source)


def source(kind: str) -> Source:
    for found in SOURCES:
        if found.kind == kind:
            return found
    raise KeyError(kind)


def _page(stmt: sa.Select[Any], id_column: Any, after: str | None, limit: int,
          cast: Callable[[str], Any] = uuid.UUID) -> sa.Select[Any]:
    if after is not None:
        stmt = stmt.where(id_column > cast(after))
    return stmt.order_by(id_column).limit(limit)


def _count(session: Session, stmt: sa.Select[Any]) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)


# --- calls and what comes with them --------------------------------------------------------

def _calls_in_scope(scope: PullScope) -> sa.Select[Any]:
    return sa.select(Call).where(Call.unit_id == (scope.unit_id or -1), Call.deleted_at.is_(None))


def _call_records(calls: Iterable[Call]) -> list[Record]:
    return [(str(c.id), jsonable(call_to_dict(c))) for c in calls]


def _with_call_detail(stmt: sa.Select[Any]) -> sa.Select[Any]:
    return stmt.options(selectinload(Call.call_type), selectinload(Call.status_events),
                        selectinload(Call.premise).selectinload(Premise.hazards))


def snapshot_calls(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    stmt = _page(_with_call_detail(_calls_in_scope(scope)), Call.id, after, limit)
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
    ids = sa.select(Call.premise_id).where(Call.unit_id == (scope.unit_id or -1),
                                           Call.deleted_at.is_(None))
    return sa.select(Premise).where(Premise.id.in_(ids)).options(selectinload(Premise.hazards))


def snapshot_premises(session: Session, scope: PullScope, after: str | None,
                      limit: int) -> list[Record]:
    premises = list(session.scalars(_page(_premises_in_scope(scope), Premise.id, after, limit)))
    return _premise_records(session, premises)


def load_premises(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = sa.select(Premise).where(Premise.id.in_([uuid.UUID(i) for i in ids])).options(
        selectinload(Premise.hazards))
    return _premise_records(session, list(session.scalars(stmt)))


def _status_dicts(session: Session, events: list[CallStatusEvent]) -> list[dict[str, Any]]:
    return status_events_to_dicts(events, withdrawals_of(session, [e.id for e in events]))


def _note_dicts(session: Session, notes: list[CallNote]) -> list[dict[str, Any]]:
    return [note_to_dict(n) for n in notes]


def _facts_source(kind: str, model: Any,
                  to_dicts: Callable[[Session, list[Any]], list[dict[str, Any]]]) -> Source:
    def in_scope(scope: PullScope) -> sa.Select[Any]:
        calls = sa.select(Call.id).where(Call.unit_id == (scope.unit_id or -1),
                                         Call.deleted_at.is_(None))
        return sa.select(model).where(model.call_id.in_(calls))

    def snapshot(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
        rows = list(session.scalars(_page(in_scope(scope), model.id, after, limit)))
        return [(str(r.id), jsonable(d)) for r, d in zip(rows, to_dicts(session, rows), strict=True)]

    def load(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
        rows = list(session.scalars(sa.select(model).where(model.id.in_([uuid.UUID(i) for i in ids]))))
        return [(str(r.id), jsonable(d)) for r, d in zip(rows, to_dicts(session, rows), strict=True)]

    return Source(kind, snapshot, lambda s, scope: _count(s, in_scope(scope)), load)


# --- location history -----------------------------------------------------------------------

_POINT_COLUMNS = (LocationPoint.id, LocationPoint.lat, LocationPoint.lon, LocationPoint.accuracy_m,
                  LocationPoint.corrected_time, LocationPoint.user_id)


def _points_in_scope(scope: PullScope) -> sa.Select[Any]:
    since = utcnow() - LOCATION_HISTORY
    return sa.select(*_POINT_COLUMNS).where(  # type: ignore[return-value]  # rows used as Any
        LocationPoint.unit_id == (scope.unit_id or -1), LocationPoint.corrected_time >= since)


def _point_records(rows: Iterable[Any]) -> list[Record]:
    return [(str(r.id), {"id": str(r.id), "lat": r.lat, "lon": r.lon, "accuracy_m": r.accuracy_m,
                         "at": r.corrected_time.isoformat(), "user_id": r.user_id}) for r in rows]


def snapshot_points(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    return _point_records(session.execute(_page(_points_in_scope(scope), LocationPoint.id, after, limit)))


def load_points(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = sa.select(*_POINT_COLUMNS).where(LocationPoint.id.in_([uuid.UUID(i) for i in ids]))
    return _point_records(session.execute(stmt))


# A push's location points are one feed row of this kind (record id: the batch id); the
# pull expands it into `location_point` puts, so devices never see the batch.
LOCATION_BATCH = "location_batch"


def location_batch_points(session: Session, scope: PullScope,
                          batch_ids: list[str]) -> dict[str, list[str]]:
    """batch id -> ids of its points in the scope's unit, in id order."""
    stmt = sa.select(LocationPoint.batch_id, LocationPoint.id).where(
        LocationPoint.batch_id.in_([uuid.UUID(i) for i in batch_ids]),
        LocationPoint.unit_id == (scope.unit_id or -1)).order_by(LocationPoint.id)
    found: dict[str, list[str]] = {i: [] for i in batch_ids}
    for batch_id, point_id in session.execute(stmt):
        found[str(batch_id)].append(str(point_id))
    return found


# Feed kinds that stand for several records: (session, scope, ids) -> id -> [(kind, id)].
Expansion = Callable[[Session, PullScope, list[str]], dict[str, list[tuple[str, str]]]]
EXPANSIONS: dict[str, Expansion] = {
    LOCATION_BATCH: lambda session, scope, ids: {
        b: [("location_point", p) for p in points]
        for b, points in location_batch_points(session, scope, ids).items()},
}


# Feed kinds whose rows stand only for facts one push brought: the device that pushed them
# gets none of them (its push answer acknowledged each one).
PUSHED_FEED_KINDS = frozenset({LOCATION_BATCH})


# Facts a device pushes that reach the pull as a parent's companions:
# (session, ids, device id) -> those of the ids this device pushed whose stored time is no news
# to it. A time the server found uncertain, or corrected by more than ACK_TIME_TOLERANCE from
# the device's clock (a wall clock at 1970 after a reboot), comes back: the screens show it.
PushedBy = Callable[[Session, list[str], uuid.UUID], set[str]]

# Below what the screens show (minutes); above the latency a push's measure of skew carries.
ACK_TIME_TOLERANCE = timedelta(seconds=2)


def _pushed_by(model: Any) -> PushedBy:
    def find(session: Session, ids: list[str], device_id: uuid.UUID) -> set[str]:
        stmt = sa.select(model.id, model.device_time, model.corrected_time,
                         model.time_uncertain).where(
            model.id.in_([uuid.UUID(i) for i in ids]), model.device_id == device_id)
        return {str(r.id) for r in session.execute(stmt) if not r.time_uncertain
                and abs(r.corrected_time - r.device_time) <= ACK_TIME_TOLERANCE}
    return find


PUSHED_COMPANIONS: dict[str, PushedBy] = {"call_status": _pushed_by(CallStatusEvent),
                                          "call_note": _pushed_by(CallNote)}


# --- catalog, kit stock, conflicts ----------------------------------------------------------

def _item_records(items: Iterable[SupplyItem]) -> list[Record]:
    return [(str(i.id), {"id": i.id, "sku": i.sku, "name": i.name, "unit_of_issue": i.unit_of_issue,
                         "low_stock_threshold": i.low_stock_threshold}) for i in items]


def snapshot_items(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    stmt = _page(sa.select(SupplyItem), SupplyItem.id, after, limit, int)
    return _item_records(session.scalars(stmt))


def load_items(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    return _item_records(session.scalars(sa.select(SupplyItem).where(SupplyItem.id.in_(map(int, ids)))))


def _kit_records(session: Session, scope: PullScope) -> list[Record]:
    if scope.unit_id is None:
        return []
    rows = stock_on_hand(session, kit_locations(session, scope.unit_id))
    return [(f"{loc}:{item}", {"id": f"{loc}:{item}", "location_id": loc, "item_id": item,
                               "on_hand": qty}) for loc, item, qty in sorted(rows)]


def snapshot_kit(session: Session, scope: PullScope, after: str | None, limit: int) -> list[Record]:
    # A kit holds a few dozen items: one page, whatever the limit.
    return [] if after is not None else _kit_records(session, scope)


def load_kit(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    wanted = set(ids)
    return [r for r in _kit_records(session, scope) if r[0] in wanted]


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
    stmt = _page(_conflicts_in_scope(scope), SyncConflict.id, after, limit)
    return _conflict_records(session, scope, list(session.scalars(stmt)))


def load_conflicts(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = _conflicts_in_scope(scope).where(SyncConflict.id.in_([uuid.UUID(i) for i in ids]))
    return _conflict_records(session, scope, list(session.scalars(stmt)))


def register_spine() -> None:
    register(Source("supply_item", snapshot_items,
                    lambda s, scope: _count(s, sa.select(SupplyItem.id)), load_items))
    register(Source("kit_stock", snapshot_kit, lambda s, scope: len(_kit_records(s, scope)), load_kit))
    register(Source("premise", snapshot_premises,
                    lambda s, scope: _count(s, _premises_in_scope(scope)), load_premises))
    register(Source("call", snapshot_calls, lambda s, scope: _count(s, _calls_in_scope(scope)),
                    load_calls))
    register(_facts_source("call_status", CallStatusEvent, _status_dicts))
    register(_facts_source("call_note", CallNote, _note_dicts))
    register(Source("location_point", snapshot_points,
                    lambda s, scope: _count(s, _points_in_scope(scope)), load_points))
    register(Source("conflict", snapshot_conflicts,
                    lambda s, scope: _count(s, _conflicts_in_scope(scope)), load_conflicts))


# Records that travel with another: a call brings its premise, status events and notes.
# (session, parent ids) -> (parent id, companion kind, companion id)
Companions = Callable[[Session, list[str]], list[tuple[str, str, str]]]
COMPANIONS: dict[str, Companions] = {}
# Companion kinds that leave with their parent (a premise may serve other calls, so stays).
LEAVE_WITH_PARENT = {"call": ("call_status", "call_note")}


def call_companions(session: Session, call_ids: list[str]) -> list[tuple[str, str, str]]:
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


COMPANIONS["call"] = call_companions
