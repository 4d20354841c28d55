"""The call's pure record kinds, with no Flask and no database: the call document, its
status and note facts (fields declared once, sync.fieldspec), and what the in-memory store
(`sync.memory_store`) does with a status or note fact on a call.

A status fact may withdraw an earlier tap (checked by `sync.status`); the call's status is
the furthest state of the taps that stand, and after a withdrawal it is derived again from
what dispatch set. Whether the call exists or is in the device's scope is the store's
business.
"""

from __future__ import annotations

from datetime import datetime

from server.calls.lifecycle import LIFECYCLE, lifecycle_max
from server.calls.status import StatusFact, current_status, withdrawal_refusal
from sync.clock_skew import FactTime
from sync.fieldspec import FieldSpec, FieldType, Lifecycle
from sync.memory_store import FactRules, MemoryStore, StoredRecord
from sync.merge import append, server_wins_with_conflict
from sync.ops import Operation
from sync.push_store import Actor
from sync.registry import RecordKind, RecordType

# The call lifecycle, earliest first (sync.merge keeps the order for its lifecycle policy).
CALL_LIFECYCLE = Lifecycle("status", LIFECYCLE)
# States a device may record; received and dispatched are set by dispatch.
DEVICE_STATUSES = LIFECYCLE[LIFECYCLE.index("en_route"):]
# A note is free text; 10,000 characters is several pages, more than any field note.
MAX_NOTE_LENGTH = 10_000
# Column sizes on the server's calls table.
MAX_DISPOSITION_LENGTH = 500
# server.dispositions.models.MAX_CODE_LENGTH (this module stays free of the database).
MAX_DISPOSITION_CODE_LENGTH = 40
MAX_DESTINATION_LENGTH = 200
# The sizes of the narrative a dispatcher writes (server.calls.schemas).
MAX_NARRATIVE_LENGTH = 10_000

_CALL_ID = FieldSpec("call_id", FieldType.UUID, required=True, editable=True,
                     message="must be the call's id (a UUID string)")

CALL_STATUS = RecordKind("call_status", RecordType.FACT, fields=(
    _CALL_ID,
    FieldSpec("status", FieldType.ENUM, required=True, editable=True, choices=DEVICE_STATUSES),
    # The id of an earlier tap this one withdraws (sync.status), absent for a tap.
    FieldSpec("withdraws", FieldType.UUID, editable=True,
              message="must be the id of the tap it withdraws (a UUID string)",
              description="the id of the author's own earlier tap on the call it withdraws"),
))

CALL_NOTE = RecordKind("call_note", RecordType.FACT, fields=(
    _CALL_ID,
    FieldSpec("body", FieldType.TEXT, required=True, editable=True, clinical=True,
              max_length=MAX_NOTE_LENGTH, blank=False),
))

CALL = RecordKind(
    "call",
    RecordType.DOCUMENT,
    fields=(
        FieldSpec("narrative", FieldType.TEXT, clinical=True, max_length=MAX_NARRATIVE_LENGTH,
                  description="what the caller said, written by dispatch"),
        # Clinical and editable: a change made on both sides keeps the server's, flagged.
        FieldSpec("disposition", FieldType.TEXT, nullable=True, max_length=MAX_DISPOSITION_LENGTH,
                  clinical=True, editable=True, policy=server_wins_with_conflict),
        # A code of the disposition list (GET /dispositions); the server refuses one it does
        # not know (the op is kept for correction). Merged like the free text beside it.
        FieldSpec("disposition_code", FieldType.TEXT, nullable=True,
                  max_length=MAX_DISPOSITION_CODE_LENGTH, clinical=True, editable=True,
                  policy=server_wins_with_conflict,
                  description="the disposition list's code the crew chose"),
        FieldSpec("transport_destination", FieldType.TEXT, nullable=True,
                  max_length=MAX_DESTINATION_LENGTH, clinical=True, editable=True,
                  policy=server_wins_with_conflict),
        # Derived from call_status facts on the server, merged the same way on devices.
        FieldSpec("status", FieldType.ENUM, choices=CALL_LIFECYCLE.states, policy=lifecycle_max),
        FieldSpec("notes", FieldType.LIST, policy=append),
    ),
    actions=frozenset({"update"}),
    lifecycle=CALL_LIFECYCLE,
)

RECORD_KINDS = (CALL_STATUS, CALL_NOTE, CALL)


def _status_facts(store: MemoryStore, call_id: str) -> list[StatusFact]:
    return [StatusFact(r.id, r.data["status"], r.data.get("user_id"),
                       datetime.fromisoformat(r.data["corrected_time"]),
                       bool(r.data["time_uncertain"]), r.data.get("withdraws"))
            for r in store.records.values()
            if r.kind == "call_status" and r.data.get("call_id") == call_id]


def _check_withdrawal(store: MemoryStore, op: Operation, call: StoredRecord, when: FactTime,
                      actor: Actor) -> tuple[str, str] | None:
    withdraws = op.data.get("withdraws")
    if withdraws is None:
        return None
    refusal = withdrawal_refusal(_status_facts(store, call.id), str(withdraws),
                                 op.data["status"], actor.user_id, when.corrected,
                                 when.uncertain)
    return None if refusal is None else (refusal.field, refusal.message)


def _derive_status(store: MemoryStore, op: Operation, call: StoredRecord,
                   when: FactTime) -> None:
    """The furthest state of the taps that stand; after a withdrawal, from what dispatch
    set (a status past `dispatched` comes from taps)."""
    if op.data.get("withdraws") is None:
        status = lifecycle_max(None, call.data.get("status"), op.data["status"]).value
    else:
        before = call.data.get("status")
        base = before if before in LIFECYCLE[:2] else LIFECYCLE[1]
        status = current_status(str(base), _status_facts(store, call.id))
    if status != call.data.get("status"):
        store.put("call", call.id, {**call.data, "status": status})


# The call's facts in the in-memory store: MemoryStore(facts=MEMORY_FACTS).
MEMORY_FACTS = {
    "call_status": FactRules("call", "call_id", record_author=True, check=_check_withdrawal,
                             landed=_derive_status),
    "call_note": FactRules("call", "call_id"),
}
