"""The push phases against the in-memory store: one test per rule of PROTOCOL.md's Push."""

from __future__ import annotations

import copy
import inspect
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.calls.kinds import MEMORY_FACTS
from server.kinds import record_registry
from sync.hlc import MAX_DRIFT_MS, Timestamp
from sync.memory_store import MemoryStore
from sync.ops import MAX_PUSH_BATCH, MAX_SEQ, Outcome
from sync.push import Actor, PushOutcome, PushRequestError, PushStore, apply_push
from tests.sync.factories import CALL_ID, DEVICE, op_id, raw_op, raw_v1_op

NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
REGISTRY = record_registry()
CALL = {"status": "dispatched", "disposition": None, "transport_destination": None}


@pytest.fixture
def store() -> MemoryStore:
    store = MemoryStore(facts=MEMORY_FACTS)
    store.put("call", CALL_ID, CALL)
    return store


def push(
    store: MemoryStore,
    ops: list[Any],
    version: int = 2,
    device_now: datetime = NOW,
    device: str = DEVICE,
) -> PushOutcome:
    return apply_push(store, REGISTRY, Actor(device, user_id=1), ops, version, device_now, NOW)


def outcomes(outcome: PushOutcome) -> list[str]:
    return [r.outcome.value + ("*" if r.replayed else "") for r in outcome.results]


def test_memory_store_has_every_push_store_method_with_the_same_signature() -> None:
    for name, member in inspect.getmembers(PushStore, inspect.isfunction):
        if not name.startswith("_"):
            assert inspect.signature(getattr(MemoryStore, name)) == inspect.signature(member)


def test_ops_in_order_are_applied_and_last_seq_is_stored() -> None:
    store = MemoryStore(facts=MEMORY_FACTS)
    ops = [raw_op(i, kind="location_point", data={"lat": 36.0, "lon": -78.9}) for i in (1, 2, 3)]
    result = push(store, ops)
    assert outcomes(result) == ["applied"] * 3
    assert result.last_seq == store.last_seq(DEVICE) == 3
    assert len(store.live("location_point")) == 3


def test_lost_push_response_is_replayed_not_duplicated(store: MemoryStore) -> None:
    ops = [raw_op(1), raw_op(2, data={"call_id": CALL_ID, "status": "on_scene"})]
    first = push(store, ops)
    records_after_first = copy.deepcopy(store.records)
    again = push(store, ops)
    assert outcomes(again) == ["applied*", "applied*"]
    assert [r.record_id for r in again.results] == [r.record_id for r in first.results]
    assert store.records == records_after_first
    assert again.last_seq == 2


def test_same_operation_twice_in_one_batch_is_applied_once(store: MemoryStore) -> None:
    result = push(store, [raw_op(1), raw_op(1), raw_op(2)])
    assert outcomes(result) == ["applied", "applied*", "applied"]
    assert len(store.live("call_status")) == 2


def test_seq_reused_by_a_different_op_is_rejected_and_kept_not_overwritten(
    store: MemoryStore,
) -> None:
    push(store, [raw_op(1)])
    impostor = raw_op(1, id=op_id(999))
    result = push(store, [impostor])
    assert outcomes(result) == ["rejected"]
    assert "seq" in result.results[0].errors
    assert store.rejected[-1].raw == impostor
    assert store.last_seq(DEVICE) == 1


def test_gap_defers_the_rest_of_the_batch(store: MemoryStore) -> None:
    result = push(store, [raw_op(1), raw_op(3), raw_op(4)])
    assert outcomes(result) == ["applied", "deferred", "deferred"]
    assert result.last_seq == 1
    assert "resend from 2" in result.results[1].message
    retry = push(store, [raw_op(2), raw_op(3), raw_op(4)])
    assert outcomes(retry) == ["applied"] * 3


def test_one_invalid_op_among_99_valid_ones_does_not_sink_the_batch(store: MemoryStore) -> None:
    ops = [raw_op(i, data={"call_id": CALL_ID, "status": "on_scene"}) for i in range(1, 101)]
    ops[49]["data"] = {"call_id": CALL_ID, "status": "teleported"}
    result = push(store, ops)
    assert outcomes(result).count("applied") == 99
    assert result.results[49].outcome is Outcome.REJECTED
    assert result.results[49].errors == {
        "data.status": ["must be one of en_route, on_scene, transporting, cleared"]
    }
    assert result.last_seq == 100
    assert [k.raw for k in store.rejected] == [ops[49]]


def test_rejected_op_replayed_returns_its_first_result_and_is_kept_once(
    store: MemoryStore,
) -> None:
    bad = raw_op(1, kind="teleport")
    push(store, [bad])
    again = push(store, [bad])
    assert outcomes(again) == ["rejected*"]
    assert len(store.rejected) == 1


def test_op_with_unreadable_seq_is_kept_and_consumes_no_seq(store: MemoryStore) -> None:
    result = push(store, [raw_op(1, seq="one"), raw_op(1)])
    assert outcomes(result) == ["rejected", "applied"]
    assert result.results[0].errors == {"seq": [f"must be an integer from 1 to {MAX_SEQ}"]}
    assert len(store.rejected) == 1
    assert result.last_seq == 1


def test_fact_with_an_existing_record_id_is_rejected(store: MemoryStore) -> None:
    push(store, [raw_op(1)])
    result = push(store, [raw_op(2, record_id=raw_op(1)["record_id"])])
    assert result.results[0].errors == {"record_id": ["a record with this id already exists"]}


def test_status_fact_for_an_unknown_call_is_rejected_and_kept() -> None:
    store = MemoryStore(facts=MEMORY_FACTS)
    result = push(store, [raw_op(1)])
    assert result.results[0].errors == {"data.call_id": ["no such call"]}
    assert len(store.rejected) == 1


def test_op_in_the_previous_protocol_format_after_a_server_upgrade(store: MemoryStore) -> None:
    result = push(store, [raw_v1_op(1), raw_v1_op(2, type="call_gossip.create")], version=1)
    assert outcomes(result) == ["applied", "rejected"]
    assert result.results[1].errors == {"kind": ["unknown record kind 'call_gossip'"]}
    assert store.rejected[0].protocol_version == 1


@pytest.mark.parametrize(
    ("version", "ops", "field"),
    [
        (3, [], "protocol_version"),
        (2, {"not": "a list"}, "ops"),
        (2, [raw_op(1)] * (MAX_PUSH_BATCH + 1), "ops"),
    ],
)
def test_unusable_push_request_is_refused_as_a_whole(
    store: MemoryStore, version: int, ops: Any, field: str
) -> None:
    with pytest.raises(PushRequestError) as caught:
        push(store, ops, version=version)
    assert list(caught.value.errors) == [field]
    assert store.last_seq(DEVICE) == 0


def test_tablet_clock_three_hours_ahead_keeps_response_times_right(store: MemoryStore) -> None:
    ahead = timedelta(hours=3)
    on_scene_device_time = (NOW + ahead - timedelta(minutes=5)).isoformat()
    op = raw_op(1, device_time=on_scene_device_time, data={"call_id": CALL_ID, "status": "on_scene"})
    result = push(store, [op], device_now=NOW + ahead)
    assert result.skew_ms == 3 * 3_600_000
    assert store.skews[DEVICE] == [result.skew_ms]
    fact = store.live("call_status")[op["record_id"]]
    assert fact["device_time"] == on_scene_device_time
    assert fact["corrected_time"] == (NOW - timedelta(minutes=5)).isoformat()


def test_late_en_route_does_not_move_the_call_back_but_every_event_is_kept(
    store: MemoryStore,
) -> None:
    on_scene = raw_op(1, data={"call_id": CALL_ID, "status": "on_scene"})
    en_route = raw_op(1, record_id=op_id(500), data={"call_id": CALL_ID, "status": "en_route"})
    push(store, [on_scene], device="tablet-a")
    push(store, [en_route], device="tablet-b")
    assert store.live("call")[CALL_ID]["status"] == "on_scene"
    statuses = sorted(s["status"] for s in store.live("call_status").values())
    assert statuses == ["en_route", "on_scene"]


def call_update(seq: int, base_version: int, **data: Any) -> dict[str, Any]:
    return raw_op(seq, kind="call", action="update", record_id=CALL_ID, base_version=base_version, data=data)


def test_same_clinical_field_edited_on_two_tablets_opens_a_conflict(store: MemoryStore) -> None:
    push(store, [call_update(1, 1, disposition="referred")], device="tablet-a")
    result = push(store, [call_update(1, 1, disposition="treated")], device="tablet-b")
    first = result.results[0]
    assert first.outcome is Outcome.CONFLICT
    assert first.record is not None
    assert first.record["disposition"] == "referred"
    conflict = store.live("conflict")[first.conflict_ids[0]]
    assert (conflict["field"], conflict["device_value"], conflict["server_value"]) == (
        "disposition",
        "treated",
        "referred",
    )


def test_edit_of_a_field_the_server_did_not_change_is_applied(store: MemoryStore) -> None:
    push(store, [call_update(1, 1, disposition="referred")], device="tablet-a")
    result = push(store, [call_update(1, 1, transport_destination="Duke ED")], device="tablet-b")
    assert outcomes(result) == ["applied"]
    assert store.live("call")[CALL_ID] == {
        **CALL,
        "disposition": "referred",
        "transport_destination": "Duke ED",
    }


def test_edit_against_delete_is_one_conflict_per_edited_field(store: MemoryStore) -> None:
    store.delete("call", CALL_ID)
    result = push(store, [call_update(1, 1, disposition="referred",
                                      transport_destination="Duke ED")])
    assert outcomes(result) == ["conflict"]
    conflicts = [store.records[("conflict", i)].data for i in result.results[0].conflict_ids]
    assert sorted((c["field"], c["reason"], c["device_value"]) for c in conflicts) == [
        ("disposition", "edit_delete", "referred"),
        ("transport_destination", "edit_delete", "Duke ED")]


def test_edit_from_a_version_the_server_never_had_merges_from_the_fields_versions(
        store: MemoryStore) -> None:
    # The base is the server's value of each field not changed since that version, as in
    # the SQL store: nothing changed after version 9, so the edit applies.
    result = push(store, [call_update(1, 9, disposition="referred")])
    assert outcomes(result) == ["applied"]
    assert store.live("call")[CALL_ID]["disposition"] == "referred"


def test_edit_of_a_field_changed_since_the_device_saw_it_clashes(store: MemoryStore) -> None:
    store.put("call", CALL_ID, {**CALL, "disposition": "referred"})  # version 2
    result = push(store, [call_update(1, 1, disposition="treated",
                                      transport_destination="Duke ED")])
    assert outcomes(result) == ["conflict"]
    conflicts = [store.records[("conflict", i)].data for i in result.results[0].conflict_ids]
    assert [(c["field"], c["server_value"]) for c in conflicts] == [("disposition", "referred")]
    assert store.live("call")[CALL_ID]["transport_destination"] == "Duke ED"


def test_a_push_of_exactly_the_batch_limit_is_taken_whole() -> None:
    store = MemoryStore()
    ops = [raw_op(i, kind="location_point", data={"lat": 36.0, "lon": -78.9})
           for i in range(1, MAX_PUSH_BATCH + 1)]
    result = push(store, ops)
    assert outcomes(result) == ["applied"] * MAX_PUSH_BATCH
    assert result.last_seq == store.last_seq(DEVICE) == MAX_PUSH_BATCH


def test_a_lower_seq_after_a_gap_in_the_same_push_waits_for_the_resend_too(
    store: MemoryStore,
) -> None:
    result = push(store, [raw_op(1), raw_op(3), raw_op(2)])
    assert outcomes(result) == ["applied", "deferred", "deferred"]
    assert [r.seq for r in result.results] == [1, 3, 2]
    assert result.results[2].message == "after a gap: resend from last_seq+1"
    assert result.last_seq == store.last_seq(DEVICE) == 1
    assert list(store.live("call_status")) == [raw_op(1)["record_id"]]


def test_an_edit_in_the_previous_protocol_format_merges_like_a_current_one(store: MemoryStore) -> None:
    edit = raw_v1_op(1, type="call.update", record_id=CALL_ID, base_version=1,
                     data={"disposition": "referred"})
    result = push(store, [edit], version=1)
    assert outcomes(result) == ["applied"]
    assert (result.results[0].record_id, result.results[0].version) == (CALL_ID, 2)
    assert store.live("call")[CALL_ID] == {**CALL, "disposition": "referred"}


def test_previous_protocol_ops_consume_their_seqs_and_replay_like_current_ones(
    store: MemoryStore,
) -> None:
    ops = [raw_v1_op(1), raw_v1_op(2, type="call_status"), raw_v1_op(3, ts=-1), raw_v1_op(4)]
    result = push(store, ops, version=1)
    assert outcomes(result) == ["applied", "rejected", "rejected", "applied"]
    assert [(r.id, r.seq) for r in result.results] == [(op_id(i), i) for i in (1, 2, 3, 4)]
    assert result.results[1].errors == {"type": ["must be '<kind>.<action>'"]}
    assert result.results[1].message == "protocol 1 op could not be upgraded"
    assert result.last_seq == store.last_seq(DEVICE) == 4
    assert [k.raw for k in store.rejected] == ops[1:3]
    again = push(store, ops, version=1)
    assert outcomes(again) == ["applied*", "rejected*", "rejected*", "applied*"]
    assert len(store.rejected) == 2


def test_a_refused_push_says_which_request_fields_are_wrong_and_why(store: MemoryStore) -> None:
    with pytest.raises(PushRequestError) as caught:
        push(store, [raw_op(1)] * (MAX_PUSH_BATCH + 1))
    assert caught.value.errors == {"ops": [f"Longer than maximum length {MAX_PUSH_BATCH}."]}
    assert str(caught.value) == f"ops: Longer than maximum length {MAX_PUSH_BATCH}."
    error = PushRequestError({"protocol_version": ["Must be one of: 1, 2.", "was 3"],
                              "ops": {"0": ["x"], "2": ["y"]}})
    assert str(error) == "protocol_version: Must be one of: 1, 2., was 3; ops: 0: x, 2: y"
    with pytest.raises(PushRequestError) as version:
        push(store, [], version=3)
    assert version.value.errors == {"protocol_version": ["Must be one of: 1, 2."]}
    with pytest.raises(PushRequestError) as shape:
        push(store, {"ops": []})
    assert shape.value.errors == {"ops": ["Not a valid list."]}


def test_a_push_with_a_bad_version_and_bad_ops_names_both_and_keeps_nothing(
        store: MemoryStore) -> None:
    with pytest.raises(PushRequestError) as caught:
        push(store, [raw_op(1), 7, "op"], version=3)
    assert caught.value.errors == {
        "protocol_version": ["Must be one of: 1, 2."],
        "ops": {"1": ["Not a valid mapping type."], "2": ["Not a valid mapping type."]}}
    assert store.last_seq(DEVICE) == 0
    assert store.rejected == []


def test_a_reused_seq_is_kept_with_a_reason_naming_the_field(store: MemoryStore) -> None:
    push(store, [raw_op(1)])
    result = push(store, [raw_op(1, id=op_id(999))]).results[0]
    assert result.message == "rejected: seq"
    assert result.errors == {"seq": ["seq 1 was already used by another operation of this device"]}
    assert store.rejected[-1].result == result


def test_a_rejection_with_its_own_reason_is_kept_with_that_reason(store: MemoryStore) -> None:
    result = push(store, [raw_op(1, kind="teleport")]).results[0]
    assert result.message == "teleport.create is not valid: kind"
    assert result.record_id == raw_op(1)["record_id"]
    assert store.rejected[-1].result == result


class CountingStore(MemoryStore):
    """Counts what the engine asks of the store, and may answer ops with another id and seq
    (a store that finds a fact's first op by its record answers with that op's id)."""

    def __init__(self, answer_as: tuple[str | None, int | None] | None = None) -> None:
        super().__init__()
        self.put("call", CALL_ID, CALL)
        self.answer_as = answer_as
        self.lookups: list[str] = []
        self.prepared: list[tuple[str, list[Any]]] = []

    def prepare(self, device_id: str, ops: Any) -> None:
        self.prepared.append((device_id, list(ops)))

    def find_result(self, device_id: str, op_id: str) -> Any:
        self.lookups.append(op_id)
        return super().find_result(device_id, op_id)

    def apply(self, kind: Any, op: Any, actor: Actor) -> Any:
        result = super().apply(kind, op, actor)
        if self.answer_as is None:
            return result
        return replace(result, id=self.answer_as[0], seq=self.answer_as[1])


def test_the_store_is_told_the_device_and_every_parsed_op_once_before_anything() -> None:
    store = CountingStore()
    push(store, [raw_op(1), {"not": "an op"}])
    [(device, ops)] = store.prepared
    assert device == DEVICE
    assert [getattr(op, "seq", None) for op in ops] == [1, None]


def test_an_op_repeated_in_one_push_is_answered_from_the_push_itself() -> None:
    store = CountingStore()
    result = push(store, [raw_op(1), raw_op(1), raw_op(2), raw_op(1)])
    assert outcomes(result) == ["applied", "applied*", "applied", "applied*"]
    assert store.lookups == [op_id(1), op_id(2)]  # the store is asked once per op id


def test_an_op_without_a_readable_id_is_never_looked_up() -> None:
    store = CountingStore()
    result = push(store, [raw_op(1, id="x"), raw_op(1, id="x")])
    assert outcomes(result) == ["rejected", "rejected"]
    assert store.lookups == []


def test_a_result_always_answers_the_op_sent_whatever_the_store_calls_it() -> None:
    store = CountingStore(answer_as=(None, None))
    result = push(store, [raw_op(1)]).results[0]
    assert (result.id, result.seq) == (op_id(1), 1)


def test_deferred_and_reused_ops_are_answered_with_their_own_id_and_seq(store: MemoryStore) -> None:
    push(store, [raw_op(1)])
    result = push(store, [raw_op(1, id=op_id(900)), raw_op(2), raw_op(4), raw_op(5)])
    assert [(r.id, r.seq) for r in result.results] == [(op_id(900), 1), (op_id(2), 2), (op_id(4), 4),
                                                        (op_id(5), 5)]
    assert outcomes(result) == ["rejected", "applied", "deferred", "deferred"]
    assert result.results[2].message == "seq 4 follows a gap after 2: resend from 3"


def test_every_op_kept_as_rejected_is_kept_whole_with_its_protocol_version(store: MemoryStore) -> None:
    push(store, [raw_op(1)])
    unreadable_seq, reused_seq, invalid = raw_op(2, seq="two"), raw_op(1, id=op_id(900)), raw_op(2, kind="x")
    push(store, [unreadable_seq, reused_seq, invalid])
    assert [(k.raw, k.protocol_version) for k in store.rejected] == [
        (unreadable_seq, 2), (reused_seq, 2), (invalid, 2)]
    push(store, [raw_v1_op(3, type="x")], version=1)
    assert store.rejected[-1].protocol_version == 1


def test_a_kind_rejection_keeps_the_ops_id_and_seq_and_names_every_bad_field(store: MemoryStore) -> None:
    op = raw_op(1, kind="location_point", data={"lat": 91, "lon": 181})
    result = push(store, [op]).results[0]
    assert (result.id, result.seq, result.record_id) == (op_id(1), 1, op["record_id"])
    assert result.message == "location_point.create is not valid: data.lat, data.lon"


NOW_MS = int(NOW.timestamp() * 1000)


@pytest.mark.parametrize(("ahead_ms", "read_as_ms"), [
    (MAX_DRIFT_MS - 1, NOW_MS + MAX_DRIFT_MS - 1),  # within the drift: kept as sent
    (MAX_DRIFT_MS + 1, NOW_MS + MAX_DRIFT_MS),
    (3 * 3_600_000, NOW_MS + MAX_DRIFT_MS),  # a tablet whose clock runs 3 h ahead
])
def test_an_op_hlc_further_ahead_of_the_server_than_the_drift_is_clamped_to_it(
    store: MemoryStore, ahead_ms: int, read_as_ms: int
) -> None:
    op = raw_op(1, hlc=f"{NOW_MS + ahead_ms:013d}-0042-dev1")

    result = push(store, [op])

    assert outcomes(result) == ["applied"]
    [fact] = store.live("call_status").values()
    assert fact["hlc"] == f"{read_as_ms:013d}-0042-dev1"
    assert result.latest_hlc == Timestamp(read_as_ms, 42, "dev1")


def test_the_latest_hlc_of_a_push_is_its_latest_readable_op_s(store: MemoryStore) -> None:
    ops = [raw_op(1, hlc=f"{NOW_MS:013d}-0002-dev1"), raw_op(2, hlc=f"{NOW_MS:013d}-0001-dev1"),
           raw_op(3, hlc="unreadable")]

    result = push(store, ops)

    assert outcomes(result) == ["applied", "applied", "rejected"]
    assert result.latest_hlc == Timestamp(NOW_MS, 2, "dev1")
    assert push(store, []).latest_hlc is None
