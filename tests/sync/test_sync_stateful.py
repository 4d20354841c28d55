"""Five tablets against one server over a transport that loses, repeats and reorders.

Invariants: every op a tablet made is applied exactly once or kept as
rejected, each device's last seq equals the ops it made, and after a final
clean sync every tablet's store equals the server's view of its scope.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from server.kinds import record_registry
from sync.client import Client, Offline
from tests.sync.factories import CALL_ID, note_text
from tests.sync.fakes import SERVER_NOW, AppKilled, FakeServer

DEVICES = 5
FAULTS = ["drop_request", "drop_response", "500", "kill_app", "replay_old", "defer_tail"]
UNKNOWN_CALL = "0193a000-0000-7000-8000-0000000000ee"
FACT_KINDS = ("call_status", "call_note", "location_point")


class TabletsAndServer(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="heart-sync-"))
        self.server = FakeServer()
        self.server.store.put(
            "call",
            CALL_ID,
            {"status": "dispatched", "disposition": None, "transport_destination": None},
        )
        self.tablets = [self._open(i, login=True) for i in range(DEVICES)]
        self.made: list[list[str]] = [[] for _ in range(DEVICES)]  # fact ids per tablet
        self.ops_made = [0] * DEVICES

    def _open(self, i: int, login: bool = False) -> Client:
        client = Client(
            "http://heart.test",
            self.dir / f"tablet-{i}.sqlite3",
            record_registry(),
            session=self.server,
            sleep=lambda _: None,
            now=lambda: SERVER_NOW,
        )
        if login:
            client.login("ana", "correct horse")
        return client

    @rule(
        i=st.integers(0, DEVICES - 1),
        status=st.sampled_from(["en_route", "on_scene", "transporting", "cleared"]),
    )
    def tap_status(self, i: int, status: str) -> None:
        self.made[i].append(self.tablets[i].record_status(CALL_ID, status))
        self.ops_made[i] += 1

    @rule(i=st.integers(0, DEVICES - 1))
    def tap_status_on_a_call_the_server_never_had(self, i: int) -> None:
        self.made[i].append(self.tablets[i].record_status(UNKNOWN_CALL, "on_scene"))
        self.ops_made[i] += 1

    @rule(i=st.integers(0, DEVICES - 1), body=note_text(max_size=20))
    def write_note(self, i: int, body: str) -> None:
        self.made[i].append(self.tablets[i].add_note(CALL_ID, body))
        self.ops_made[i] += 1

    @rule(i=st.integers(0, DEVICES - 1), lat=st.floats(-90, 90), lon=st.floats(-180, 180))
    def log_position(self, i: int, lat: float, lon: float) -> None:
        self.made[i].append(self.tablets[i].record_location(lat, lon))
        self.ops_made[i] += 1

    @rule(i=st.integers(0, DEVICES - 1), value=st.sampled_from(["referred", "treated", None]))
    def edit_disposition(self, i: int, value: str | None) -> None:
        calls = self.tablets[i].records("call")
        if calls:
            self.tablets[i].update_call(CALL_ID, calls[0]["version"], disposition=value)
            self.ops_made[i] += 1

    @rule(value=st.sampled_from(["dispatcher edit", None]))
    def dispatcher_edits_the_call(self, value: str | None) -> None:
        call = self.server.store.live("call")[CALL_ID]
        self.server.store.put("call", CALL_ID, {**call, "transport_destination": value})

    @rule()
    def server_restarts(self) -> None:
        self.server.store = copy.deepcopy(self.server.store)  # durable state survives

    @rule(i=st.integers(0, DEVICES - 1), faults=st.lists(st.sampled_from(FAULTS), max_size=4))
    def sync_over_a_bad_network(self, i: int, faults: list[str]) -> None:
        self.server.faults = list(faults)
        try:
            self.tablets[i].sync()
        except Offline:
            pass
        except AppKilled:
            self.tablets[i].close()
            self.tablets[i] = self._open(i)
        finally:
            self.server.faults = []

    @invariant()
    def no_fact_is_ever_applied_twice(self) -> None:
        for kind in FACT_KINDS:
            ids = [r.id for r in self.server.store.records.values() if r.kind == kind]
            assert len(ids) == len(set(ids))

    @invariant()
    def server_never_gets_ahead_of_a_device(self) -> None:
        for i, tablet in enumerate(self.tablets):
            device = tablet.status()["device_id"]
            assert self.server.store.last_seq(device) <= self.ops_made[i]

    def teardown(self) -> None:
        try:
            for tablet in self.tablets:
                tablet.sync()
            for tablet in self.tablets:  # everyone sees everyone's last pushes
                tablet.pull()
            self._check_final_state()
        finally:
            for tablet in self.tablets:
                tablet.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    def _check_final_state(self) -> None:
        kept = {str(k.raw["record_id"]) for k in self.server.store.rejected if isinstance(k.raw, dict)}
        applied = {r.id for r in self.server.store.records.values() if r.kind in FACT_KINDS}
        for i, tablet in enumerate(self.tablets):
            assert tablet.unsent_count() == 0
            assert self.server.store.last_seq(tablet.status()["device_id"]) == self.ops_made[i]
            shown_rejected = {r["op"]["record_id"] for r in tablet.rejected()}
            for fact_id in self.made[i]:
                assert (fact_id in applied) != (fact_id in kept)
                assert (fact_id in kept) == (fact_id in shown_rejected)
            for kind in {*FACT_KINDS, "call", "conflict"}:
                local = {r["id"]: r["data"] for r in tablet.records(kind)}
                assert local == self.server.store.live(kind), kind


TestTabletsAndServer = TabletsAndServer.TestCase
# A modest run in every test session; SYNC_STATEFUL_EXAMPLES=2000 for a long one.
EXAMPLES = int(os.environ.get("SYNC_STATEFUL_EXAMPLES", "25"))
TestTabletsAndServer.settings = settings(max_examples=EXAMPLES, stateful_step_count=25, deadline=None)
