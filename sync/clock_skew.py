"""Device clock skew: measured at each push, used to correct the recorded time of facts.

skew = device clock - server clock, in milliseconds. A positive skew means the
device runs ahead; correcting subtracts it. Pure functions over aware datetimes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache


def measure_skew(device_now: datetime, server_now: datetime) -> int:
    """Milliseconds by which the device clock is ahead of the server (negative: behind)."""
    _require_aware(device_now, "device_now")
    _require_aware(server_now, "server_now")
    return round((device_now - server_now) / timedelta(milliseconds=1))


def correct(device_time: datetime, skew_ms: int) -> datetime:
    """The server-clock time of an event the device stamped `device_time`."""
    _require_aware(device_time, "device_time")
    return device_time - _skew(skew_ms)


# A push corrects hundreds of facts by the same skew: its timedelta is made once. 256
# covers every device of a busy shift pushing at once.
@lru_cache(maxsize=256)
def _skew(skew_ms: int) -> timedelta:
    return timedelta(milliseconds=skew_ms)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
