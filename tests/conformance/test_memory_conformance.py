"""The conformance cases against the in-memory store, driven through sync.push and sync.pull.

The store has one scope and no HTTP layer, so this runner stands in for the route's mapping
(a refused push names its fields; an unreadable cursor is 422 `cursor`, a resync 410) and
shows a device only the conflicts its own ops opened. HLC vectors run against sync/hlc.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from server.calls.kinds import MEMORY_FACTS
from server.kinds import record_registry
from sync.cursor import scope_fingerprint
from sync.hlc import Clock, Timestamp
from sync.memory_store import MemoryStore
from sync.pull import ResyncRequiredError, serve_pull
from sync.push import Actor, PushRequestError, apply_push
from tests.conformance.cases import (
    GARBAGE_CURSOR,
    Json,
    Names,
    build_ops,
    check_order,
    check_pages,
    check_pull,
    check_results,
    new_id,
    params,
    steps,
    tampered,
)

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
REGISTRY = record_registry()
CALL = {"status": "dispatched", "disposition": None, "transport_destination": None}
# A pull without `limit` in the case takes the server's default page size.
DEFAULT_LIMIT = 500
# Any key: the in-memory store signs and reads its own cursors.
CURSOR_KEY = b"k" * 32


class MemoryRun:
    """One case against a fresh MemoryStore."""

    def __init__(self, setup: Json) -> None:
        self.store = MemoryStore(facts=MEMORY_FACTS)
        self.names = Names()
        self.units = {name: name for name in setup["units"]}
        self.devices = {name: Actor(new_id(), user_id=n + 1)
                        for n, name in enumerate(setup["devices"])}
        self.device_units: dict[str, str] = setup["devices"]
        self.cursors: dict[str, str] = {}
        for name in setup.get("calls", {}):
            call_id = new_id()
            self.names.entities[name] = call_id
            self.store.put("call", call_id, CALL)
        self.names.setup_versions = {name: self.version_of(cid)
                                     for name, cid in self.names.entities.items()}

    def version_of(self, record_id: str) -> int:
        record = self.store.get("call", record_id)
        return record.version if record is not None else 0

    def conflict_of(self, conflict_id: str) -> tuple[str, str]:
        record = self.store.get("conflict", conflict_id)
        assert record is not None
        return record.data["field"], record.data["reason"]

    def push(self, body: Json) -> None:
        device = self.devices[body["device"]]
        version = body.get("protocol_version", 2)
        ops = build_ops(body["ops"], self.names, body["device"], NOW, self.version_of, version)
        want = body.get("expect", {})
        sent = body.get("ops_body", ops)
        if "refused" in want:
            with pytest.raises(PushRequestError) as refused:
                apply_push(self.store, REGISTRY, device, sent, version, NOW, NOW)
            assert sorted(refused.value.errors) == sorted(want["refused"].get("errors", []))
            return
        outcome = apply_push(self.store, REGISTRY, device, sent, version, NOW, NOW)
        check_results([r.to_json() for r in outcome.results], body["ops"], self.conflict_of)
        if "last_seq" in want:
            assert outcome.last_seq == want["last_seq"]
        for name in want.get("answer_has", []):
            assert hasattr(outcome, name), name

    def server(self, body: Json) -> None:
        if "edit" in body:
            record = self.store.get("call", self.names.entities[body["edit"]])
            assert record is not None
            self.store.put("call", record.id, {**record.data, **body["fields"]})
        elif "cancel" in body:
            self.store.delete("call", self.names.entities[body["cancel"]])
        else:
            call_id = self.names.entities[body["move"]]
            self.store.remove_from_scope("call", call_id)
            for record in list(self.store.records.values()):
                if record.data.get("call_id") == call_id:
                    self.store.remove_from_scope(record.kind, record.id)

    def pull(self, body: Json) -> None:
        name, want = body["device"], body["expect"]
        scope = scope_fingerprint([f"unit:{self.device_units[name]}"])
        cursor = self.cursors.get(name) if body["from"] == "saved" else None
        if body.get("cursor") == "garbage":
            cursor = GARBAGE_CURSOR
        elif body.get("cursor") == "tampered":
            assert cursor is not None
            cursor = tampered(cursor)
        limit = body.get("limit", DEFAULT_LIMIT)
        changes: list[Json] = []
        sizes: list[int] = []
        while True:
            try:
                page = serve_pull(self.store, scope, cursor, limit, CURSOR_KEY)
            except ResyncRequiredError:
                assert want.get("refused", {}).get("status") == 410
                return
            except ValueError:
                assert want.get("refused", {}) == {"status": 422, "errors": ["cursor"]}
                return
            assert "refused" not in want, "the pull was served"
            for field_name in want.get("answer_has", []):
                assert hasattr(page, field_name), field_name
            sizes.append(len(page.changes))
            changes += [c.to_json() for c in page.changes]
            cursor = page.cursor
            if not page.has_more:
                break
        self.cursors[name] = cursor
        device_id = self.devices[name].device_id
        mine = [c for c in changes if c["kind"] != "conflict" or c["op"] != "put"
                or c["data"]["device_id"] == device_id]
        check_pull(mine, want, self.names)
        check_order(mine, want, self.names)
        check_pages(sizes, want)


@pytest.mark.parametrize("case", params("memory"))
def test_case(case: Json) -> None:
    run = MemoryRun(case["setup"])
    for verb, body in steps(case):
        getattr(run, verb)(body)


def _hlc(text: str | None, node: str) -> Timestamp | None:
    return Timestamp.parse(text) if text is not None else None


@pytest.mark.parametrize("case", params("memory", steps=False))
def test_hlc_vectors(case: Json) -> None:
    for vector in case["hlc"]:
        check_vector(vector)


def check_vector(vector: Json) -> None:
    if vector["op"] == "parse":
        if vector["valid"]:
            assert str(Timestamp.parse(vector["text"])) == vector["text"]
        else:
            with pytest.raises(ValueError, match="hlc"):
                Timestamp.parse(vector["text"])
        return
    node: Any = vector["node"]
    clock = Clock(lambda: int(vector["now"]), node, _hlc(vector.get("prev"), node))
    got = clock.send() if vector["op"] == "send" else clock.recv(Timestamp.parse(vector["remote"]))
    assert str(got) == vector["expect"], vector
