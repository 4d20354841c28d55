"""Device clocks: the skew measured at each push, and the server-clock time of each fact.

skew = device clock - server clock, in milliseconds, measured when a push arrives. A
positive skew means the device runs ahead; correcting subtracts it. That is right only for
facts captured under the clock the push was sent with, so an op may carry its own reading
(`ClockReading`): the last server time the device learned, what its wall clock read then,
and the monotonic time elapsed from then to the capture, which no change of the wall clock
touches (but which stands still on many devices while they sleep). `fact_time` weighs the
estimates these give, bounds the result, and says where it came from and whether to trust
it. Pure functions over aware datetimes.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

# Two estimates of one fact's time further apart than this mean one of the device's clocks
# is wrong (its wall clock jumped, or its monotonic clock stood still while it slept). A
# minute, as the HLC's MAX_DRIFT_MS: well above what the network adds to either estimate
# (the time a push or an answer takes on a field link) and a day's drift of a quartz clock,
# far below a clock set by hand, a wrong time zone or a reset to 1970. Also the margin by
# which a time may fall outside its bounds and still be trusted (it is clamped all the same).
JUMP_TOLERANCE = timedelta(minutes=1)


class TimeSource(enum.StrEnum):
    """Where a fact's corrected time came from."""

    MONOTONIC = "monotonic"  # the server time the device last learned + monotonic time since
    DEVICE_CLOCK = "device_clock"  # the device's wall clock, corrected by the push's skew


class ClockReading(NamedTuple):
    """An op's own clock (the envelope's `clock`): the last server time the device learned,
    its wall clock at that moment, and the monotonic milliseconds from then to the capture."""

    server_time: datetime
    device_time: datetime
    elapsed_ms: int


class FactTime(NamedTuple):
    corrected: datetime
    source: TimeSource
    uncertain: bool


def measure_skew(device_now: datetime, server_now: datetime) -> int:
    """Milliseconds by which the device clock is ahead of the server (negative: behind)."""
    _require_aware(device_now, "device_now")
    _require_aware(server_now, "server_now")
    return round((device_now - server_now) / timedelta(milliseconds=1))


def fact_time(device_time: datetime, skew_ms: int, clock: ClockReading | None,
              received_at: datetime, not_before: datetime | None = None) -> FactTime:
    """The server-clock time of a fact the device stamped `device_time`.

    Without a clock reading (an app restarted since it last reached the server, or an older
    app): the wall clock corrected by the push's skew. With one, three estimates:
    - monotonic: the reading's server time plus the monotonic time elapsed;
    - learned: the wall clock corrected by the skew it had when it learned that server time;
    - pushed: the wall clock corrected by the push's skew.
    Monotonic is used when either wall-clock estimate agrees with it (within JUMP_TOLERANCE).
    When instead the two wall-clock estimates agree (the wall clock read the same before and
    after), put the fact later than monotonic and no later than its receipt, the monotonic
    clock stood still while the device slept: pushed is used. Otherwise the device clock
    jumped and nothing confirms the monotonic time: it is used, uncertain (the monotonic
    clock never runs fast, so the fact happened no earlier).
    The result is clamped into [not_before, received_at] (a fact happens neither after the
    server received it nor, for a call's fact, before the call came in), and is uncertain
    when it was out by more than the tolerance.
    """
    try:
        pushed = device_time - _skew(skew_ms)
        if clock is None:
            source, estimate, doubtful = TimeSource.DEVICE_CLOCK, pushed, False
        else:
            server_time = clock.server_time
            monotonic = server_time + timedelta(milliseconds=clock.elapsed_ms)
            learned = device_time + (server_time - clock.device_time)
            if (abs(monotonic - learned) <= JUMP_TOLERANCE
                    or abs(monotonic - pushed) <= JUMP_TOLERANCE):
                source, estimate, doubtful = TimeSource.MONOTONIC, monotonic, False
            elif (abs(learned - pushed) <= JUMP_TOLERANCE
                  and monotonic < pushed <= received_at + JUMP_TOLERANCE):
                source, estimate, doubtful = TimeSource.DEVICE_CLOCK, pushed, False
            else:
                source, estimate, doubtful = TimeSource.MONOTONIC, monotonic, True
    except OverflowError:  # a clock beyond the years 1..9999: the receipt is all there is
        source = TimeSource.DEVICE_CLOCK if clock is None else TimeSource.MONOTONIC
        return FactTime(received_at, source, True)
    if estimate > received_at:
        return FactTime(received_at, source, doubtful or estimate - received_at > JUMP_TOLERANCE)
    if not_before is not None and estimate < not_before:
        return FactTime(not_before, source, doubtful or not_before - estimate > JUMP_TOLERANCE)
    return FactTime(estimate, source, doubtful)


# A push corrects hundreds of facts by the same skew: its timedelta is made once. 256
# covers every device of a busy shift pushing at once.
@lru_cache(maxsize=256)
def _skew(skew_ms: int) -> timedelta:
    return timedelta(milliseconds=skew_ms)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
