"""An in-memory PushStore and change feed: the reference for server stores and the tests' server.

Not a mock: it applies facts exactly once (a fact on a parent record only while that
record exists, with what its kind's `FactRules` check and do when it lands), merges
document updates per field through the kind's policies from the same base as the SQL
store, opens one conflict record per clashing field, keeps rejected ops whole, and serves
the pull engine (single writer, so plain position order never skips a change). It names
no kind: the rules come from the features' plug-ins.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.clock_skew import FactTime, fact_time
from sync.merge import merge_edit
from sync.ops import Operation, OpResult, Outcome, Rejection
from sync.pull import Change
from sync.push_store import Actor
from sync.registry import RecordKind, RecordType


@dataclass
class StoredRecord:
    kind: str
    id: str
    version: int
    data: dict[str, Any]
    position: int
    deleted: bool = False
    in_scope: bool = True
    history: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The version that last changed each field (none for the fields it was created with),
    # the merge base of a device's edit as on the server.
    field_versions: dict[str, int] = field(default_factory=dict)


# (store, the op, the parent record, its time) -> (field, message) when it may not land.
FactCheck = Callable[["MemoryStore", Operation, "StoredRecord", FactTime, Actor],
                     "tuple[str, str] | None"]
# (store, the op, the parent record, its time) -> None, once the fact is stored.
FactLanded = Callable[["MemoryStore", Operation, "StoredRecord", FactTime], None]


@dataclass(frozen=True)
class FactRules:
    """A fact kind recorded on a parent record (`data[parent_field]` names it): it lands
    only while the parent exists, never timed before the parent's `received_at`."""

    parent_kind: str
    parent_field: str
    record_author: bool = False  # the stored data names who recorded it (`user_id`)
    check: FactCheck | None = None
    landed: FactLanded | None = None


@dataclass(frozen=True)
class KeptRejection:
    device_id: str
    protocol_version: int
    raw: object
    result: OpResult


class MemoryStore:
    def __init__(self, new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
                 facts: Mapping[str, FactRules] | None = None) -> None:
        self.new_id = new_id
        self.facts: Mapping[str, FactRules] = facts or {}
        self.records: dict[tuple[str, str], StoredRecord] = {}
        self.results: dict[tuple[str, str], OpResult] = {}
        self.last_seqs: dict[str, int] = {}
        self.rejected: list[KeptRejection] = []
        self.skews: dict[str, list[int]] = {}
        self.position = 0  # last feed position handed out
        self.purged_upto = 0  # tombstones at or below this position were purged

    # -- PushStore ---------------------------------------------------------------------------
    def prepare(self, device_id: str, ops: Sequence[Operation | Rejection]) -> None:
        """Everything is already in memory."""

    def last_seq(self, device_id: str) -> int:
        return self.last_seqs.get(device_id, 0)

    def find_result(self, device_id: str, op_id: str) -> OpResult | None:
        return self.results.get((device_id, op_id))

    def record_result(self, device_id: str, result: OpResult) -> None:
        assert result.id is not None
        self.results.setdefault((device_id, result.id), result)

    def set_last_seq(self, device_id: str, seq: int) -> None:
        self.last_seqs[device_id] = seq

    def keep_rejected(self, actor: Actor, raw: object, protocol_version: int, result: OpResult) -> None:
        kept = KeptRejection(actor.device_id, protocol_version, copy.deepcopy(raw), result)
        self.rejected.append(kept)

    def record_skew(self, device_id: str, skew_ms: int) -> None:
        self.skews.setdefault(device_id, []).append(skew_ms)

    def apply(self, kind: RecordKind, op: Operation, actor: Actor) -> OpResult:
        if kind.kind is RecordType.FACT:
            return self._insert_fact(op, actor)
        if op.action == "update":
            return self._update_document(kind, op, actor)
        if op.action == "create":
            return self._create_document(op)
        return self._delete_document(op)

    # -- server-side writes (dispatch, other users, tests) -------------------------------------
    def put(self, kind: str, record_id: str, data: dict[str, Any]) -> StoredRecord:
        """Create or replace a record's data as the server would; bumps version and position."""
        record = self.records.get((kind, record_id))
        if record is None:
            record = StoredRecord(kind, record_id, 0, {}, 0)
            self.records[(kind, record_id)] = record
        record.version += 1
        if record.version > 1:
            for name in set(record.data) | set(data):
                if record.data.get(name) != data.get(name):
                    record.field_versions[name] = record.version
        record.data = copy.deepcopy(data)
        record.deleted, record.in_scope = False, True
        record.history[record.version] = copy.deepcopy(data)
        self._touch(record)
        return record

    def delete(self, kind: str, record_id: str) -> None:
        record = self.records[(kind, record_id)]
        record.deleted = True
        record.version += 1
        self._touch(record)

    def remove_from_scope(self, kind: str, record_id: str) -> None:
        record = self.records[(kind, record_id)]
        record.in_scope = False
        self._touch(record)

    def get(self, kind: str, record_id: str) -> StoredRecord | None:
        return self.records.get((kind, record_id))

    def live(self, kind: str) -> dict[str, dict[str, Any]]:
        """Data of every record of `kind` that is neither deleted nor out of scope."""
        return {
            r.id: r.data for r in self.records.values() if r.kind == kind and not r.deleted and r.in_scope
        }

    # -- PullStore: one scope, a single writer (so every position handed out is visible) -----
    def visible_upto(self) -> int:
        return self.position

    def tombstone_floor(self) -> int:
        return self.purged_upto

    def snapshot(self, scope: str, upto: int, after_key: str, limit: int) -> list[Change]:
        live = [r for r in self.records.values() if not r.deleted and r.in_scope]
        keyed = sorted((_key(r), r) for r in live if _key(r) > after_key)
        return [self._change(r, key) for key, r in keyed[:limit]]

    def count(self, scope: str) -> int:
        return sum(1 for r in self.records.values() if not r.deleted and r.in_scope)

    def changes(self, scope: str, after: int, upto: int, limit: int) -> list[Change]:
        rows = sorted(
            (r for r in self.records.values() if after < r.position <= upto),
            key=lambda r: r.position,
        )
        return [self._change(r, _key(r)) for r in rows[:limit]]

    # -- internals ------------------------------------------------------------------------------
    def _touch(self, record: StoredRecord) -> None:
        self.position += 1
        record.position = self.position

    @staticmethod
    def _change(record: StoredRecord, key: str) -> Change:
        op = "delete" if record.deleted else "put" if record.in_scope else "remove"
        data = copy.deepcopy(record.data) if op == "put" else None
        return Change(record.kind, record.id, op, record.version, data, record.position, key)

    def _rejected(self, op: Operation, field_name: str, message: str) -> OpResult:
        return OpResult(
            op.id,
            op.seq,
            Outcome.REJECTED,
            op.record_id,
            errors={field_name: [message]},
            message=message,
        )

    def _insert_fact(self, op: Operation, actor: Actor) -> OpResult:
        if (op.kind, op.record_id) in self.records:
            return self._rejected(op, "record_id", "a record with this id already exists")
        rules = self.facts.get(op.kind)
        parent = None
        if rules is not None:
            parent = self.records.get((rules.parent_kind, str(op.data[rules.parent_field])))
            if parent is None or parent.deleted:
                return self._rejected(op, f"data.{rules.parent_field}",
                                      f"no such {rules.parent_kind}")
        assert actor.received_at is not None, "apply_push sets the time the push arrived"
        received = parent.data.get("received_at") if parent is not None else None
        not_before = datetime.fromisoformat(received) if received else None
        when = fact_time(op.device_time, actor.skew_ms, op.clock, actor.received_at, not_before)
        if rules is not None and parent is not None and rules.check is not None:
            refusal = rules.check(self, op, parent, when, actor)
            if refusal is not None:
                return self._rejected(op, *refusal)
        data = dict(op.data)
        data.update(
            device_time=op.device_time.isoformat(),
            corrected_time=when.corrected.isoformat(),
            time_source=when.source.value,
            time_uncertain=when.uncertain,
            hlc=str(op.hlc),
            device_id=actor.device_id,
        )
        if rules is not None and rules.record_author:
            data["user_id"] = actor.user_id
        record = self.put(op.kind, op.record_id, data)
        if rules is not None and parent is not None and rules.landed is not None:
            rules.landed(self, op, parent, when)
        return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, record.version)

    def _create_document(self, op: Operation) -> OpResult:
        if (op.kind, op.record_id) in self.records:
            return self._rejected(op, "record_id", "a record with this id already exists")
        record = self.put(op.kind, op.record_id, dict(op.data))
        return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, record.version)

    def _delete_document(self, op: Operation) -> OpResult:
        record = self.records.get((op.kind, op.record_id))
        if record is None:
            return self._rejected(op, "record_id", "no such record")
        if not record.deleted:
            self.delete(op.kind, op.record_id)
        return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, record.version)

    def _update_document(self, kind: RecordKind, op: Operation, actor: Actor) -> OpResult:
        record = self.records.get((op.kind, op.record_id))
        if record is None:
            return self._rejected(op, "record_id", "no such record")
        base = record.history.get(op.base_version or 0, {})
        if record.deleted:
            ids = [self._open_conflict(op, actor, name, "edit_delete", base.get(name),
                                       op.data[name], record.data.get(name))
                   for name in op.data]
            return OpResult(op.id, op.seq, Outcome.CONFLICT, op.record_id, record.version,
                            conflict_ids=ids, message="the record was deleted")
        merged = merge_edit(kind.policies, op.data, op.base_version, record.data,
                            record.field_versions, op.hlc)
        conflict_ids = [
            self._open_conflict(op, actor, name, "both_changed", base.get(name), op.data[name],
                                record.data.get(name))
            for name in merged.conflicts
        ]
        if merged.value != record.data:
            record = self.put(op.kind, op.record_id, merged.value)
        return OpResult(
            op.id,
            op.seq,
            merged.outcome,
            op.record_id,
            record.version,
            conflict_ids=conflict_ids,
            record=copy.deepcopy(record.data),
        )

    def _open_conflict(
        self,
        op: Operation,
        actor: Actor,
        field_name: str,
        reason: str,
        base_value: Any,
        device_value: Any,
        server_value: Any,
    ) -> str:
        conflict_id = self.new_id()
        self.put(
            "conflict",
            conflict_id,
            {
                "record_kind": op.kind,
                "record_id": op.record_id,
                "field": field_name,
                "reason": reason,
                "base_value": base_value,
                "device_value": device_value,
                "server_value": server_value,
                "op_id": op.id,
                "device_id": actor.device_id,
            },
        )
        return conflict_id


def _key(record: StoredRecord) -> str:
    """Snapshot order: by kind, then id (NUL sorts first, so text order is tuple order)."""
    return f"{record.kind}\x00{record.id}"
