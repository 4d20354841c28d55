"""The location point's synced kind: a unit's track, pushed by its tablets and pulled by
the unit for one shift. A push's points are one feed row (a batch) that the pull expands.
Registered into the app's synced kinds (`server.sync.kinds`) from SYNC_KINDS.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.changes import note_change, unit_scope
from server.locations.kinds import LOCATION_POINT
from server.locations.models import LocationPoint
from server.models_base import utcnow
from server.sync.kinds import KindRegistry, SyncedKind, fact_row, rejected
from server.sync.scope import PullScope
from server.sync.sources import Record, Source, count_of, page
from server.sync.store import SqlPushStore
from sync.ops import Operation, OpResult, Outcome
from sync.push import Actor
from sync.registry import RecordKind

# A tablet keeps its unit's track for one shift (HEART runs 12-hour shifts).
LOCATION_HISTORY = timedelta(hours=12)
# A push's location points are one feed row of this kind (record id: the batch id); the
# pull expands it into `location_point` puts, so devices never see the batch.
LOCATION_BATCH = "location_batch"
# The key of this push's batch id in the push store's memo.
_BATCH_KEY = LOCATION_BATCH


def apply_location_point(store: SqlPushStore, kind: RecordKind, op: Operation,
                         actor: Actor) -> OpResult:
    if store.fact_exists(op.kind, op.record_id):
        return rejected(op, "record_id", "a record with this id already exists")
    batch_id: str | None = store.memo.get(_BATCH_KEY)
    if batch_id is None and store.unit_id is not None:
        # One feed row for all the points of this push (the unit's tablets pull them all).
        batch_id = store.memo[_BATCH_KEY] = str(uuid.uuid4())
        note_change(store.session, LOCATION_BATCH, batch_id, [unit_scope(store.unit_id)])
    row = fact_row(store, op, actor, None)
    data = op.data
    row.update(unit_id=store.unit_id, lat=data["lat"], lon=data["lon"],
               accuracy_m=data.get("accuracy_m"), batch_id=batch_id)
    store.queue_row(LocationPoint.__table__, row)
    store.mark_fact(op.kind, op.record_id)
    return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, 1)


_POINT_COLUMNS = (LocationPoint.id, LocationPoint.lat, LocationPoint.lon, LocationPoint.accuracy_m,
                  LocationPoint.corrected_time, LocationPoint.user_id)


def _points_in_scope(scope: PullScope) -> sa.Select[Any]:
    since = utcnow() - LOCATION_HISTORY
    return sa.select(*_POINT_COLUMNS).where(  # type: ignore[return-value]  # rows used as Any
        LocationPoint.unit_id == (scope.unit_id or -1), LocationPoint.corrected_time >= since)


def _point_records(rows: Iterable[Any]) -> list[Record]:
    return [(str(r.id), {"id": str(r.id), "lat": r.lat, "lon": r.lon, "accuracy_m": r.accuracy_m,
                         "at": r.corrected_time.isoformat(), "user_id": r.user_id}) for r in rows]


def snapshot_points(session: Session, scope: PullScope, after: str | None,
                    limit: int) -> list[Record]:
    return _point_records(session.execute(page(_points_in_scope(scope), LocationPoint.id, after,
                                               limit)))


def load_points(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    stmt = sa.select(*_POINT_COLUMNS).where(LocationPoint.id.in_([uuid.UUID(i) for i in ids]))
    return _point_records(session.execute(stmt))


def location_batch_points(session: Session, scope: PullScope,
                          batch_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    """batch id -> its points in the scope's unit, in id order."""
    stmt = sa.select(LocationPoint.batch_id, LocationPoint.id).where(
        LocationPoint.batch_id.in_([uuid.UUID(i) for i in batch_ids]),
        LocationPoint.unit_id == (scope.unit_id or -1)).order_by(LocationPoint.id)
    found: dict[str, list[tuple[str, str]]] = {i: [] for i in batch_ids}
    for batch_id, point_id in session.execute(stmt):
        found[str(batch_id)].append(("location_point", str(point_id)))
    return found


def register(kinds: KindRegistry) -> None:
    kinds.register(SyncedKind(
        LOCATION_POINT,
        applier=apply_location_point, table=LocationPoint.__table__,
        source=Source("location_point", snapshot_points,
                      lambda s, scope: count_of(s, _points_in_scope(scope)), load_points)))
    # The pushing device's own points come back as its push answer, not in its feed.
    kinds.add_expansion(LOCATION_BATCH, location_batch_points, pushed_only=True)
