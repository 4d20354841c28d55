"""A fact's server-clock time when the device clock changes between capture and push:
one row per case, times in minutes from the push's arrival (`at(m)`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sync.clock_skew import JUMP_TOLERANCE, ClockReading, FactTime, TimeSource, fact_time
from sync.ops import MAX_ELAPSED_MS, Operation, Rejection, parse_operation
from tests.sync.factories import raw_op

RECEIVED = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOURS_3 = 180
M, D = TimeSource.MONOTONIC, TimeSource.DEVICE_CLOCK


def at(minutes: float) -> datetime:
    return RECEIVED + timedelta(minutes=minutes)


def skew(device_now: datetime) -> int:
    """The push's skew when the device clock read `device_now` as the push arrived."""
    return round((device_now - RECEIVED) / timedelta(milliseconds=1))


def reading(learned: float, device_read: datetime, elapsed_min: float) -> ClockReading:
    """Server time at(learned) learned while the device clock read `device_read`; capture
    `elapsed_min` monotonic minutes later."""
    return ClockReading(at(learned), device_read, round(elapsed_min * 60_000))


# (device_time, push skew, clock reading, not_before) -> (corrected, source, uncertain)
CASES: list[Any] = [
    pytest.param(at(-10), 0, None, None, (at(-10), D, False), id="steady clock, no reading"),
    pytest.param(at(-10 + HOURS_3), skew(at(HOURS_3)), None, None, (at(-10), D, False),
                 id="3 h ahead from capture to push, no reading: the push's skew holds"),
    pytest.param(EPOCH, 0, None, at(-60), (at(-60), D, True),
                 id="read 1970 at capture only, no reading: clamped to the call, uncertain"),
    pytest.param(at(-10 + HOURS_3), 0, None, None, (at(0), D, True),
                 id="read now+3 h at capture only, no reading: clamped to the receipt, uncertain"),
    pytest.param(at(0.5), 0, None, None, (at(0), D, False),
                 id="tapped as the push left: past the receipt by the link's delay, clamped"),
    pytest.param(at(-60.5), 0, None, at(-60), (at(-60), D, False),
                 id="tapped as the call came in: before it by clock noise, clamped"),
    pytest.param(at(-10), 0, reading(-60, at(-60), 50), None, (at(-10), M, False),
                 id="reading, steady clock"),
    pytest.param(at(-10), skew(EPOCH), reading(-60, at(-60), 50), None, (at(-10), M, False),
                 id="reading, clock reset to 1970 after capture (was stored as 2083)"),
    pytest.param(at(-10 + HOURS_3), 0, reading(-60, at(-60), 50), None, (at(-10), M, True),
                 id="reading, clock read now+3 h at capture only: time holds, unconfirmed"),
    pytest.param(EPOCH, 0, reading(-60, at(-60), 50), None, (at(-10), M, True),
                 id="reading, clock read 1970 at capture only (was stored as 1970)"),
    pytest.param(at(-10 + HOURS_3), skew(at(HOURS_3)), reading(-60, at(-60), 50), None,
                 (at(-10), M, False), id="reading, clock set 3 h ahead before capture, kept"),
    pytest.param(EPOCH + timedelta(minutes=50), 0, reading(-60, EPOCH, 50), None,
                 (at(-10), M, False), id="reading learned while the clock read 1970"),
    pytest.param(at(-10), 0, reading(-60, at(-60), 10), None, (at(-10), D, False),
                 id="device slept 40 min: monotonic stood still, the wall clock held"),
    pytest.param(at(-10), 0, reading(-60, at(-60), 80), None, (at(0), M, True),
                 id="monotonic ahead of a steady wall clock: cannot be"),
    pytest.param(at(-10 + HOURS_3), 0, reading(-60, at(-60), 10), None, (at(-50), M, True),
                 id="slept, and the clock read now+3 h at capture only"),
    pytest.param(EPOCH, 0, reading(-60, at(-60), 10), at(-90), (at(-50), M, True),
                 id="slept and the clock jumped: nothing agrees"),
    pytest.param(at(60), 0, reading(60, at(60), 0), None, (at(0), M, True),
                 id="a server time from the future: clamped to the receipt"),
    pytest.param(datetime(9999, 12, 31, tzinfo=UTC), skew(EPOCH), None, None, (at(0), D, True),
                 id="past the calendar's end: the receipt"),
    pytest.param(datetime(9999, 12, 31, tzinfo=UTC), skew(EPOCH), reading(-60, at(-60), 50), None,
                 (at(0), M, True), id="past the calendar's end with a reading: the receipt"),
    pytest.param(at(1), 0, None, None, (at(0), D, False),
                 id="a tolerance after the receipt: clamped, still trusted"),
    pytest.param(at(-61), 0, None, at(-60), (at(-60), D, False),
                 id="a tolerance before the call: clamped, still trusted"),
    pytest.param(at(-9), skew(EPOCH), reading(-60, at(-60), 50), None, (at(-10), M, False),
                 id="reading, the wall clock a tolerance off the monotonic one: monotonic, trusted"),
    pytest.param(at(-10), -60_000, reading(-60, at(-60), 10), None, (at(-9), D, False),
                 id="slept, the learned and pushed estimates a tolerance apart: they agree"),
    pytest.param(at(0.5), 0, reading(-60, at(-60), 10), None, (at(0), D, False),
                 id="slept, then tapped as the push left: the wall clock, clamped"),
    pytest.param(at(1), 0, reading(-60, at(-60), 10), None, (at(0), D, False),
                 id="slept, then tapped a tolerance after the receipt: the wall clock, clamped"),
]


@pytest.mark.parametrize(("device_time", "skew_ms", "clock", "not_before", "expected"), CASES)
def test_fact_time_holds_for_the_clock_in_force_at_capture(
        device_time: datetime, skew_ms: int, clock: ClockReading | None,
        not_before: datetime | None, expected: tuple[datetime, TimeSource, bool]) -> None:
    when = fact_time(device_time, skew_ms, clock, RECEIVED, not_before)
    assert when == FactTime(*expected)
    assert when.corrected <= RECEIVED
    assert not_before is None or when.corrected >= not_before
    # Idempotent: a time the server already trusts comes out the same when asked again.
    again = fact_time(when.corrected, 0, None, RECEIVED, not_before)
    assert again.corrected == when.corrected


def test_the_tolerance_is_the_line_between_trusted_and_uncertain() -> None:
    clock = reading(-60, at(0), 50)  # learned while the device clock ran an hour ahead
    inside = fact_time(at(-10) + JUMP_TOLERANCE, 0, clock, RECEIVED)
    outside = fact_time(at(-10) + 2 * JUMP_TOLERANCE, 0, clock, RECEIVED)
    assert (inside.corrected, inside.uncertain) == (at(-10), False)
    assert (outside.corrected, outside.uncertain) == (at(-10), True)


CLOCK = {"server_time": "2026-11-25T02:00:00+00:00", "device_time": "2026-11-25T02:00:03+00:00",
         "elapsed_ms": 3_600_000}


def test_an_op_with_a_clock_reading_parses_the_same_on_the_fast_and_the_full_path() -> None:
    fast = parse_operation(raw_op(1, clock=CLOCK), 2)
    full = parse_operation(raw_op(1, clock=CLOCK, id=raw_op(1)["id"].upper()), 2)  # not canonical
    assert isinstance(fast, Operation)
    assert isinstance(full, Operation)
    assert fast.clock == full.clock == ClockReading(
        datetime(2026, 11, 25, 2, tzinfo=UTC), datetime(2026, 11, 25, 2, 0, 3, tzinfo=UTC),
        3_600_000)
    assert parse_operation(raw_op(1, clock=None), 2) == parse_operation(raw_op(1), 2)


@pytest.mark.parametrize(
    ("clock", "named"),
    [
        ("2026-11-25T02:00:00Z", {"clock"}),
        ({**CLOCK, "elapsed_ms": -1}, {"clock.elapsed_ms"}),
        ({**CLOCK, "elapsed_ms": MAX_ELAPSED_MS + 1}, {"clock.elapsed_ms"}),
        ({**CLOCK, "elapsed_ms": 1.5}, {"clock.elapsed_ms"}),
        ({**CLOCK, "elapsed_ms": True}, {"clock.elapsed_ms"}),
        ({**CLOCK, "server_time": "2026-11-25T02:00:00"}, {"clock.server_time"}),
        ({"elapsed_ms": 5}, {"clock.server_time", "clock.device_time"}),
        ({**CLOCK, "offset_ms": 5}, {"clock.offset_ms"}),
    ],
)
def test_a_bad_clock_reading_is_named_field_by_field(clock: object, named: set[str]) -> None:
    result = parse_operation(raw_op(3, clock=clock), 2)
    assert isinstance(result, Rejection)
    assert set(result.errors) == named
