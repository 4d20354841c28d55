"""The push engine: a device's ops in seq order, each with its own outcome, replay-safe.

Pure logic over an injected PushStore; the caller runs `apply_push` in one
transaction so the device's last seq is stored with the ops' effects.
Phases: check the request, parse (and upgrade) every op once, let the store
load what the batch touches, measure the clock skew once, then for each op
(replay? seq in order? well formed? valid for its kind? apply), then save
the last seq.

The server takes part in the devices' clocks: an op whose HLC is more than
MAX_DRIFT_MS ahead of the server's clock is clamped to the server's clock plus
MAX_DRIFT_MS (counter and node kept) before it is applied, as a device's own
clock does with a remote reading (sync.hlc), so a tablet whose clock jumped
hours ahead cannot put its edits after everyone else's for those hours. It
is clamped rather than refused: the op is still the crew's work, and a
tablet whose wall clock runs hours ahead would otherwise have every op
rejected until someone set its clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sync.clock_skew import measure_skew
from sync.hlc import MAX_DRIFT_MS, Timestamp
from sync.ops import (
    MAX_PUSH_BATCH,
    SUPPORTED,
    Errors,
    Operation,
    OpResult,
    Outcome,
    Rejection,
    parse_operation,
)
from sync.push_store import Actor, PushStore
from sync.registry import Registry

__all__ = ["Actor", "PushOutcome", "PushRequestError", "PushStore", "apply_push"]


@dataclass(frozen=True)
class PushOutcome:
    """`latest_hlc`: the latest HLC among the batch's readable ops (clamped), for the
    server's clock to merge; None when there was none."""

    results: list[OpResult]
    last_seq: int
    skew_ms: int
    latest_hlc: Timestamp | None = None


class PushRequestError(ValueError):
    """The push as a whole is unusable (HTTP 422, nothing applied); `errors` names the
    request fields."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class _Batch:
    last: int
    gap: bool = False
    seen: dict[str, OpResult] = field(default_factory=dict)


def apply_push(
    store: PushStore,
    registry: Registry,
    device: Actor,
    ops_raw: Sequence[object],
    protocol_version: int,
    device_now: datetime,
    server_now: datetime,
) -> PushOutcome:
    _check_request(ops_raw, protocol_version)
    limit_ms = int(server_now.timestamp() * 1000) + MAX_DRIFT_MS
    parsed = [_clamped(parse_operation(raw, protocol_version), limit_ms) for raw in ops_raw]
    store.prepare(device.device_id, parsed)
    skew = measure_skew(device_now, server_now)
    store.record_skew(device.device_id, skew)
    actor = replace(device, skew_ms=skew, received_at=server_now)
    batch = _Batch(last=store.last_seq(device.device_id))
    results = [_push_one(store, registry, actor, raw, op, protocol_version, batch)
               for raw, op in zip(ops_raw, parsed, strict=True)]
    store.set_last_seq(device.device_id, batch.last)
    stamps = [op.hlc for op in parsed if isinstance(op, Operation)]
    return PushOutcome(results, batch.last, skew, max(stamps) if stamps else None)


def _clamped(op: Operation | Rejection, limit_ms: int) -> Operation | Rejection:
    """The op with its HLC no later than `limit_ms` (the server's clock + MAX_DRIFT_MS)."""
    if isinstance(op, Rejection) or op.hlc.wall_ms <= limit_ms:
        return op
    return op._replace(hlc=Timestamp(limit_ms, op.hlc.counter, op.hlc.node))


def _check_request(ops_raw: Sequence[object], protocol_version: int) -> None:
    if protocol_version not in SUPPORTED:
        versions = ", ".join(map(str, sorted(SUPPORTED)))
        raise PushRequestError({"protocol_version": [f"must be one of {versions}"]})
    if not isinstance(ops_raw, list):
        raise PushRequestError({"ops": ["must be a list"]})
    if len(ops_raw) > MAX_PUSH_BATCH:
        raise PushRequestError({"ops": [f"at most {MAX_PUSH_BATCH} operations per push"]})


def _push_one(
    store: PushStore,
    registry: Registry,
    actor: Actor,
    raw: object,
    op: Operation | Rejection,
    version: int,
    batch: _Batch,
) -> OpResult:
    op_id, seq = op.id, op.seq  # a rejection keeps them when they were readable
    if batch.gap:
        return OpResult(op_id, seq, Outcome.DEFERRED, message="after a gap: resend from last_seq+1")
    first = batch.seen.get(op_id) if op_id else None
    if first is None and op_id is not None:
        first = store.find_result(actor.device_id, op_id)
    if first is not None:
        return replace(first, replayed=True)
    if seq is not None and seq > batch.last + 1:
        batch.gap = True
        message = f"seq {seq} follows a gap after {batch.last}: resend from {batch.last + 1}"
        return OpResult(op_id, seq, Outcome.DEFERRED, message=message)
    if seq is not None and seq <= batch.last:
        errors = {"seq": [f"seq {seq} was already used by another operation of this device"]}
        reused = OpResult(op_id, seq, Outcome.REJECTED, errors=errors)
        return _keep(store, actor, raw, version, reused)
    result = _apply_next(store, registry, actor, op)
    if seq is None:  # unreadable seq: kept as rejected, no seq consumed
        return _keep(store, actor, raw, version, result)
    if result.outcome is Outcome.REJECTED:
        _keep(store, actor, raw, version, result)
    if op_id is not None:
        store.record_result(actor.device_id, result)
        batch.seen[op_id] = result
    batch.last = seq
    return result


def _apply_next(
    store: PushStore, registry: Registry, actor: Actor, op: Operation | Rejection
) -> OpResult:
    if isinstance(op, Rejection):
        return OpResult(op.id, op.seq, Outcome.REJECTED, errors=op.errors, message=op.message)
    errors = registry.check(op)
    if errors:
        why = f"{op.kind}.{op.action} is not valid: {', '.join(sorted(errors))}"
        return OpResult(op.id, op.seq, Outcome.REJECTED, op.record_id, errors=errors, message=why)
    result = store.apply(registry.get(op.kind), op, actor)
    if result.id == op.id and result.seq == op.seq:  # the usual case: no copy
        return result
    return replace(result, id=op.id, seq=op.seq)


def _keep(store: PushStore, actor: Actor, raw: object, version: int, result: OpResult) -> OpResult:
    if not result.message:
        result = replace(result, message="rejected: " + ", ".join(sorted(result.errors)))
    store.keep_rejected(actor, raw, version, result)
    return result
