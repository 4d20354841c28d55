"""An op's envelope at every limit: the cheap checks a push runs on the common op and the full
validator agree, a value at a limit is taken and one past it is refused, and each bad field
is named with the message a supervisor reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from sync.clock_skew import ClockReading
from sync.hlc import Timestamp
from sync.ops import (
    MAX_BASE_VERSION,
    MAX_ELAPSED_MS,
    MAX_EPOCH_MS,
    MAX_KIND_LENGTH,
    MAX_PERSON_ID,
    MAX_SEQ,
    Operation,
    Rejection,
    _well_formed,
    parse_operation,
)
from tests.sync.factories import CALL_ID, op_id, raw_op, raw_v1_op

CLOCK = {"server_time": "2026-11-25T02:00:00+00:00", "device_time": "2026-11-25T02:00:03+00:00",
         "elapsed_ms": 3_600_000}
UPDATE = {"kind": "call", "action": "update", "record_id": CALL_ID, "data": {"disposition": "x"}}
UUID_MESSAGE = ["must be a UUID string"]
TIME_MESSAGE = ["must be an ISO 8601 date-time"]
OFFSET_MESSAGE = ["must carry a UTC offset (e.g. Z or +02:00)"]
CALENDAR_MESSAGE = ["must be a time with a UTC equivalent (from year 1 to 9999)"]
PERSON_MESSAGE = [f"must be null or a person's id (an integer from 1 to {MAX_PERSON_ID})"]
NUL_MESSAGE = ["must not contain a NUL character (\\u0000)"]


def both_paths(raw: dict[str, Any]) -> tuple[Operation | Rejection, Operation | Rejection]:
    """The op as a push's JSON gives it (a dict: the cheap checks first) and as any other
    mapping (the full validator only)."""
    return parse_operation(raw, 2), parse_operation(MappingProxyType(raw), 2)


VALID_AT_A_LIMIT = {
    "seq 1": {"seq": 1},
    "the largest seq": {"seq": MAX_SEQ},
    "base version 0": {**UPDATE, "base_version": 0},
    "the largest base version": {**UPDATE, "base_version": MAX_BASE_VERSION},
    "a created record with a base version": {"base_version": 3},
    "a one-letter kind": {"kind": "k"},
    "the longest kind": {"kind": "k" * MAX_KIND_LENGTH},
    "the first person": {"author_id": 1},
    "the last person id": {"author_id": MAX_PERSON_ID},
    "no author": {"author_id": None},
    "a clock reading": {"clock": CLOCK},
    "no elapsed time": {"clock": {**CLOCK, "elapsed_ms": 0}},
    "the longest elapsed time": {"clock": {**CLOCK, "elapsed_ms": MAX_ELAPSED_MS}},
    "a device time with an offset": {"device_time": "2026-11-25T04:59:58+02:00"},
    "the last instant": {"device_time": "9999-12-31T23:59:59.999+00:00"},
    "the first instant": {"device_time": "0001-01-01T00:00:00+00:00"},
    "empty data": {"data": {}},
    "a delete": {"action": "delete"},
}


@pytest.mark.parametrize("overrides", VALID_AT_A_LIMIT.values(), ids=VALID_AT_A_LIMIT.keys())
def test_an_op_at_a_limit_is_taken_by_the_cheap_checks_and_the_full_validator_alike(
    overrides: dict[str, Any]
) -> None:
    raw = raw_op(7, **overrides)
    fast, full = both_paths(raw)
    assert isinstance(full, Operation), full
    assert fast == full
    assert _well_formed(raw) == full  # a push of hundreds parses each common op in one pass


def test_a_parsed_op_carries_every_envelope_field() -> None:
    raw = raw_op(7, **UPDATE, base_version=4, author_id=12, clock=CLOCK)
    expected = Operation(op_id(7), 7, Timestamp(1_795_575_600_000, 7, "dev1"), "call", "update",
                         CALL_ID, 4, datetime(2026, 11, 25, 2, 59, 58, tzinfo=UTC),
                         {"disposition": "x"},
                         ClockReading(datetime(2026, 11, 25, 2, tzinfo=UTC),
                                      datetime(2026, 11, 25, 2, 0, 3, tzinfo=UTC), 3_600_000), 12)
    assert both_paths(raw) == (expected, expected)
    assert _well_formed(raw) == expected


def test_an_id_in_another_spelling_is_read_in_its_canonical_form() -> None:
    op = parse_operation(raw_op(7, id=op_id(7).upper(), record_id="{" + op_id(107) + "}"), 2)
    assert isinstance(op, Operation)
    assert (op.id, op.record_id) == (op_id(7), op_id(107))


PAST_A_LIMIT: dict[str, tuple[dict[str, Any], dict[str, list[str]]]] = {
    "seq 0": ({"seq": 0}, {"seq": [f"must be an integer from 1 to {MAX_SEQ}"]}),
    "seq past the largest": ({"seq": MAX_SEQ + 1}, {"seq": [f"must be an integer from 1 to {MAX_SEQ}"]}),
    "seq true": ({"seq": True}, {"seq": [f"must be an integer from 1 to {MAX_SEQ}"]}),
    "seq text": ({"seq": "7"}, {"seq": [f"must be an integer from 1 to {MAX_SEQ}"]}),
    "base version -1": ({**UPDATE, "base_version": -1},
                        {"base_version": [f"must be null or an integer from 0 to {MAX_BASE_VERSION}"]}),
    "base version past the largest": (
        {**UPDATE, "base_version": MAX_BASE_VERSION + 1},
        {"base_version": [f"must be null or an integer from 0 to {MAX_BASE_VERSION}"]}),
    "base version true": ({**UPDATE, "base_version": True},
                          {"base_version": [f"must be null or an integer from 0 to {MAX_BASE_VERSION}"]}),
    "base version text": ({**UPDATE, "base_version": "4"},
                          {"base_version": [f"must be null or an integer from 0 to {MAX_BASE_VERSION}"]}),
    "an update without base version": (
        {**UPDATE, "base_version": None},
        {"base_version": ["an update needs the version the device last saw"]}),
    "an empty kind": ({"kind": ""}, {"kind": [f"must be a name of 1..{MAX_KIND_LENGTH} characters"]}),
    "a kind too long": ({"kind": "k" * (MAX_KIND_LENGTH + 1)},
                        {"kind": [f"must be a name of 1..{MAX_KIND_LENGTH} characters"]}),
    "a kind that is no text": ({"kind": 7}, {"kind": [f"must be a name of 1..{MAX_KIND_LENGTH} characters"]}),
    "an unknown action": ({"action": "upsert"}, {"action": ["must be one of create, delete, update"]}),
    "an action that is no text": ({"action": 1}, {"action": ["must be one of create, delete, update"]}),
    "person 0": ({"author_id": 0},
                 {"author_id": PERSON_MESSAGE}),
    "a person id past the largest": (
        {"author_id": MAX_PERSON_ID + 1},
        {"author_id": PERSON_MESSAGE}),
    "a person id true": ({"author_id": True},
                         {"author_id": PERSON_MESSAGE}),
    "an id that is no UUID": ({"id": "op-7"}, {"id": UUID_MESSAGE}),
    "an id that is no text": ({"id": 7}, {"id": UUID_MESSAGE}),
    "a record id that is no UUID": ({"record_id": "call-1"}, {"record_id": UUID_MESSAGE}),
    "a record id that is no text": ({"record_id": None}, {"record_id": UUID_MESSAGE}),
    "an hlc that is no text": ({"hlc": 17}, {"hlc": ["must be an hlc string"]}),
    "an hlc in another shape": ({"hlc": "yesterday"},
                                {"hlc": ["hlc must look like '<13 digits>-<4 digits>-<node>'"]}),
    "an hlc with a short wall time": ({"hlc": "179557560000-0001-dev1"},
                                      {"hlc": ["hlc wall time must be 13 digits of epoch milliseconds"]}),
    "an hlc with a short counter": ({"hlc": "1795575600000-001-dev1"},
                                    {"hlc": ["hlc counter must be 4 digits"]}),
    "an hlc without a node": ({"hlc": "1795575600000-0001-"}, {"hlc": ["hlc node must not be empty"]}),
    "a short wall time before a node with dashes": (
        {"hlc": "179557560000-0001-dev-1"},
        {"hlc": ["hlc wall time must be 13 digits of epoch milliseconds"]}),
    "a short counter before a node with dashes": ({"hlc": "1795575600000-001-dev-1"},
                                                  {"hlc": ["hlc counter must be 4 digits"]}),
    "a device time that is no time": ({"device_time": "late afternoon"}, {"device_time": TIME_MESSAGE}),
    "a device time that is no text": ({"device_time": 1_795_575_598_000}, {"device_time": TIME_MESSAGE}),
    "a device time without an offset": ({"device_time": "2026-11-25T02:59:58"},
                                        {"device_time": OFFSET_MESSAGE}),
    "a device time before the calendar": ({"device_time": "0001-01-01T00:00:00+01:00"},
                                          {"device_time": CALENDAR_MESSAGE}),
    "a device time after the calendar": ({"device_time": "9999-12-31T23:59:59-01:00"},
                                         {"device_time": CALENDAR_MESSAGE}),
    "data that is no object": ({"data": ["status"]}, {"data": ["must be an object"]}),
    "an unknown field": ({"colour": "red"}, {"colour": ["unknown field"]}),
    "a clock that is no object": (
        {"clock": "2026-11-25T02:00:00Z"},
        {"clock": ["must be null or an object {server_time, device_time, elapsed_ms}"]}),
    "a clock with a field too many": ({"clock": {**CLOCK, "offset_ms": 5}},
                                      {"clock.offset_ms": ["unknown field"]}),
    "a clock with a field too few": (
        {"clock": {"server_time": CLOCK["server_time"], "device_time": CLOCK["device_time"]}},
        {"clock.elapsed_ms": [f"must be an integer from 0 to {MAX_ELAPSED_MS}"]}),
    "negative elapsed time": ({"clock": {**CLOCK, "elapsed_ms": -1}},
                              {"clock.elapsed_ms": [f"must be an integer from 0 to {MAX_ELAPSED_MS}"]}),
    "elapsed time past the largest": (
        {"clock": {**CLOCK, "elapsed_ms": MAX_ELAPSED_MS + 1}},
        {"clock.elapsed_ms": [f"must be an integer from 0 to {MAX_ELAPSED_MS}"]}),
    "elapsed time that is no integer": (
        {"clock": {**CLOCK, "elapsed_ms": 1.0}},
        {"clock.elapsed_ms": [f"must be an integer from 0 to {MAX_ELAPSED_MS}"]}),
    "a learned server time without an offset": (
        {"clock": {**CLOCK, "server_time": "2026-11-25T02:00:00"}}, {"clock.server_time": OFFSET_MESSAGE}),
    "a learned server time that is no text": (
        {"clock": {**CLOCK, "server_time": 1_795_575_600_000}}, {"clock.server_time": TIME_MESSAGE}),
    "a learned device time that is no text": (
        {"clock": {**CLOCK, "device_time": None}}, {"clock.device_time": TIME_MESSAGE}),
    "a learned device time that is no time": (
        {"clock": {**CLOCK, "device_time": "soon"}}, {"clock.device_time": TIME_MESSAGE}),
    "a learned time before the calendar": (
        {"clock": {**CLOCK, "server_time": "0001-01-01T00:00:00+01:00"}},
        {"clock.server_time": CALENDAR_MESSAGE}),
    "a kind with a NUL": ({"kind": "call\x00status"},
                          {"kind": NUL_MESSAGE}),
    "an hlc with a NUL": ({"hlc": "1795575600000-0001-dev\x00"},
                          {"hlc": NUL_MESSAGE}),
    "data with a NUL": ({"data": {"call_id": CALL_ID, "status": "en\x00route"}},
                        {"data.status": NUL_MESSAGE}),
}


@pytest.mark.parametrize(("overrides", "errors"), PAST_A_LIMIT.values(), ids=PAST_A_LIMIT.keys())
def test_an_op_past_a_limit_is_refused_naming_the_field_with_its_message(
    overrides: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    raw = raw_op(7, **overrides)
    fast, full = both_paths(raw)
    assert isinstance(full, Rejection)
    assert fast == full
    assert full.errors == errors
    assert full.message == "invalid operation"
    seq_readable = "seq" not in errors
    assert (full.id, full.seq) == (op_id(7) if "id" not in errors else None, 7 if seq_readable else None)


def test_an_op_that_is_no_object_is_refused_as_such() -> None:
    assert parse_operation(["not", "an", "op"], 2) == Rejection({"op": ["must be an object"]})


def test_every_bad_field_of_one_op_is_named_at_once() -> None:
    raw = raw_op(7, id="x", seq=0, hlc="x", kind="", action="x", base_version=-1, device_time="x",
                 author_id=0, data=None, clock=5, colour=1)
    result = parse_operation(raw, 2)
    assert isinstance(result, Rejection)
    assert sorted(result.errors) == ["action", "author_id", "base_version", "clock", "colour", "data",
                                     "device_time", "hlc", "id", "kind", "seq"]
    assert (result.id, result.seq) == (None, None)


V1_TYPE = {"type": ["must be '<kind>.<action>'"]}
V1_TS = {"ts": ["must be epoch milliseconds (a non-negative integer before year 10000)"]}


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"type": "call_status"}, V1_TYPE),
        ({"type": "call.status.create"}, V1_TYPE),
        ({"type": 5}, V1_TYPE),
        ({"ts": -1}, V1_TS),
        ({"ts": MAX_EPOCH_MS + 1}, V1_TS),
        ({"ts": True}, V1_TS),
        ({"ts": 1.5}, V1_TS),
        ({"type": "x", "ts": "noon"}, {**V1_TYPE, **V1_TS}),
        ({"type": "x", "note": "a\x00b"}, {**V1_TYPE, "note": NUL_MESSAGE}),
    ],
)
def test_a_protocol_1_op_that_cannot_be_upgraded_is_refused_with_the_reason(
    overrides: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    result = parse_operation(raw_v1_op(7, **overrides), 1)
    assert result == Rejection(errors, op_id(7), 7, "protocol 1 op could not be upgraded")


@pytest.mark.parametrize(("ts", "device_time"), [
    (0, datetime(1970, 1, 1, tzinfo=UTC)),
    (MAX_EPOCH_MS, datetime(9999, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)),
])
def test_a_protocol_1_time_at_either_end_of_the_calendar_is_taken(ts: int, device_time: datetime) -> None:
    op = parse_operation(raw_v1_op(7, ts=ts), 1)
    assert isinstance(op, Operation)
    assert (op.kind, op.action, op.device_time) == ("call_status", "create", device_time)


def test_a_protocol_1_op_with_a_bad_envelope_field_names_it_after_the_upgrade() -> None:
    result = parse_operation(raw_v1_op(7, hlc="x", colour="red"), 1)
    assert isinstance(result, Rejection)
    assert sorted(result.errors) == ["colour", "hlc"]
    assert (result.id, result.seq, result.message) == (op_id(7), 7, "invalid operation")


def test_a_mapping_that_is_not_a_dict_is_read_like_one() -> None:
    raw: Mapping[str, Any] = MappingProxyType(raw_op(7))
    assert parse_operation(raw, 2) == parse_operation(dict(raw), 2)


@pytest.mark.parametrize("seq", [1, MAX_SEQ])
def test_a_refused_op_at_the_first_or_the_last_seq_keeps_its_id_and_seq(seq: int) -> None:
    result = parse_operation(raw_op(seq, kind=""), 2)
    assert isinstance(result, Rejection)
    assert (result.id, result.seq) == (op_id(seq), seq)


def test_an_op_in_the_current_shape_sent_as_protocol_1_is_refused_for_its_missing_type() -> None:
    result = parse_operation(raw_op(7), 1)
    assert result == Rejection({**V1_TYPE, **V1_TS}, op_id(7), 7, "protocol 1 op could not be upgraded")


@pytest.mark.parametrize("text", [None, 17, b"1795575600000-0001-dev1"])
def test_an_hlc_that_is_no_text_is_refused_as_a_value_error(text: object) -> None:
    with pytest.raises(ValueError, match=r"^hlc must look like"):
        Timestamp.parse(text)  # type: ignore[arg-type]
