"""The reference client's clock reading on every op, against the fake server, over a shift
whose minutes pass at the test's command: a wall clock set to anything, a monotonic clock
that stands still while the tablet sleeps, and the server's clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.kinds import record_registry
from sync.client import Client
from tests.sync.conftest import CALL
from tests.sync.factories import CALL_ID
from tests.sync.fakes import SERVER_NOW, FakeServer

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class Shift:
    real: datetime = SERVER_NOW - timedelta(hours=2)
    wall_offset: timedelta = timedelta(0)
    monotonic_s: float = 5_000.0  # seconds since the tablet booted
    tablets: list[Client] = field(default_factory=list)

    def wall(self) -> datetime:
        return self.real + self.wall_offset

    def monotonic(self) -> float:
        return self.monotonic_s

    def passes(self, minutes: float, asleep: bool = False) -> None:
        self.real += timedelta(minutes=minutes)
        if not asleep:
            self.monotonic_s += minutes * 60

    def set_wall(self, reads: datetime) -> None:
        self.wall_offset = reads - self.real


@pytest.fixture
def shift() -> Shift:
    return Shift()


@pytest.fixture
def server(shift: Shift) -> FakeServer:
    server = FakeServer(now=lambda: shift.real)
    server.store.put("call", CALL_ID, {**CALL, "received_at": (shift.real - timedelta(
        minutes=10)).isoformat()})
    return server


@pytest.fixture
def open_app(shift: Shift, server: FakeServer, tmp_path: Path) -> Iterator[Any]:
    """open_app() -> the tablet's app started (again): same database, no clock reading."""
    def start() -> Client:
        if shift.tablets:
            shift.tablets[-1].close()
        shift.tablets.append(Client("http://heart.test", tmp_path / "tablet.sqlite3", record_registry(),
                                    session=server, sleep=lambda s: None, now=shift.wall,
                                    monotonic=shift.monotonic, rand=lambda: 0.5))
        return shift.tablets[-1]
    yield start
    shift.tablets[-1].close()


def fact(server: FakeServer, record_id: str) -> dict[str, Any]:
    record = server.store.get("call_status", record_id) or server.store.get("call_note", record_id)
    assert record is not None
    return record.data


def sent_ops(server: FakeServer) -> list[dict[str, Any]]:
    return [op for pushes in server.pushes.values() for body in pushes for op in body["ops"]]


def test_1970_then_3_hours_ahead_then_a_real_time_tap_pushed_under_1970_each_keep_their_time(
        shift: Shift, server: FakeServer, open_app: Any) -> None:
    tablet = open_app()
    tablet.login("ana", "correct horse")
    tablet.pull()
    start = shift.real

    shift.passes(5)
    shift.set_wall(EPOCH)
    en_route = tablet.record_status(CALL_ID, "en_route")
    shift.passes(5)
    shift.set_wall(shift.real + timedelta(hours=3))
    on_scene = tablet.record_status(CALL_ID, "on_scene")
    shift.passes(5)
    shift.set_wall(shift.real)
    transporting = tablet.record_status(CALL_ID, "transporting")
    shift.passes(5)
    shift.set_wall(EPOCH)
    tablet.push()

    times = {i: datetime.fromisoformat(fact(server, i)["corrected_time"])
             for i in (en_route, on_scene, transporting)}
    assert times == {en_route: start + timedelta(minutes=5),
                     on_scene: start + timedelta(minutes=10),
                     transporting: start + timedelta(minutes=15)}
    assert {fact(server, i)["time_source"] for i in times} == {"monotonic"}
    assert [fact(server, i)["time_uncertain"] for i in (en_route, on_scene, transporting)] == [
        True, True, False]
    assert fact(server, en_route)["device_time"] == EPOCH.isoformat()


def test_a_tablet_asleep_for_half_an_hour_keeps_the_time_of_its_steady_wall_clock(
        shift: Shift, server: FakeServer, open_app: Any) -> None:
    tablet = open_app()
    tablet.login("ana", "correct horse")
    tablet.pull()
    shift.passes(30, asleep=True)
    note = tablet.add_note(CALL_ID, "woke the tablet to write this")
    shift.passes(1)
    tablet.push()

    stored = fact(server, note)
    assert datetime.fromisoformat(stored["corrected_time"]) == shift.real - timedelta(minutes=1)
    assert (stored["time_source"], stored["time_uncertain"]) == ("device_clock", False)


def test_each_op_carries_the_last_server_time_and_the_monotonic_time_since_until_a_restart(
        shift: Shift, server: FakeServer, open_app: Any) -> None:
    tablet = open_app()
    tablet.login("ana", "correct horse")
    shift.set_wall(shift.real + timedelta(minutes=2))  # the tablet runs two minutes ahead
    tablet.pull()
    learned_at, device_read = shift.real, shift.wall()
    shift.passes(7)
    tablet.record_status(CALL_ID, "en_route")
    tablet = open_app()  # restarted before any other answer: the reading is gone
    tablet.record_status(CALL_ID, "on_scene")
    tablet.push()

    first, second = sent_ops(server)
    assert first["clock"] == {"server_time": learned_at.isoformat(),
                              "device_time": device_read.isoformat(), "elapsed_ms": 420_000}
    assert "clock" not in second
    assert fact(server, second["record_id"])["time_source"] == "device_clock"
