"""What the engine writes on the wire it reads back the same: an op, and a push answer's result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from sync.clock_skew import ClockReading
from sync.hlc import Timestamp
from sync.ops import Operation, OpResult, Outcome, parse_operation
from tests.sync.factories import CALL_ID, op_id

READING = ClockReading(datetime(2026, 11, 25, 2, 10, tzinfo=UTC),
                       datetime(2026, 11, 25, 2, 10, 0, 410_000, tzinfo=UTC), 2_987_000)
EDIT = Operation(op_id(17), 17, Timestamp(1_795_575_600_000, 3, "dev1"), "call", "update", CALL_ID,
                 4, datetime(2026, 11, 25, 4, 59, 58, tzinfo=timezone(timedelta(hours=2))),
                 {"disposition": "referred"})


@pytest.mark.parametrize(
    "op",
    [EDIT, EDIT._replace(clock=READING), EDIT._replace(author_id=12),
     EDIT._replace(base_version=None, action="create", kind="call_note")],
    ids=["plain", "with-clock", "with-author", "create"],
)
def test_an_op_written_to_the_wire_is_read_back_as_the_same_op(op: Operation) -> None:
    assert parse_operation(op.to_json(), 2) == op


def test_an_op_on_the_wire_has_the_documented_fields_and_leaves_out_absent_optional_ones() -> None:
    assert EDIT.to_json() == {
        "id": op_id(17), "seq": 17, "hlc": "1795575600000-0003-dev1", "kind": "call",
        "action": "update", "record_id": CALL_ID, "base_version": 4,
        "device_time": "2026-11-25T04:59:58+02:00", "data": {"disposition": "referred"},
    }
    full = EDIT._replace(clock=READING, author_id=12).to_json()
    assert full["clock"] == {"server_time": "2026-11-25T02:10:00+00:00",
                             "device_time": "2026-11-25T02:10:00.410000+00:00",
                             "elapsed_ms": 2_987_000}
    assert full["author_id"] == 12


def test_an_ops_data_on_the_wire_is_a_copy_not_the_ops_own_mapping() -> None:
    data = EDIT.to_json()["data"]
    data["disposition"] = "changed"
    assert EDIT.data == {"disposition": "referred"}


MERGED = OpResult(op_id(17), 17, Outcome.MERGED, CALL_ID, 5, conflict_ids=["c-1"],
                  message="merged with dispatch", record={"disposition": "referred", "status": "on_scene"})


@pytest.mark.parametrize(
    "result",
    [MERGED,
     OpResult(op_id(3), 3, Outcome.REJECTED, errors={"data.status": ["must be one of ..."]},
              message="rejected: data.status"),
     OpResult(op_id(4), 4, Outcome.APPLIED, op_id(104), 1, replayed=True),
     OpResult(None, None, Outcome.REJECTED, errors={"op": ["must be an object"]})],
    ids=["merged", "rejected", "replayed", "unreadable"],
)
def test_a_result_the_server_answers_is_read_by_the_client_as_the_same_result(result: OpResult) -> None:
    assert OpResult.from_json(result.to_json()) == result


def test_a_result_on_the_wire_has_every_documented_field() -> None:
    assert MERGED.to_json() == {
        "id": op_id(17), "seq": 17, "outcome": "merged", "record_id": CALL_ID, "version": 5,
        "errors": {}, "conflict_ids": ["c-1"], "replayed": False, "message": "merged with dispatch",
        "record": {"disposition": "referred", "status": "on_scene"},
    }


def test_a_result_with_only_its_outcome_reads_with_the_documented_defaults() -> None:
    assert OpResult.from_json({"outcome": "deferred", "errors": None, "message": None}) == OpResult(
        None, None, Outcome.DEFERRED)
