"""Operations as a device sends them, their outcomes, and envelope parsing.

`parse_operation` turns one raw op from a push into an `Operation`, or a
`Rejection` naming each bad field. Protocol 1 ops are upgraded first
(`upgrade_v1`). Anything in the op the databases cannot store (`sync.storable`: a NUL, a
lone surrogate, NaN, an integer past 64 bits), in the envelope or in its data, is named
here; the rest of the data is checked later by the record kind.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

from sync.clock_skew import ClockReading
from sync.hlc import Timestamp
from sync.storable import (
    INT32_MAX,
    INT64_MAX,
    is_storable,
    storable_text,
    text_problem,
    value_problems,
)

CURRENT_PROTOCOL = 2
# The current version and the one before: tablets run old app versions for days.
SUPPORTED = frozenset({1, 2})
# Ops per push. 500 small ops make a request of a few hundred kB and one
# server transaction of well under a second; larger batches risk timeouts on
# field networks and hold locks longer.
MAX_PUSH_BATCH = 500

ACTIONS = frozenset({"create", "update", "delete"})
ENVELOPE_FIELDS = frozenset(
    {"id", "seq", "hlc", "kind", "action", "record_id", "base_version", "device_time", "data",
     "clock", "author_id"}
)
# Longest kind name; matches the server's record_kind column.
MAX_KIND_LENGTH = 40
CLOCK_FIELDS = frozenset({"server_time", "device_time", "elapsed_ms"})
# A person's id is a 32-bit integer key on the server (users.id).
MAX_PERSON_ID = 2**31 - 1
# The largest integer a JavaScript number holds exactly (Number.MAX_SAFE_INTEGER): the PWA's
# monotonic milliseconds never reach it, and the server's arithmetic on it cannot overflow.
MAX_ELAPSED_MS = 2**53 - 1
# A device's seq is stored as a BIGINT (sync_devices.last_seq, sync_op_results.seq).
MAX_SEQ = INT64_MAX
# The version a device saw is a record's version, an INTEGER column.
MAX_BASE_VERSION = INT32_MAX
# 9999-12-31T23:59:59.999Z: the last instant a datetime holds, in epoch milliseconds.
MAX_EPOCH_MS = 253_402_300_799_999
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Errors = dict[str, list[str]]


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    MERGED = "merged"
    CONFLICT = "conflict"
    REJECTED = "rejected"
    DEFERRED = "deferred"


class Operation(NamedTuple):
    """One validated operation from a device's outbox. Immutable; a named tuple rather
    than a frozen dataclass because a push parses hundreds and a tuple is made in a fifth
    of the time."""

    id: str
    seq: int
    hlc: Timestamp
    kind: str
    action: str
    record_id: str
    base_version: int | None
    device_time: datetime
    data: Mapping[str, Any]
    # The device's own clock at capture (PROTOCOL.md, "Clocks"); None: use the push's skew.
    clock: ClockReading | None = None
    # The person unlocked on the device at capture; None (an older app): the token's person.
    author_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        clock = {} if self.clock is None else {"clock": {
            "server_time": self.clock.server_time.isoformat(),
            "device_time": self.clock.device_time.isoformat(),
            "elapsed_ms": self.clock.elapsed_ms}}
        return {
            "id": self.id,
            "seq": self.seq,
            "hlc": str(self.hlc),
            "kind": self.kind,
            "action": self.action,
            "record_id": self.record_id,
            "base_version": self.base_version,
            "device_time": self.device_time.isoformat(),
            "data": dict(self.data),
            **clock,
            **({} if self.author_id is None else {"author_id": self.author_id}),
        }


@dataclass(frozen=True)
class Rejection:
    """An op whose envelope is invalid; id and seq are kept when they were readable."""

    errors: Errors
    id: str | None = None
    seq: int | None = None
    message: str = "invalid operation"


@dataclass(slots=True)
class OpResult:
    """The answer for one op, as sent on the wire (see PROTOCOL.md, Push). Treated as a
    value (`dataclasses.replace` makes changed copies) but not frozen: a push makes
    hundreds, and a frozen dataclass costs three times as much to make."""

    id: str | None
    seq: int | None
    outcome: Outcome
    record_id: str | None = None
    version: int | None = None
    errors: Errors = field(default_factory=dict)
    conflict_ids: list[str] = field(default_factory=list)
    replayed: bool = False
    message: str = ""
    record: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "outcome": self.outcome.value,
            "record_id": self.record_id,
            "version": self.version,
            "errors": self.errors,
            "conflict_ids": list(self.conflict_ids),
            "replayed": self.replayed,
            "message": self.message,
            "record": self.record,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> OpResult:
        return cls(
            id=raw.get("id"),
            seq=raw.get("seq"),
            outcome=Outcome(raw["outcome"]),
            record_id=raw.get("record_id"),
            version=raw.get("version"),
            errors=dict(raw.get("errors") or {}),
            conflict_ids=list(raw.get("conflict_ids") or []),
            replayed=bool(raw.get("replayed", False)),
            message=str(raw.get("message") or ""),
            record=raw.get("record"),
        )


def upgrade_v1(raw: Mapping[str, Any]) -> dict[str, Any] | Rejection:
    """A protocol-1 op in the v2 shape: `type` "kind.action" and `ts` epoch ms."""
    op = {k: v for k, v in raw.items() if k not in ("type", "ts")}
    errors: Errors = {}
    kind_action = raw.get("type")
    if not isinstance(kind_action, str) or kind_action.count(".") != 1:
        errors["type"] = ["must be '<kind>.<action>'"]
    else:
        op["kind"], op["action"] = kind_action.split(".")
    ts = raw.get("ts")
    device_time = _epoch_ms(ts)
    if device_time is None:
        errors["ts"] = ["must be epoch milliseconds (a non-negative integer before year 10000)"]
    else:
        op["device_time"] = device_time.isoformat()
    if errors:
        return Rejection(errors, *_peek(raw), message="protocol 1 op could not be upgraded")
    return op


def _epoch_ms(value: object) -> datetime | None:
    if type(value) is not int or not 0 <= value <= MAX_EPOCH_MS:
        return None
    return _EPOCH + timedelta(milliseconds=value)  # exact: value / 1000 as a float is not


def parse_operation(raw: object, protocol_version: int) -> Operation | Rejection:
    """Validate one op's envelope; every bad field is named in the rejection."""
    if protocol_version not in SUPPORTED:
        raise ValueError(f"unsupported protocol_version {protocol_version}")
    if protocol_version == 2 and type(raw) is dict and (op := _well_formed(raw)) is not None:
        return op
    if not isinstance(raw, Mapping):
        return Rejection({"op": ["must be an object"]})
    errors: Errors = value_problems(dict(raw))
    if protocol_version == 1:
        upgraded = upgrade_v1(raw)
        if isinstance(upgraded, Rejection):
            return Rejection(_merged(upgraded.errors, errors), upgraded.id, upgraded.seq,
                             upgraded.message)
        raw = upgraded
    unknown = raw.keys() - ENVELOPE_FIELDS
    for name in sorted(unknown) if unknown else ():
        errors.setdefault(storable_text(name), []).append("unknown field")
    op_id = _uuid(raw.get("id"), "id", errors)
    record_id = _uuid(raw.get("record_id"), "record_id", errors)
    seq = raw.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq <= MAX_SEQ:
        errors["seq"] = [f"must be an integer from 1 to {MAX_SEQ}"]
    hlc = _hlc(raw.get("hlc"), errors)
    kind = raw.get("kind")
    if not isinstance(kind, str) or not 0 < len(kind) <= MAX_KIND_LENGTH:
        errors.setdefault("kind", []).append(f"must be a name of 1..{MAX_KIND_LENGTH} characters")
    action = raw.get("action")
    if action not in ACTIONS:
        errors["action"] = [f"must be one of {', '.join(sorted(ACTIONS))}"]
    base_version = raw.get("base_version")
    if base_version is not None and (
        isinstance(base_version, bool) or not isinstance(base_version, int)
        or not 0 <= base_version <= MAX_BASE_VERSION
    ):
        errors["base_version"] = [f"must be null or an integer from 0 to {MAX_BASE_VERSION}"]
    elif action == "update" and base_version is None:
        errors["base_version"] = ["an update needs the version the device last saw"]
    device_time = _aware_time(raw.get("device_time"), "device_time", errors)
    clock = _clock(raw.get("clock"), errors)
    author_id = raw.get("author_id")
    if author_id is not None and not _person_id(author_id):
        errors["author_id"] = [f"must be null or a person's id (an integer from 1 to {MAX_PERSON_ID})"]
    data = raw.get("data")
    if not isinstance(data, Mapping):
        errors["data"] = ["must be an object"]
    if errors:
        return Rejection(errors, *_peek(raw))
    # No errors: every field was checked above, the casts only tell the type checker.
    return Operation(
        cast(str, op_id),
        cast(int, seq),
        cast(Timestamp, hlc),
        cast(str, kind),
        cast(str, action),
        cast(str, record_id),
        base_version,
        cast(datetime, device_time),
        cast(Mapping[str, Any], data),
        clock,
        author_id,
    )


def _well_formed(raw: dict[str, Any]) -> Operation | None:
    """The common op, checked with cheap exact-type tests; None for anything unusual, which
    the full validator above then reports (so errors stay the same)."""
    if not raw.keys() <= ENVELOPE_FIELDS:
        return None
    get = raw.get
    op_id, record_id, seq, hlc = get("id"), get("record_id"), get("seq"), get("hlc")
    kind, action, base_version = get("kind"), get("action"), get("base_version")
    device_time, data, clock, author_id = (get("device_time"), get("data"), get("clock"),
                                           get("author_id"))
    if (type(op_id) is not str or type(record_id) is not str or type(seq) is not int
            or not 0 < seq <= MAX_SEQ or type(hlc) is not str or type(kind) is not str
            or not 0 < len(kind) <= MAX_KIND_LENGTH or type(action) is not str
            or action not in ACTIONS or type(data) is not dict or type(device_time) is not str):
        return None
    if base_version is None:
        if action == "update":
            return None
    elif type(base_version) is not int or not 0 <= base_version <= MAX_BASE_VERSION:
        return None
    if not (_CANONICAL_UUID.fullmatch(op_id) and _CANONICAL_UUID.fullmatch(record_id)):
        return None
    if author_id is not None and not _person_id(author_id):
        return None
    # The other fields passed exact checks above that no NUL or lone surrogate passes.
    if text_problem(kind) or text_problem(hlc) or not is_storable(data):
        return None
    server_time: Any = None
    learned_time: Any = None
    elapsed: Any = 0
    if clock is not None:
        if type(clock) is not dict or len(clock) != len(CLOCK_FIELDS):
            return None
        server_time, learned_time = clock.get("server_time"), clock.get("device_time")
        elapsed = clock.get("elapsed_ms")
        if (type(server_time) is not str or type(learned_time) is not str
                or type(elapsed) is not int or not 0 <= elapsed <= MAX_ELAPSED_MS):
            return None
    try:
        stamp = Timestamp.parse(hlc)
        when = datetime.fromisoformat(device_time)
        reading = None if server_time is None else ClockReading(
            datetime.fromisoformat(server_time), datetime.fromisoformat(learned_time), elapsed)
    except ValueError:
        return None
    if not _has_utc(when) or (reading is not None and not (
            _has_utc(reading.server_time) and _has_utc(reading.device_time))):
        return None
    return Operation(op_id, seq, stamp, kind, action, record_id, base_version, when, data,
                     reading, author_id)


def _merged(first: Errors, second: Errors) -> Errors:
    merged = {name: list(messages) for name, messages in first.items()}
    for name, messages in second.items():
        merged.setdefault(name, []).extend(messages)
    return merged


def _person_id(value: object) -> bool:
    return type(value) is int and 0 < value <= MAX_PERSON_ID


def _peek(raw: Mapping[str, Any]) -> tuple[str | None, int | None]:
    op_id = _uuid(raw.get("id"), "id", {})
    seq = raw.get("seq")
    ok_seq = isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq <= MAX_SEQ
    return op_id, seq if ok_seq else None


# The canonical form `str(uuid.UUID(...))` gives; devices send it, so most ids skip parsing.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(value: object, name: str, errors: Errors) -> str | None:
    try:
        if not isinstance(value, str):
            raise ValueError
        if _CANONICAL_UUID.fullmatch(value):
            return value
        return str(uuid.UUID(value))
    except ValueError:
        errors[name] = ["must be a UUID string"]
        return None


def _hlc(value: object, errors: Errors) -> Timestamp | None:
    try:
        if not isinstance(value, str):
            raise ValueError("must be an hlc string")
        return Timestamp.parse(value)
    except ValueError as exc:
        errors["hlc"] = [str(exc)]
        return None


def _aware_time(value: object, name: str, errors: Errors) -> datetime | None:
    try:
        if not isinstance(value, str):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        errors[name] = ["must be an ISO 8601 date-time"]
        return None
    if parsed.tzinfo is None:
        errors[name] = ["must carry a UTC offset (e.g. Z or +02:00)"]
        return None
    if not _has_utc(parsed):
        errors[name] = ["must be a time with a UTC equivalent (from year 1 to 9999)"]
        return None
    return parsed


def _has_utc(when: datetime) -> bool:
    """An aware time that converts to UTC (0001-01-01T00:00+01:00 does not)."""
    if when.tzinfo is None:
        return False
    try:
        when.astimezone(UTC)
    except OverflowError:
        return False
    return True


def _clock(value: object, errors: Errors) -> ClockReading | None:
    """The optional `clock` object: null or absent is no reading; anything else must be
    exactly {server_time, device_time, elapsed_ms}, each bad part named (`clock.elapsed_ms`)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        errors["clock"] = ["must be null or an object {server_time, device_time, elapsed_ms}"]
        return None
    found: Errors = {}
    for name in sorted(value.keys() - CLOCK_FIELDS):
        found[f"clock.{name}"] = ["unknown field"]
    server_time = _aware_time(value.get("server_time"), "clock.server_time", found)
    learned_time = _aware_time(value.get("device_time"), "clock.device_time", found)
    elapsed = value.get("elapsed_ms")
    if type(elapsed) is not int or not 0 <= elapsed <= MAX_ELAPSED_MS:
        found["clock.elapsed_ms"] = [f"must be an integer from 0 to {MAX_ELAPSED_MS}"]
    if found:
        errors.update(found)
        return None
    return ClockReading(cast(datetime, server_time), cast(datetime, learned_time),
                        cast(int, elapsed))
