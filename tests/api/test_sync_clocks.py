"""Fact times when a tablet's clock changes between capture and push: the reference client
(`sync.client.Client`, with its wall and monotonic clocks injected) against the real API,
on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from server.auth.models import Device, Role, User
from server.calls.models import Call, CallStatusEvent
from server.extensions import db
from server.kinds import record_registry
from server.models_base import utcnow
from server.sync.models import RejectedOp
from server.units.models import Unit
from sync.client import Client
from sync.clock_skew import TimeSource
from tests.fixtures.people import PASSWORD
from tests.fixtures.sync import Tablet, ThroughFlask, count_rows

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# How close a corrected time must be to the real moment of capture: the test's own run time.
CLOSE = timedelta(seconds=5)


@dataclass
class TabletClocks:
    """A tablet's wall clock (set to any time, then running on) and its monotonic clock."""

    wall_offset: timedelta = timedelta(0)

    def wall(self) -> datetime:
        return utcnow() + self.wall_offset

    def monotonic(self) -> float:
        return time.monotonic()

    def set_wall(self, reads: datetime) -> None:
        self.wall_offset = reads - utcnow()


@dataclass
class Crew:
    user: User
    unit: Unit
    call: Call
    clocks: TabletClocks
    start: Callable[[], Client]


@pytest.fixture
def crew(client: FlaskClient, create_unit: Callable[..., Unit],
         create_user: Callable[..., User], create_call: Callable[..., Call],
         tmp_path: Path) -> Iterator[Crew]:
    """A responder on shift, a call that came in half an hour ago, and `start()`: the app
    opened on the tablet (again: a restart keeps the local database, loses the monotonic)."""
    unit = create_unit()
    user = create_user(Role.RESPONDER_CLINICIAN, unit=unit)
    call = create_call(unit, received_at=utcnow() - timedelta(minutes=30))
    clocks = TabletClocks()
    opened: list[Client] = []

    def start() -> Client:
        if opened:
            opened[-1].close()
        opened.append(Client("http://heart.test", tmp_path / "tablet.sqlite3", record_registry(),
                             session=ThroughFlask(client), sleep=lambda s: None,
                             now=clocks.wall, monotonic=clocks.monotonic))
        return opened[-1]

    yield Crew(user, unit, call, clocks, start)
    opened[-1].close()


def stored(model: Any, record_id: str) -> Any:
    db.session.expire_all()
    row = db.session.get(model, uuid.UUID(record_id))
    assert row is not None
    return row


def near(a: datetime, b: datetime) -> bool:
    return abs(a.astimezone(UTC) - b) <= CLOSE


def call_detail(crew: Crew, client: FlaskClient) -> dict[str, Any]:
    token = client.post("/api/v1/auth/login", json={"username": crew.user.username,
                                                    "password": PASSWORD}).json["access_token"]
    response = client.get(f"/api/v1/calls/{crew.call.id}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.json
    detail: dict[str, Any] = response.json
    return detail


def test_taps_under_a_clock_at_1970_then_3_hours_ahead_then_right_keep_their_real_times(
        crew: Crew, client: FlaskClient) -> None:
    tablet = crew.start()
    tablet.login(crew.user.username, PASSWORD)
    tablet.pull()  # the tablet learns the server's time
    clocks, call_id = crew.clocks, str(crew.call.id)

    clocks.set_wall(EPOCH)
    en_route_at, en_route = utcnow(), tablet.record_status(call_id, "en_route")
    clocks.set_wall(utcnow() + timedelta(hours=3))
    on_scene_at, on_scene = utcnow(), tablet.record_status(call_id, "on_scene")
    clocks.wall_offset = timedelta(0)
    tablet.push()  # the clock is right again: the push's skew was applied -> 1970 and now+3 h
    transporting_at, transporting = utcnow(), tablet.record_status(call_id, "transporting")
    clocks.set_wall(EPOCH)
    tablet.push()  # the clock reads 1970 while pushing a real-time tap: it was stored as 2083
    clocks.wall_offset = timedelta(0)
    tablet.pull()

    events = {i: stored(CallStatusEvent, i) for i in (en_route, on_scene, transporting)}
    assert near(events[en_route].corrected_time, en_route_at)
    assert near(events[on_scene].corrected_time, on_scene_at)
    assert near(events[transporting].corrected_time, transporting_at)
    assert {e.time_source for e in events.values()} == {TimeSource.MONOTONIC}
    # Kept as the device recorded them.
    assert events[en_route].device_time.year == 1970
    assert near(events[on_scene].device_time - timedelta(hours=3), on_scene_at)
    # The wall clock read something else before and after each of the first two: nothing
    # confirms their monotonic time. The third agrees with the clock it was captured under.
    assert [events[i].time_uncertain for i in (en_route, on_scene, transporting)] == [
        True, True, False]
    detail = call_detail(crew, client)
    assert {e["id"]: e["time_uncertain"] for e in detail["status_events"]} == {
        en_route: True, on_scene: True, transporting: False}
    assert detail["status_times_uncertain"] == ["en_route", "on_scene"]
    assert detail["uncertain_times_left_out"] == 0
    on_tablet = {r["id"]: r for r in tablet.records("call_status")}
    # The pull brings the tablet the times the server found uncertain; a tap stored at the time
    # its clock read was acknowledged by its push answer and stays as the tablet recorded it.
    assert on_tablet[en_route]["data"]["time_uncertain"] is True
    assert on_tablet[on_scene]["data"]["time_uncertain"] is True
    assert on_tablet[transporting]["data"] == {"call_id": call_id, "status": "transporting"}


def test_an_app_restarted_offline_under_a_1970_clock_falls_back_to_the_device_clock_clamped(
        crew: Crew, client: FlaskClient) -> None:
    tablet = crew.start()
    tablet.login(crew.user.username, PASSWORD)
    tablet.pull()
    crew.clocks.set_wall(EPOCH)
    tablet = crew.start()  # restarted: the monotonic clock's reading is gone
    guessed = tablet.record_status(str(crew.call.id), "on_scene")
    crew.clocks.wall_offset = timedelta(0)
    tablet.push()  # learns the server's time again
    tapped_at, again = utcnow(), tablet.record_status(str(crew.call.id), "on_scene")
    tablet.push()

    first = stored(CallStatusEvent, guessed)
    assert first.time_source is TimeSource.DEVICE_CLOCK
    assert first.time_uncertain is True
    # Never before the call came in, nor before the tablet was registered (later, here).
    device = db.session.get(Device, uuid.UUID(tablet.status()["device_id"]))
    assert device is not None
    assert first.corrected_time == device.registered_at > crew.call.received_at
    assert first.device_time.year == 1970
    second = stored(CallStatusEvent, again)
    assert (second.time_source, second.time_uncertain) == (TimeSource.MONOTONIC, False)
    detail = call_detail(crew, client)
    assert near(datetime.fromisoformat(detail["status_times"]["on_scene"]), tapped_at)
    assert detail["status_times_uncertain"] == []
    assert detail["uncertain_times_left_out"] == 1


def test_a_tap_stamped_after_the_push_arrived_is_clamped_to_the_receipt(
        tablet: Callable[..., Tablet], create_call: Callable[..., Call]) -> None:
    device = tablet()
    call = create_call(device.unit)
    before = utcnow()
    ahead = device.status(call, "on_scene", device_time=utcnow() + timedelta(hours=2))

    device.push([ahead], device_time=utcnow())

    row = stored(CallStatusEvent, ahead["record_id"])
    assert before <= row.corrected_time.astimezone(UTC) <= utcnow()
    assert row.corrected_time == row.received_at
    assert row.time_uncertain is True


def test_a_bad_clock_reading_rejects_the_op_naming_the_field_and_keeps_it(
        tablet: Callable[..., Tablet], create_call: Callable[..., Call]) -> None:
    device = tablet()
    call = create_call(device.unit)
    clock = {"server_time": utcnow().isoformat(), "device_time": utcnow().isoformat(),
             "elapsed_ms": -5}
    response = device.push([device.status(call, "en_route", clock=clock)])

    [result] = response.json["results"]
    assert result["outcome"] == "rejected"
    assert list(result["errors"]) == ["clock.elapsed_ms"]
    assert count_rows(RejectedOp) == 1
    assert count_rows(CallStatusEvent) == 0
