"""The call's pure sync rules, with no Flask and no database: what the in-memory store
(`sync.memory_store`) does with a status or note fact on a call.

A status fact may withdraw an earlier tap (checked by `sync.status`); the call's status is
the furthest state of the taps that stand, and after a withdrawal it is derived again from
what dispatch set.
"""

from __future__ import annotations

from datetime import datetime

from sync.clock_skew import FactTime
from sync.memory_store import FactRules, MemoryStore, StoredRecord
from sync.merge import LIFECYCLE, lifecycle_max
from sync.ops import Operation
from sync.push_store import Actor
from sync.status import StatusFact, current_status, withdrawal_refusal


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
