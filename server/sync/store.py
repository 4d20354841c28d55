"""The SQL PushStore: what `sync.push.apply_push` reads and writes, on the app's session.

One instance serves one push. `prepare` loads in a few queries what the batch will
touch (earlier results, existing facts, who may author the device's ops, and what each
kind's preload reads for the batch); `apply` credits each op to its author and hands it
to its kind's applier; facts are queued and written in bulk by `finish`, in the same
transaction as the device's last seq. Kinds plug in through `server.sync.kinds`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.auth.models import Device, User
from server.auth.services import crew_user_ids, enrolled_user_ids
from server.locking import take_sqlite_write_lock
from server.models_base import utcnow
from server.sync.bulk import bulk_insert
from server.sync.kinds import KindRegistry
from server.sync.models import RejectedOp, SyncDevice, SyncOpResult
from sync.ops import Operation, OpResult, Outcome, Rejection
from sync.push import Actor
from sync.registry import RecordKind
from sync.storable import json_copy, storable_text

# A push applies ops for tens of milliseconds of pure Python between its few queries. Under
# gevent (gunicorn.conf.py) nothing else in the worker runs meanwhile: a backup request or a
# stream waited behind every push of a reconnect storm (p99 2 s from a press to the board).
# Every this many ops the push gives the worker's other greenlets their turn (sleep(0) is
# gevent's yield; with threads it only releases the GIL a moment).
YIELD_EVERY_OPS = 8


class SqlPushStore:
    def __init__(self, session: Session, kinds: KindRegistry, user: User, unit_id: int | None,
                 device: Device | None = None, corrected_by: User | None = None) -> None:
        self.session = session
        self.kinds = kinds
        self.user = user  # the token's person: the author of ops that name none
        self.unit_id = unit_id
        # A supervisor re-applying a kept op with corrected data (the author stays `user`).
        self.corrected_by = corrected_by
        self.device = device
        # No fact of this device happened before it was registered (a floor for fact times).
        self.device_registered_at = device.registered_at if device is not None else None
        # Who may author this device's ops (prepare): enrolled on it, and on its unit's crew.
        self.enrolled: set[int] = set()
        self.crew: set[int] = set()
        self.device_id: uuid.UUID | None = None
        # Columns of the device's sync row this push changes (written once, by finish).
        self.device_changes: dict[str, Any] = {}
        self.known_results: dict[str, OpResult] = {}
        self.foreign_ids: set[str] = set()  # op ids another device already used
        self.existing_ids: dict[str, set[str]] = defaultdict(set)
        # Facts already stored, by kind: record id -> (device id, op id) that recorded it.
        self.fact_origin: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        # Op id -> (kind, record id, seq) as the batch names them (for replays).
        self.batch_ops: dict[str, tuple[str, str, int]] = {}
        self.fresh_facts: set[str] = set()  # record ids of facts this push stored
        self.first_last_seq = 0
        self.rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)
        # What a kind's preload or applier reads once per push and reuses for each op (keyed
        # by the kind's own keys).
        self.memo: dict[Any, Any] = {}
        # What a kind does once at the end of the push (after the bulk writes), by its key.
        self.finishers: dict[Any, Callable[[], None]] = {}
        self.new_results: list[dict[str, Any]] = []
        self.received_at = utcnow()
        self.applied = 0

    # -- preparation: a few queries for the whole batch ------------------------------------
    def prepare(self, device_id: str, ops: Sequence[Operation | Rejection]) -> None:
        device_uuid = self.device_id = uuid.UUID(device_id)
        self.first_last_seq = _lock_device(self.session, device_uuid)
        self.enrolled = enrolled_user_ids(self.session, device_uuid)
        unit_id = self.device.unit_id if self.device is not None else None
        self.crew = crew_user_ids(self.session, unit_id, self.received_at) if unit_id else set()
        op_ids, record_ids, valid = _ids_in(ops, self.batch_ops)
        if op_ids:
            # By primary key only (a device_id condition lets the planner scan the device's
            # whole history); results of other devices are dropped here.
            found = self.session.execute(
                sa.select(SyncOpResult.op_id, SyncOpResult.device_id, SyncOpResult.result)
                .where(_in(SyncOpResult.op_id, op_ids, self.session))).all()
            self.known_results = {str(r.op_id): OpResult.from_json(r.result)
                                  for r in found if r.device_id == device_uuid}
            self.foreign_ids = {str(r.op_id) for r in found if r.device_id != device_uuid}
        self._load_facts(record_ids)
        for preload, names in self.kinds.preloads.items():
            batch = [op for op in valid if op.kind in names]
            if batch:
                preload(self, batch)

    def _load_facts(self, record_ids: dict[str, list[str]]) -> None:
        for kind, table in self.kinds.fact_tables.items():
            ids = record_ids.get(kind)
            if ids:
                rows = self.session.execute(
                    sa.select(table.c.id, table.c.device_id, table.c.op_id)
                    .where(_in(table.c.id, ids, self.session))).all()
                self.existing_ids[kind] = {str(r.id) for r in rows}
                self.fact_origin[kind] = {str(r.id): (str(r.device_id), str(r.op_id))
                                          for r in rows}

    # -- PushStore ----------------------------------------------------------------------------
    def last_seq(self, device_id: str) -> int:
        return int(self.device_changes.get("last_seq", self.first_last_seq))

    def find_result(self, device_id: str, op_id: str) -> OpResult | None:
        found = self.known_results.get(op_id)
        if found is not None:
            return found
        return self._replayed_fact(device_id, op_id)

    def _replayed_fact(self, device_id: str, op_id: str) -> OpResult | None:
        """The first result of a plain fact create, which is not stored: the fact row this
        op of this device recorded (same record id, op id and device, a seq already
        consumed) proves it was applied, and its result was `applied`, version 1."""
        named = self.batch_ops.get(op_id)
        if named is None:
            return None
        kind, record_id, seq = named
        origin = self.fact_origin[kind].get(record_id) if kind in self.fact_origin else None
        if origin != (device_id, op_id) or seq > self.first_last_seq:
            return None
        return OpResult(op_id, seq, Outcome.APPLIED, record_id, 1)

    def apply(self, kind: RecordKind, op: Operation, actor: Actor) -> OpResult:
        self.applied += 1
        if self.applied % YIELD_EVERY_OPS == 0:
            time.sleep(0)  # under gevent: let the worker's other requests run (see YIELD_EVERY_OPS)
        if op.id in self.foreign_ids:
            why = "this id was used by another device's operation: make a new id"
            return OpResult(op.id, op.seq, Outcome.REJECTED, op.record_id, errors={"id": [why]},
                            message=why)
        author = self.user.id if op.author_id is None else op.author_id
        why = self._refused_author(author)
        if why:
            return OpResult(op.id, op.seq, Outcome.REJECTED, op.record_id,
                            errors={"author_id": [why]}, message=why)
        if author != actor.user_id:  # the op's author: the person unlocked when it was made
            actor = replace(actor, user_id=author)
        return self.kinds.applier(kind.name)(self, kind, op, actor)

    def _refused_author(self, author: int) -> str:
        """Why this person may not author an op of this device ('' when they may)."""
        if author not in self.enrolled:
            return "this person has not signed in online on this tablet (or was signed out there)"
        if author not in self.crew:
            return "this person is not on the crew of this tablet's unit"
        return ""

    def author(self, actor: Actor) -> User:
        """The person an op is credited to (checked by apply): audit entries name them."""
        if actor.user_id == self.user.id:
            return self.user
        found = self.session.get(User, actor.user_id)
        assert found is not None, "apply let through an author that does not exist"
        return found

    def record_result(self, device_id: str, result: OpResult) -> None:
        assert result.id is not None
        assert result.seq is not None
        if result.id in self.foreign_ids:
            return  # the first result under this id belongs to the other device
        if (result.outcome is Outcome.APPLIED and result.record_id in self.fresh_facts
                and result.version == 1 and not result.errors and not result.conflict_ids
                and not result.message and result.record is None):
            return  # a plain fact create: its fact row answers a replay (_replayed_fact)
        # Canonical UUID strings: bulk_insert copies them as they are (or makes UUIDs).
        self.new_results.append({"op_id": result.id, "device_id": device_id,
                                 "seq": result.seq, "outcome": result.outcome.value,
                                 "result": _compact(result.to_json())})

    def set_last_seq(self, device_id: str, seq: int) -> None:
        self.device_changes.update(last_seq=seq, last_push_at=self.received_at)

    def keep_rejected(self, actor: Actor, raw: object, protocol_version: int,
                      result: OpResult) -> None:
        # No readable id: one derived from the op itself, so a replay finds the kept copy.
        op_id = _as_uuid(result.id) or uuid.uuid5(
            uuid.UUID(actor.device_id), json.dumps(raw, sort_keys=True, default=str))
        if result.id in self.foreign_ids:
            op_id = uuid.uuid5(uuid.UUID(actor.device_id), str(result.id))
        exists = self.session.scalar(sa.select(RejectedOp.id).where(RejectedOp.op_id == op_id))
        if exists:
            return
        self.session.add(RejectedOp(
            op_id=op_id, device_id=uuid.UUID(actor.device_id), user_id=self.user.id,
            protocol_version=protocol_version,
            # What the device sent, as sent (NaN and Infinity as strings: JSON has no such
            # numbers); the message is a text column, which holds no NUL.
            op=json_copy(raw if isinstance(raw, dict) else {"raw": raw}),
            errors=result.errors, message=storable_text(result.message[:300])))

    def record_skew(self, device_id: str, skew_ms: int) -> None:
        self.device_changes["skew_ms"] = skew_ms

    # -- used by appliers ---------------------------------------------------------------------
    def queue_row(self, table: Any, row: dict[str, Any]) -> None:
        self.rows[table].append(row)

    def fact_exists(self, kind: str, record_id: str) -> bool:
        return record_id in self.existing_ids[kind]

    def mark_fact(self, kind: str, record_id: str) -> None:
        self.existing_ids[kind].add(record_id)
        self.fresh_facts.add(record_id)

    # -- the end of the push: bulk writes in the caller's transaction --------------------------
    def finish(self) -> None:
        for table, rows in self.rows.items():
            bulk_insert(self.session, table, rows)
        if self.new_results:
            bulk_insert(self.session, SyncOpResult.__table__, self.new_results)  # type: ignore[arg-type]
        if self.device_changes:
            self.session.execute(sa.update(_SYNC_DEVICES)
                                 .where(_SYNC_DEVICES.c.device_id == self.device_id)
                                 .values(self.device_changes))
        self.session.flush()
        for finisher in self.finishers.values():
            finisher()


# OpResult.from_json fills these in when absent: a plain "applied" is stored in half the bytes.
_RESULT_DEFAULTS = {"errors": {}, "conflict_ids": [], "replayed": False, "message": "",
                    "record": None}


def _compact(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in _RESULT_DEFAULTS
            or v != _RESULT_DEFAULTS[k]}


_SYNC_DEVICES: sa.Table = SyncDevice.__table__  # type: ignore[assignment]


# Asked with the lock on the device's row (one round trip): primary-key probes of a few
# hundred ids, planned as index lookups whatever the statistics say. A fact table filling up
# faster than autovacuum analyzes it (a fresh server taking its first shifts) has no
# statistics, and PostgreSQL then scans the whole table for `id = ANY(...)`: tens of ms per
# push, growing with the table. The setting lasts until this push's transaction ends;
# everything else the push reads or writes goes by key.
_PROBES_BY_INDEX = sa.func.set_config("enable_seqscan", "off", True)


def _lock_device(session: Session, device_id: uuid.UUID) -> int:
    """Lock the device's sync row (two pushes from one device run one after the other) and
    return its last seq; the row is made at the device's first push. On SQLite the push
    holds the database's write lock from here, before anything it reads (server.locking)."""
    table = _SYNC_DEVICES
    take_sqlite_write_lock(session, table)
    postgres = session.get_bind().dialect.name == "postgresql"
    locked = (sa.select(table.c.last_seq, *([_PROBES_BY_INDEX] if postgres else []))
              .where(table.c.device_id == device_id).with_for_update())
    row = session.execute(locked).first()
    if row is None:
        insert = postgresql.insert if postgres else sqlite.insert
        session.execute(insert(table).values(device_id=device_id, last_seq=0, skew_ms=0,
                                             protocol_version=2).on_conflict_do_nothing())
        row = session.execute(locked).one()
    return int(row[0])


def _in(column: Any, ids: list[str], session: Session) -> Any:
    """`column IN ids` for canonical UUID strings: on PostgreSQL one text array parameter
    cast to uuid[] (hundreds of ids, one plan, no UUID objects to make)."""
    if session.get_bind().dialect.name == "postgresql":
        # One text literal '{id,id,...}': canonical UUIDs need no quoting.
        array = sa.cast(sa.literal("{" + ",".join(ids) + "}", sa.Text()),
                        postgresql.ARRAY(sa.Uuid()))
        return column == sa.any_(array)
    return column.in_([uuid.UUID(i) for i in ids])


def _as_uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _ids_in(ops: Sequence[Operation | Rejection], named: dict[str, tuple[str, str, int]]
            ) -> tuple[list[str], dict[str, list[str]], list[Operation]]:
    """Op ids (readable ones of rejected ops too: their replays are answered from the stored
    result), record ids by kind, and the batch's parsed ops; `named` gets op id -> (kind,
    record id, seq). Parsed ops carry canonical UUID strings."""
    op_ids: list[str] = []
    record_ids: dict[str, list[str]] = defaultdict(list)
    valid: list[Operation] = []
    for op in ops:
        if type(op) is not Operation:
            if op.id is not None:
                op_ids.append(op.id)
            continue
        op_ids.append(op.id)
        record_ids[op.kind].append(op.record_id)
        named[op.id] = (op.kind, op.record_id, op.seq)
        valid.append(op)
    return op_ids, record_ids, valid
