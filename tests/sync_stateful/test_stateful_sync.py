"""Six tablets (the reference client, `sync.client.Client`) against the real Flask server
over a transport that drops requests, drops responses, duplicates requests and resends
old batches after newer ones (out of order), while the server restarts (a new app object on
the same database).

Invariants, checked after a final clean sync: every operation a tablet made was applied
exactly once or kept as rejected (fact rows and op results against the ids the tablets
made; nothing twice, nothing missing), and every tablet's store equals the server's view
of its scope (each call's status, disposition, version, and its status and note ids; the
unit's location points; the user's open conflicts). Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import random
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from server.auth.models import Role, User
from server.auth.services import create_user
from server.calls.models import Call, CallNote, CallStatusEvent
from server.calls.services import create_call, update_call
from server.demo import seed_call_types
from server.extensions import db
from server.kinds import record_registry
from server.locations.models import LocationPoint
from server.sync.models import RejectedOp, SyncConflict, SyncDevice, SyncOpResult
from server.units.models import Program, Unit
from sync.client import Client, Offline
from tests.conftest import _truncate_all, make_app
from tests.fixtures.people import PASSWORD, put_on_shift
from tests.sync.factories import note_text

UNITS = 2
DEVICES_PER_UNIT = 3
CALLS_PER_UNIT = 2
FAULTS = ("drop_request", "drop_response", "duplicate", "resend_old")
FACTS = {"call_status": CallStatusEvent, "call_note": CallNote, "location_point": LocationPoint}
# A sync that needs more HTTP requests than this is looping (e.g. never settles its outbox).
MAX_REQUESTS_PER_SYNC = 200
BASE = "http://heart.test"

PROFILES = {
    "default": settings(max_examples=12, stateful_step_count=20, deadline=None,
                        suppress_health_check=list(HealthCheck)),
    "long": settings(settings.get_profile("long"), suppress_health_check=list(HealthCheck)),
}


class Answer:
    """What `requests` would return, from a Flask test response."""

    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self.headers = dict(response.headers)
        self._body = response.get_json(silent=True)

    def json(self) -> Any:
        if self._body is None:
            raise ValueError("no JSON body")
        return self._body


class FlakyNetwork:
    """One tablet's link to the server: faults queued by the test are spent one per request."""

    def __init__(self, world: DevicesAndServer) -> None:
        self.world = world
        self.faults: list[str] = []
        self.old_pushes: list[tuple[dict[str, Any], dict[str, str]]] = []

    def request(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                json: Any = None, headers: dict[str, str] | None = None,
                timeout: float | None = None) -> Answer:
        self.world.requests += 1
        assert self.world.requests <= MAX_REQUESTS_PER_SYNC, "a sync never ends"
        path = urlsplit(url).path
        fault = self.faults.pop(0) if self.faults else None
        if fault == "drop_request":
            raise requests.ConnectionError("request lost")
        http = self.world.app.test_client()
        is_push = path.endswith("/sync/push")
        if fault == "resend_old" and is_push and self.old_pushes:
            old_body, old_headers = random.choice(self.old_pushes)
            stale = http.post(path, json=old_body, headers=old_headers)
            assert stale.status_code == 200, stale.get_json()
        response = http.open(path, method=method, query_string=params, json=json, headers=headers)
        if fault == "duplicate":
            response = http.open(path, method=method, query_string=params, json=json,
                                 headers=headers)
        if is_push and response.status_code == 200:
            self.old_pushes.append((copy.deepcopy(json), dict(headers or {})))
        if fault == "drop_response":
            raise requests.ConnectionError("response lost")
        return Answer(response)


class DevicesAndServer(RuleBasedStateMachine):
    database_url: str = ""
    workdir: Path = Path()
    examples = itertools.count(1)

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(dir=self.workdir))
        self.url = self.database_url
        if self.url.startswith("sqlite"):
            self.url = f"sqlite:///{self.dir / 'server.sqlite'}"
        else:
            _truncate_all(self.url)
        self.app = self._start_server(create_tables=self.url.startswith("sqlite"))
        self.requests = 0
        self.unit_ids, self.calls, users = self._seed()
        self.networks = [FlakyNetwork(self) for _ in users]
        self.devices: list[Client] = []
        for i, (user, _unit) in enumerate(users):
            client = Client(BASE, self.dir / f"tablet-{i}.sqlite3", record_registry(),
                            session=self.networks[i], sleep=lambda _: None)
            client.login(user, PASSWORD)
            client.pull()  # a tablet takes its unit's calls at sign-in
            self.devices.append(client)
        self.device_unit = [unit_id for _, unit_id in users]
        self.made: dict[str, set[str]] = {kind: set() for kind in FACTS}
        self.ops_made = [0] * len(users)

    # -- setup ---------------------------------------------------------------------------------
    def _start_server(self, create_tables: bool = False) -> Flask:
        app = make_app(self.url)
        app.instance_path = str(self.dir)
        if create_tables:
            with app.app_context():
                db.create_all()
        return app

    def _seed(self) -> tuple[list[int], dict[int, list[str]], list[tuple[str, int]]]:
        n = next(self.examples)
        with self.app.app_context():
            seed_call_types(db.session)
            dispatcher = create_user(db.session, username=f"disp{n}", full_name="Dispatch",
                                     role=Role.DISPATCHER, password=PASSWORD)
            unit_ids, calls, users = [], {}, []
            for u in range(UNITS):
                unit = Unit(call_sign=f"S{n}-{u}", program=Program.COMMUNITY_RESPONSE)
                db.session.add(unit)
                db.session.flush()
                unit_ids.append(unit.id)
                calls[unit.id] = [str(create_call(db.session, dispatcher, {
                    "cad_number": f"S{n}-{u}-{c}", "call_type": "welfare_check",
                    "address": f"{u}{c} Elm St", "lat": 35.9, "lon": -78.9,
                    "unit_id": unit.id}).id) for c in range(CALLS_PER_UNIT)]
                for d in range(DEVICES_PER_UNIT):
                    user = create_user(db.session, username=f"r{n}-{u}-{d}", full_name="R",
                                       role=Role.RESPONDER_EMT, password=PASSWORD)
                    put_on_shift(unit, user)
                    users.append((user.username, unit.id))
            db.session.commit()
            db.session.remove()
        return unit_ids, calls, users

    def teardown(self) -> None:
        try:
            self._final_sync_and_check()
        finally:
            for device in self.devices:
                device.close()
            with self.app.app_context():
                db.session.remove()
                db.engine.dispose()
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- what tablets do -------------------------------------------------------------------------
    def _call(self, i: int, pick: int) -> str:
        calls = self.calls[self.device_unit[i]]
        return calls[pick % len(calls)]

    @rule(i=st.integers(0, UNITS * DEVICES_PER_UNIT - 1), pick=st.integers(0, 9),
          status=st.sampled_from(["en_route", "on_scene", "transporting", "cleared"]))
    def tap_status(self, i: int, pick: int, status: str) -> None:
        self.made["call_status"].add(self.devices[i].record_status(self._call(i, pick), status))
        self.ops_made[i] += 1

    @rule(i=st.integers(0, UNITS * DEVICES_PER_UNIT - 1), pick=st.integers(0, 9),
          body=note_text(max_size=30))
    def write_note(self, i: int, pick: int, body: str) -> None:
        self.made["call_note"].add(self.devices[i].add_note(self._call(i, pick), body))
        self.ops_made[i] += 1

    @rule(i=st.integers(0, UNITS * DEVICES_PER_UNIT - 1),
          lat=st.floats(-90, 90), lon=st.floats(-180, 180))
    def record_location(self, i: int, lat: float, lon: float) -> None:
        self.made["location_point"].add(self.devices[i].record_location(lat, lon))
        self.ops_made[i] += 1

    @rule(i=st.integers(0, UNITS * DEVICES_PER_UNIT - 1), pick=st.integers(0, 9),
          field=st.sampled_from(["disposition", "transport_destination"]),
          value=st.sampled_from(["transported", "refused care", "resolved on scene", None]))
    def edit_call(self, i: int, pick: int, field: str, value: str | None) -> None:
        call_id = self._call(i, pick)
        local = {r["id"]: r for r in self.devices[i].records("call")}
        base = local[call_id]["version"] if call_id in local else 1
        self.devices[i].update_call(call_id, base, **{field: value})
        self.ops_made[i] += 1

    @rule(i=st.integers(0, UNITS * DEVICES_PER_UNIT - 1),
          faults=st.lists(st.sampled_from(FAULTS), max_size=4))
    def sync(self, i: int, faults: list[str]) -> None:
        self.networks[i].faults = list(faults)
        self.requests = 0
        # Too many faults in a row: the tablet is offline, its ops stay queued for later.
        with contextlib.suppress(Offline):
            self.devices[i].sync()

    @rule(pick=st.integers(0, 9))
    def reassign_call(self, pick: int) -> None:
        """Dispatch moves a call to the other unit; its tablets may still work on it offline."""
        every = [c for calls in self.calls.values() for c in calls]
        with self.app.app_context():
            call = db.session.get(Call, uuid.UUID(every[pick % len(every)]))
            assert call is not None
            dispatcher = db.session.scalar(sa.select(User).where(User.role == Role.DISPATCHER))
            other = next(u for u in self.unit_ids if u != call.unit_id)
            update_call(db.session, dispatcher, None, call, {"unit_id": other})
            db.session.commit()
            db.session.remove()

    @rule()
    def restart_server(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self.app = self._start_server()

    # -- the end: a clean network, then the invariants -----------------------------------------
    def _final_sync_and_check(self) -> None:
        for network in self.networks:
            network.faults.clear()
        for device in self.devices:
            self.requests = 0
            device.sync()
            assert device.unsent_count() == 0
        for device in self.devices:  # pull what the others pushed last
            self.requests = 0
            device.pull()
        with self.app.app_context():
            self._check_exactly_once()
            for i, device in enumerate(self.devices):
                self._check_store_equals_server(i, device)
            db.session.remove()

    def _check_exactly_once(self) -> None:
        rejected = [r.op for r in db.session.scalars(sa.select(RejectedOp))]
        kept = {str(op.get("record_id")) for op in rejected}
        for kind, model in FACTS.items():
            stored = [str(i) for i in db.session.scalars(sa.select(model.id))]
            assert len(stored) == len(set(stored))
            assert set(stored).isdisjoint(kept), f"{kind}: applied and also kept as rejected"
            assert set(stored) | (kept & self.made[kind]) == self.made[kind], \
                f"{kind}: {len(self.made[kind] - set(stored) - kept)} lost, " \
                f"{len(set(stored) - self.made[kind])} unexpected"
        for i, device in enumerate(self.devices):
            device_id = device.status()["device_id"]
            results = db.session.scalar(sa.select(sa.func.count()).select_from(SyncOpResult).where(
                SyncOpResult.device_id == uuid.UUID(device_id)))
            last = db.session.scalar(sa.select(SyncDevice.last_seq).where(
                SyncDevice.device_id == uuid.UUID(device_id)))
            # A plain fact create keeps no result row: its fact row answers a replay. A fact
            # answered with more (a tap out of lifecycle order) keeps both, counted once.
            answered = sa.select(SyncOpResult.op_id).where(
                SyncOpResult.device_id == uuid.UUID(device_id))
            facts = sum(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
                model.device_id == uuid.UUID(device_id), model.op_id.not_in(answered))) or 0
                for model in FACTS.values())
            assert results + facts == self.ops_made[i]
            assert (last or 0) == self.ops_made[i]

    def _check_store_equals_server(self, i: int, device: Client) -> None:
        unit_id = self.device_unit[i]
        local = {kind: {r["id"]: r for r in device.records(kind)}
                 for kind in ("call", "call_status", "call_note", "location_point", "conflict")}
        calls = list(db.session.scalars(sa.select(Call).where(Call.unit_id == unit_id)))
        assert set(local["call"]) == {str(c.id) for c in calls}
        for call in calls:
            mine = local["call"][str(call.id)]
            assert mine["synced"], mine
            data = mine["data"]
            assert (data["status"], data["disposition"], data["transport_destination"],
                    mine["version"]) == (call.status.value, call.disposition,
                                         call.transport_destination, call.version)
            for kind, model in (("call_status", CallStatusEvent), ("call_note", CallNote)):
                server_ids = {str(x) for x in db.session.scalars(
                    sa.select(model.id).where(model.call_id == call.id))}
                local_ids = {rid for rid, r in local[kind].items()
                             if r["data"]["call_id"] == str(call.id)}
                assert local_ids == server_ids, f"{kind} of call {call.id} on tablet {i}"
        in_unit = {str(c.id) for c in calls}
        for kind in ("call_status", "call_note"):
            strays = {rid for rid, r in local[kind].items() if r["data"]["call_id"] not in in_unit}
            assert not strays, f"{kind} of calls that left the unit stay on tablet {i}"
        points = {str(x) for x in db.session.scalars(
            sa.select(LocationPoint.id).where(LocationPoint.unit_id == unit_id))}
        assert set(local["location_point"]) == points
        user_id = db.session.scalar(sa.select(User.id).where(
            User.username == device.status()["user"]["username"]))
        open_conflicts = {str(x) for x in db.session.scalars(sa.select(SyncConflict.id).where(
            SyncConflict.user_id == user_id, SyncConflict.resolved_at.is_(None)))}
        assert set(local["conflict"]) == open_conflicts


def _run(database_url: str, tmp_path: Path, profile: str) -> None:
    machine: Callable[[], Any] = type("Run", (DevicesAndServer,), {
        "database_url": database_url, "workdir": tmp_path})
    run_state_machine_as_test(machine, settings=PROFILES[profile])


def test_devices_converge_through_a_flaky_network_and_server_restarts(
        database_url: str, tmp_path: Path) -> None:
    _run(database_url, tmp_path, "default")


@pytest.mark.slow  # deselected by default; `make test-long` runs it
def test_devices_converge_long_run(database_url: str, tmp_path: Path) -> None:
    _run(database_url, tmp_path, "long")
