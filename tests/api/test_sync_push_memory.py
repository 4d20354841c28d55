"""What a worker keeps from one push to the next (SQLite and PostgreSQL).

SQLAlchemy caches each compiled statement by its shape. A statement whose SQL depended on
how many ids a batch names (an IN list of literals, one OR per id) would add one entry per
batch size: a worker's memory would grow with every new size until the cache's bound, and
then every push would compile its statements again. Pushes of any size must reuse the
statements the first pushes compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.calls.models import Call
from server.extensions import db
from server.sync.bulk import COPY_MIN_ROWS
from tests.fixtures.sync import Tablet, outcomes

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]

# Batches as (location points, calls named by a status tap and a note each). Warm-up: one
# row per fact table, then two (an INSERT of many rows is compiled apart from one of a
# single row), then every table above the COPY threshold.
WARM_UP = ((1, 1), (2, 2), (COPY_MIN_ROWS + 1, COPY_MIN_ROWS + 1))
# Then other sizes on both sides, naming other numbers of calls.
LATER = ((3, 3), (5, 4), (COPY_MIN_ROWS + 7, COPY_MIN_ROWS + 3), (60, COPY_MIN_ROWS + 4),
         (3, 2))


def _batch(device: Tablet, calls: list[Call], points: int, named: int) -> list[dict[str, Any]]:
    ops = [device.point(lat=35.99 + i * 1e-5) for i in range(points)]
    for call in calls[:named]:
        ops += [device.status(call, "on_scene"), device.note(call, "client engaged")]
    return ops


def test_pushes_of_new_sizes_reuse_the_compiled_statements(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    calls = [create_call(device.unit) for _ in range(COPY_MIN_ROWS + 4)]
    cache = db.engine._compiled_cache
    assert cache is not None
    for points, named in WARM_UP:
        ops = _batch(device, calls, points, named)
        assert outcomes(device.push(ops)) == ["applied"] * len(ops)
    compiled = len(cache)

    for points, named in LATER:
        ops = _batch(device, calls, points, named)
        assert outcomes(device.push(ops)) == ["applied"] * len(ops)

    assert len(cache) == compiled
