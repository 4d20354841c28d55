"""The push engine: a device's ops in seq order, each with its own outcome, replay-safe.

Pure logic over an injected PushStore; the caller runs `apply_push` in one
transaction so the device's last seq is stored with the ops' effects.
The envelope's one rule (PROTOCOL.md, "The one rule for an unusable push") is decided
here, by `request_errors`: the HTTP schema documents the envelope and asks this module,
so an API client and the reference stores get the same refusal, in the same words.
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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from sync.clock_skew import measure_skew
from sync.hlc import MAX_DRIFT_MS, Timestamp
from sync.ops import (
    MAX_PUSH_BATCH,
    SUPPORTED,
    Operation,
    OpResult,
    Outcome,
    Rejection,
    parse_operation,
)
from sync.push_store import Actor, PushStore
from sync.registry import Registry

__all__ = ["Actor", "PushOutcome", "PushRequestError", "PushStore", "apply_push", "request_errors"]

# What an envelope field's problems are: messages, or for ops, messages per op index.
Problems = list[str] | dict[str, list[str]]
# An unusable envelope's problems by field (the 422's errors.json).
RequestErrors = dict[str, Problems]


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

    def __init__(self, errors: RequestErrors) -> None:
        super().__init__("; ".join(f"{k}: {_said(v)}" for k, v in errors.items()))
        self.errors = errors


def _said(problems: Problems) -> str:
    if isinstance(problems, list):
        return ", ".join(problems)
    return ", ".join(f"{i}: {', '.join(m)}" for i, m in problems.items())


def protocol_version_problems(value: object) -> list[str]:
    """What is wrong with a push's `protocol_version`: the JSON integer 1 or 2 (`"2"`, 2.0 and
    true are not)."""
    if type(value) is not int:
        return ["Not a valid integer."]
    if value not in SUPPORTED:
        return [f"Must be one of: {', '.join(map(str, sorted(SUPPORTED)))}."]
    return []


def ops_problems(value: object) -> Problems:
    """What is wrong with a push's `ops`: a list of at most MAX_PUSH_BATCH objects (what is
    wrong inside an object is that op's own `rejected` result, not the push's)."""
    if type(value) is not list:
        return ["Not a valid list."]
    not_objects = {str(i): ["Not a valid mapping type."] for i, item in enumerate(value)
                   if type(item) is not dict}
    if not_objects:
        return not_objects
    if len(value) > MAX_PUSH_BATCH:
        return [f"Longer than maximum length {MAX_PUSH_BATCH}."]
    return []


# The envelope's fields the engine judges, each by its rule (`device_time` comes to
# `apply_push` already read).
ENVELOPE_RULES: dict[str, Callable[[object], Problems]] = {
    "protocol_version": protocol_version_problems, "ops": ops_problems}


def request_errors(envelope: Mapping[str, object]) -> RequestErrors:
    """Every bad field among the envelope's fields present, by name; empty when the push may
    proceed."""
    found = {name: rule(envelope[name]) for name, rule in ENVELOPE_RULES.items()
             if name in envelope}
    return {name: problems for name, problems in found.items() if problems}


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
    errors = request_errors({"protocol_version": protocol_version, "ops": ops_raw})
    if errors:
        raise PushRequestError(errors)
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
