"""Hybrid logical clock: deterministic with an injected wall clock."""

from __future__ import annotations

import pytest

from sync.hlc import MAX_COUNTER, MAX_DRIFT_MS, Clock, Timestamp


class FakeWall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_timestamps_order_as_tuples_and_text_sorts_the_same_way() -> None:
    stamps = [
        Timestamp(1_700_000_000_000, 0, "b"),
        Timestamp(1_700_000_000_000, 1, "a"),
        Timestamp(1_700_000_000_000, 0, "a"),
        Timestamp(999, 9, "z"),
    ]
    assert sorted(stamps) == sorted(stamps, key=str)
    assert str(stamps[0]) == "1700000000000-0000-b"


def test_text_form_round_trips_with_dashes_in_the_node() -> None:
    stamp = Timestamp(1_732_503_600_000, 42, "0193a2b4-dev")
    assert Timestamp.parse(str(stamp)) == stamp


@pytest.mark.parametrize(
    "text",
    ["", "123-0000-a", "1732503600000-00-a", "1732503600000-0000-", "x732503600000-0000-a",
     # Other scripts' digits: int() reads them, but the text form would not round-trip.
     "\u0661732503600000-0000-a", "1732503600000-\u0660\u0660\u0660\u0660-a"],
)
def test_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="hlc"):
        Timestamp.parse(text)


def test_send_follows_the_wall_clock_when_it_moves_forward() -> None:
    wall = FakeWall(1000)
    clock = Clock(wall, "dev1")
    assert clock.send() == Timestamp(1000, 0, "dev1")
    wall.ms = 2000
    assert clock.send() == Timestamp(2000, 0, "dev1")


def test_send_never_goes_backwards_when_the_wall_clock_jumps_back() -> None:
    wall = FakeWall(5000)
    clock = Clock(wall, "dev1")
    first = clock.send()
    wall.ms = 10  # the tablet's clock was reset to 1970
    second, third = clock.send(), clock.send()
    assert first < second < third
    assert second == Timestamp(5000, 1, "dev1")


def test_recv_adopts_a_remote_slightly_ahead_and_stays_after_it() -> None:
    clock = Clock(FakeWall(1000), "server")
    remote = Timestamp(1500, 7, "dev1")
    got = clock.recv(remote)
    assert got == Timestamp(1500, 8, "server")
    assert got > remote


def test_recv_does_not_adopt_a_remote_far_in_the_future() -> None:
    clock = Clock(FakeWall(1000), "server")
    got = clock.recv(Timestamp(1000 + 365 * 86_400_000, 0, "broken-tablet"))
    assert got.wall_ms == 1000 + MAX_DRIFT_MS
    assert clock.drift_refused == 1


def test_counter_overflow_borrows_the_next_millisecond() -> None:
    clock = Clock(FakeWall(1000), "dev1", last=Timestamp(1000, MAX_COUNTER, "dev1"))
    assert clock.send() == Timestamp(1001, 0, "dev1")


def test_a_restarted_clock_continues_after_its_saved_last_stamp() -> None:
    saved = Timestamp(9000, 3, "dev1")
    clock = Clock(FakeWall(100), "dev1", last=saved)
    assert clock.send() > saved


def test_the_last_counter_value_is_used_before_the_clock_borrows_a_millisecond() -> None:
    clock = Clock(FakeWall(1000), "dev1", last=Timestamp(1000, MAX_COUNTER - 1, "dev1"))
    assert clock.send() == Timestamp(1000, MAX_COUNTER, "dev1")
    assert str(clock.last) == "0000000001000-9999-dev1"
    assert clock.send() == Timestamp(1001, 0, "dev1")


def test_a_remote_counter_at_its_last_value_moves_the_receipt_to_the_next_millisecond() -> None:
    clock = Clock(FakeWall(1000), "server")
    assert clock.recv(Timestamp(1000, MAX_COUNTER, "dev1")) == Timestamp(1001, 0, "server")


def test_a_remote_exactly_at_the_drift_limit_is_adopted_unchanged() -> None:
    clock = Clock(FakeWall(1000), "server")
    got = clock.recv(Timestamp(1000 + MAX_DRIFT_MS, 7, "dev1"))
    assert got == Timestamp(1000 + MAX_DRIFT_MS, 8, "server")
    assert clock.drift_refused == 0


def test_a_remote_one_millisecond_past_the_drift_limit_is_cut_to_the_limit() -> None:
    clock = Clock(FakeWall(1000), "server")
    got = clock.recv(Timestamp(1001 + MAX_DRIFT_MS, 7, "dev1"))
    assert got == Timestamp(1000 + MAX_DRIFT_MS, 1, "server")
    assert clock.drift_refused == 1


def test_every_refused_reading_is_counted() -> None:
    clock = Clock(FakeWall(1000), "server")
    for _ in range(3):
        clock.recv(Timestamp(10**12, 0, "broken-tablet"))
    assert clock.drift_refused == 3


def test_a_clock_whose_wall_reads_the_epoch_still_moves_forward_by_its_counter() -> None:
    clock = Clock(FakeWall(0), "dev1")
    assert [clock.send(), clock.send()] == [Timestamp(0, 1, "dev1"), Timestamp(0, 2, "dev1")]


def test_a_clock_needs_a_node_and_starts_before_any_time_of_its_own() -> None:
    with pytest.raises(ValueError, match=r"^node must not be empty$"):
        Clock(FakeWall(0), "")
    assert Clock(FakeWall(5), "dev1").last == Timestamp(0, 0, "dev1")
