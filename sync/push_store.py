"""What the push engine needs from storage: the PushStore protocol and the Actor it passes.

The server implements PushStore over its SQLAlchemy session, sync.memory_store
in memory. Every method runs inside the one transaction the caller opened for
the push; none commits. Results recorded earlier in that transaction must be
visible to find_result (a flush is enough).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sync.ops import Operation, OpResult, Rejection
from sync.registry import RecordKind


@dataclass(frozen=True)
class Actor:
    """Who pushes: the device, its signed-in user, and the skew measured at this push and
    the server time it arrived (set by apply_push)."""

    device_id: str
    user_id: int | str | None = None
    skew_ms: int = 0
    received_at: datetime | None = None


class PushStore(Protocol):
    def prepare(self, device_id: str, ops: Sequence[Operation | Rejection]) -> None:
        """Called once per push, before anything else: load what the batch will touch
        (a SQL store reads it in a few queries; a store in memory has nothing to do)."""
        ...

    def last_seq(self, device_id: str) -> int:
        """The highest seq of this device whose op was consumed (0 for a new device)."""
        ...

    def find_result(self, device_id: str, op_id: str) -> OpResult | None:
        """The first result stored for this op id, or None."""
        ...

    def apply(self, kind: RecordKind, op: Operation, actor: Actor) -> OpResult:
        """Apply a validated op (facts once by record_id, documents merged per field).

        May answer rejected (no such parent record, an author who may not
        make ops on this device...); the engine keeps it. The op is its author's
        (op.author_id, else actor.user_id). Time facts with
        clock_skew.fact_time(op.device_time, actor.skew_ms, op.clock, ...).
        """
        ...

    def record_result(self, device_id: str, result: OpResult) -> None:
        """Store the first result of an op that consumed its seq (unique per device and seq)."""
        ...

    def set_last_seq(self, device_id: str, seq: int) -> None: ...

    def keep_rejected(self, actor: Actor, raw: object, protocol_version: int, result: OpResult) -> None:
        """Keep a rejected op whole (as sent) with its errors, for a supervisor to correct."""
        ...

    def record_skew(self, device_id: str, skew_ms: int) -> None:
        """The device clock minus the server clock, measured at this push."""
        ...
