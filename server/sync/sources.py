"""Record sources for the pull: each kind pages a fresh snapshot of a scope by id, loads the
current state of records named by the change feed, and turns rows into wire data.

A feature gives its kind a Source (`server.sync.kinds.SyncedKind.source`); the pull loop
never names one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from server.sync.scope import PullScope

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


def page(stmt: sa.Select[Any], id_column: Any, after: str | None, limit: int,
         cast: Callable[[str], Any] = uuid.UUID) -> sa.Select[Any]:
    """One snapshot page of `stmt`: rows after the id `after`, in id order."""
    if after is not None:
        stmt = stmt.where(id_column > cast(after))
    return stmt.order_by(id_column).limit(limit)


def count_of(session: Session, stmt: sa.Select[Any]) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)


# Below what the screens show (minutes); above the latency a push's measure of skew carries.
ACK_TIME_TOLERANCE = timedelta(seconds=2)


def pushed_by_device(model: Any) -> Callable[[Session, list[str], uuid.UUID], set[str]]:
    """For a fact model (server.models_base.FactColumns): which of these ids the device pushed
    whose stored time is no news to it. A time the server found uncertain, or corrected by
    more than ACK_TIME_TOLERANCE from the device's clock (a wall clock at 1970 after a reboot),
    comes back: the screens show it."""
    def find(session: Session, ids: list[str], device_id: uuid.UUID) -> set[str]:
        stmt = sa.select(model.id, model.device_time, model.corrected_time,
                         model.time_uncertain).where(
            model.id.in_([uuid.UUID(i) for i in ids]), model.device_id == device_id)
        return {str(r.id) for r in session.execute(stmt) if not r.time_uncertain
                and abs(r.corrected_time - r.device_time) <= ACK_TIME_TOLERANCE}
    return find
