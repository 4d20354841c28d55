"""Changes to synced records, noted during a unit of work, and the feed scopes they go to.

Any feature notes its records' changes here; `server.sync.feed` writes them at commit.
This module depends on no feature and not on the sync package, so both may import it.
A scope names who reads a feed row: everyone, a person, a unit, a role, or the devices
whose audience takes in a map cell ("units near this point").
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from sqlalchemy.orm import Session

PENDING_KEY = "heart_feed_pending"
ORIGIN_KEY = "heart_feed_origin"

ALL_SCOPE = "all"
# Side of a map cell in degrees: 0.05 deg of latitude is about 5.6 km, the size of the
# "units within 5 km" question, so a radius of a few km covers a handful of cells.
CELL_DEGREES = 0.05
# Kilometres in a degree of latitude (and of longitude at the equator).
KM_PER_DEGREE = 111.2


class Change(NamedTuple):
    # A tuple: a push notes one per fact, so creating and hashing them must be cheap.
    scope: str
    kind: str
    record_id: str
    op: str  # put | delete | remove
    origin: str | None  # the pushing device, for rows a push wrote


def note_change(session: Session, kind: str, record_id: object, scopes: list[str],
                op: str = "put") -> None:
    """Queue a feed row per scope; written when the session commits."""
    pending: list[Change] = session.info.setdefault(PENDING_KEY, [])
    record = str(record_id)
    origin: str | None = session.info.get(ORIGIN_KEY)
    for scope in scopes:
        pending.append(Change(scope, kind, record, op, origin))


@contextmanager
def pushed_by(session: Session, device_id: str) -> Iterator[None]:
    """Feed rows noted inside are marked as written by this device's push."""
    session.info[ORIGIN_KEY] = device_id
    try:
        yield
    finally:
        session.info.pop(ORIGIN_KEY, None)


def unit_scope(unit_id: int) -> str:
    return f"unit:{unit_id}"


def user_scope(user_id: int) -> str:
    return f"user:{user_id}"


def role_scope(role: str) -> str:
    return f"role:{role}"


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEGREES), math.floor(lon / CELL_DEGREES)


def cell_scope(lat: float, lon: float) -> str:
    """The scope of a record placed at a point: the map cell holding it."""
    row, col = _cell(lat, lon)
    return f"cell:{row}:{col}"


def cells_near(lat: float, lon: float, km: float) -> list[str]:
    """The scopes of every cell within `km` of the point (its bounding box, cell by cell):
    an audience that sees what is placed near it."""
    dlat = km / KM_PER_DEGREE
    dlon = km / (KM_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))
    low_row, low_col = _cell(lat - dlat, lon - dlon)
    high_row, high_col = _cell(lat + dlat, lon + dlon)
    return [f"cell:{r}:{c}" for r in range(low_row, high_row + 1)
            for c in range(low_col, high_col + 1)]
