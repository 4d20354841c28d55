"""Push scenarios through the HTTP API, each a hard case from the field (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask_jwt_extended import create_access_token

from server.auth.models import Device
from server.auth.services import LAST_SEEN_RESOLUTION
from server.calls.models import Call, CallNote, CallStatusEvent
from server.extensions import db
from server.locations.models import LocationPoint
from server.models_base import utcnow
from server.sync.bulk import COPY_MIN_ROWS
from server.sync.kinds import current_kinds
from server.sync.models import RejectedOp, SyncConflict, SyncOpResult
from server.sync.store import SqlPushStore
from tests.fixtures.sync import (
    PULL,
    PUSH,
    Tablet,
    count_rows,
    fact_ids,
    make_op,
    new_id,
    outcomes,
    table_counts,
)

MakeTablet = Callable[..., Tablet]
MakeCall = Callable[..., Call]
# Stands in for the number 1e400 until the body is written (Python cannot hold it).
OVERFLOW = "<1e400>"


def _call(call_id: Any) -> Call:
    db.session.expire_all()
    call = db.session.get(Call, call_id)
    assert call is not None
    return call


# --- replay and duplicates ----------------------------------------------------------------

def test_lost_push_response_is_replayed_with_the_first_outcomes_and_nothing_changes(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    ops = [device.status(call, "en_route"), device.note(call, "door locked"), device.point()]
    first = device.push(ops)
    assert outcomes(first) == ["applied"] * 3
    before = table_counts()

    again = device.push(ops)  # the answer never reached the tablet

    assert [r["replayed"] for r in again.json["results"]] == [True] * 3
    strip = [{k: v for k, v in r.items() if k != "replayed"} for r in again.json["results"]]
    assert strip == [{k: v for k, v in r.items() if k != "replayed"}
                     for r in first.json["results"]]
    assert again.json["last_seq"] == 3
    after = table_counts()
    assert {k: v for k, v in after.items() if k != "audit_entries"} == \
        {k: v for k, v in before.items() if k != "audit_entries"}
    assert after.get("audit_entries") == before.get("audit_entries")


def test_a_fact_replayed_without_its_result_row_gets_the_identical_result_and_no_duplicate(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    ops = [device.status(call, "en_route"), device.note(call, "door locked"), device.point(),
           device.edit(call, call.version, disposition="treated")]
    first = device.push(ops)
    # Plain fact creates keep no result row (their fact rows prove them); the edit keeps one.
    assert count_rows(SyncOpResult) == 1
    before = table_counts()

    again = device.push(ops)

    assert [r["replayed"] for r in again.json["results"]] == [True] * 4
    assert [{**r, "replayed": False} for r in again.json["results"]] == first.json["results"]
    assert table_counts() == before
    assert sorted(fact_ids(CallStatusEvent) + fact_ids(CallNote) + fact_ids(LocationPoint)) == \
        sorted(op["record_id"] for op in ops[:3])


def test_a_new_op_naming_an_existing_fact_is_rejected_not_taken_for_a_replay(
        tablet: MakeTablet) -> None:
    device = tablet()
    point = device.point()
    device.push([point])
    same_record = device.point(record_id=point["record_id"])  # new id, next seq
    reused_seq = {**point, "id": new_id()}  # new id, a seq already used

    response = device.push([same_record, reused_seq])

    assert outcomes(response) == ["rejected", "rejected"]
    assert "record_id" in response.json["results"][0]["errors"]
    assert "seq" in response.json["results"][1]["errors"]
    assert [r["replayed"] for r in response.json["results"]] == [False, False]
    assert count_rows(LocationPoint) == 1
    assert count_rows(RejectedOp) == 2


def test_the_same_operation_twice_in_one_batch_is_applied_once(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    tap = device.status(call, "on_scene")

    response = device.push([tap, tap])

    assert outcomes(response) == ["applied", "applied"]
    assert [r["replayed"] for r in response.json["results"]] == [False, True]
    assert fact_ids(CallStatusEvent) == [tap["record_id"]]


def test_app_killed_in_the_middle_of_a_push_then_resumed_gives_no_duplicates(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    ops = [device.note(call, f"note {i}") if i % 2 else device.point() for i in range(1, 101)]
    device.push(ops[:50])  # the server applied 1..50; the app died before the answer

    resumed = device.push(ops)

    results = resumed.json["results"]
    assert all(r["replayed"] for r in results[:50])
    assert [r["outcome"] for r in results[50:]] == ["applied"] * 50
    assert not any(r["replayed"] for r in results[50:])
    assert resumed.json["last_seq"] == 100
    assert count_rows(CallNote) + count_rows(LocationPoint) == 100
    assert sorted(fact_ids(CallNote) + fact_ids(LocationPoint)) == \
        sorted(op["record_id"] for op in ops)


def test_a_gap_in_seq_defers_the_rest_of_the_batch(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    ops = [device.point() for _ in range(5)]

    response = device.push([ops[0], ops[1], ops[3], ops[4]])  # seq 3 never arrives

    assert outcomes(response) == ["applied", "applied", "deferred", "deferred"]
    assert response.json["last_seq"] == 2
    assert count_rows(LocationPoint) == 2
    resent = device.push(ops[2:])
    assert outcomes(resent) == ["applied"] * 3
    assert count_rows(LocationPoint) == 5


def test_a_reused_seq_with_a_new_id_is_rejected_and_kept(tablet: MakeTablet) -> None:
    device = tablet()
    device.push([device.point()])
    other = make_op("location_point", {"lat": 1.0, "lon": 2.0}, seq=1)

    response = device.push([other])

    assert outcomes(response) == ["rejected"]
    assert "seq" in response.json["results"][0]["errors"]
    assert count_rows(LocationPoint) == 1
    assert count_rows(RejectedOp) == 1


# --- conflicts ----------------------------------------------------------------------------

def test_same_field_edited_on_two_tablets_keeps_the_server_value_and_opens_a_conflict(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    base = call.version

    a = first.push([first.edit(call, base, disposition="transported")])
    b = second.push([second.edit(call, base, disposition="refused care")])

    assert outcomes(a) == ["applied"]
    assert outcomes(b) == ["conflict"]
    conflict_id = b.json["results"][0]["conflict_ids"][0]
    assert _call(call.id).disposition == "transported"

    listed = second.session.get("/api/v1/sync/conflicts")
    assert listed.status_code == 200
    [shown] = listed.json
    assert shown["id"] == conflict_id
    assert (shown["field"], shown["reason"]) == ("disposition", "both_changed")
    assert (shown["device_value"], shown["server_value"]) == ("refused care", "transported")
    assert first.session.get("/api/v1/sync/conflicts").json == []

    changes, _ = second.pull_all()
    pulled = [c for c in changes if c["kind"] == "conflict"]
    assert [c["id"] for c in pulled] == [conflict_id]
    first_changes, _ = first.pull_all()
    assert not [c for c in first_changes if c["kind"] == "conflict"]


@pytest.mark.parametrize(("choice", "value", "kept"), [
    ("device", None, "refused care"),
    ("server", None, "transported"),
    ("value", "transported after refusal", "transported after refusal"),
])
def test_resolving_a_conflict_through_the_api_is_audited(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any,
        choice: str, value: str | None, kept: str) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    base = call.version
    first.push([first.edit(call, base, disposition="transported")])
    pushed = second.push([second.edit(call, base, disposition="refused care")])
    [conflict_id] = pushed.json["results"][0]["conflict_ids"]
    _, cursor = second.pull_all()

    body: dict[str, Any] = {"choice": choice}
    if value is not None:
        body["value"] = value
    resolved = second.session.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve", json=body)

    assert resolved.status_code == 200, resolved.json
    assert resolved.json["resolution"] == choice
    assert _call(call.id).disposition == kept
    audit = supervisor.get("/api/v1/audit", query_string={"entity": "sync_conflict"})
    assert audit.status_code == 200
    [entry] = audit.json
    assert entry["entity_id"] == conflict_id
    assert entry["action"] == "resolve"
    assert entry["after"]["choice"] == choice
    assert second.session.get("/api/v1/sync/conflicts").json == []
    changes, _ = second.pull_all(cursor)
    assert {"kind": "conflict", "id": conflict_id, "op": "delete"}.items() <= next(
        c for c in changes if c["kind"] == "conflict").items()
    again = second.session.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve", json=body)
    assert again.status_code == 409


def test_same_value_on_both_tablets_is_merged_without_a_conflict(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    base = call.version
    first.push([first.edit(call, base, disposition="transported")])

    response = second.push([second.edit(call, base, disposition="transported")])

    assert outcomes(response) == ["merged"]
    assert response.json["results"][0]["conflict_ids"] == []
    assert count_rows(SyncConflict) == 0


def test_edit_against_delete_is_an_edit_delete_conflict(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Any) -> None:
    device = tablet()
    call = create_call(device.unit)
    assert dispatcher.delete(f"/api/v1/calls/{call.id}").status_code == 204

    response = device.push([device.edit(call, call.version, transport_destination="Duke ED")])

    assert outcomes(response) == ["conflict"]
    [shown] = device.session.get("/api/v1/sync/conflicts").json
    assert (shown["reason"], shown["field"], shown["device_value"]) == \
        ("edit_delete", "transport_destination", "Duke ED")
    assert _call(call.id).transport_destination is None


def test_call_reassigned_while_offline_arrives_as_removal_facts_land_and_edits_go_to_review(
        tablet: MakeTablet, create_call: MakeCall, create_unit: Callable[..., Any],
        dispatcher: Any) -> None:
    device = tablet()
    call = create_call(device.unit)
    online = [device.status(call, "en_route"), device.note(call, "on our way")]
    device.push(online)
    _, cursor = device.pull_all()
    # Recorded offline before the dispatcher moved the call.
    before_the_move = utcnow() - timedelta(minutes=1)
    offline = [device.status(call, "on_scene", device_time=before_the_move),
               device.note(call, "patient refused", device_time=before_the_move),
               device.edit(call, call.version, disposition="refused care")]
    other_unit = create_unit()
    moved = dispatcher.patch(f"/api/v1/calls/{call.id}", json={"unit_id": other_unit.id})
    assert moved.status_code == 200, moved.json

    changes, cursor = device.pull_all(cursor)
    removed = {(c["kind"], c["id"]) for c in changes if c["op"] == "remove"}
    assert ("call", str(call.id)) in removed
    assert {("call_status", online[0]["record_id"]), ("call_note", online[1]["record_id"])} <= removed

    response = device.push(offline)

    assert outcomes(response) == ["applied", "applied", "conflict"]
    assert offline[0]["record_id"] in fact_ids(CallStatusEvent)
    assert offline[1]["record_id"] in fact_ids(CallNote)
    [shown] = device.session.get("/api/v1/sync/conflicts").json
    assert (shown["reason"], shown["field"]) == ("out_of_scope", "disposition")
    assert _call(call.id).disposition is None
    full, _ = device.pull_all()
    assert not [c for c in full if c["kind"] == "call"]
    # The tablet stored its offline facts when the push applied them: the feed removes them.
    after, _ = device.pull_all(cursor)
    assert {(c["kind"], c["id"], c["op"]) for c in after} >= {
        ("call_status", offline[0]["record_id"], "remove"),
        ("call_note", offline[1]["record_id"], "remove")}


# --- clocks and versions ------------------------------------------------------------------

def test_tablet_clock_three_hours_ahead_keeps_device_time_and_corrects_recorded_time(
        tablet: MakeTablet, create_call: MakeCall, dispatcher: Any) -> None:
    device = tablet(clock_offset=timedelta(hours=3))
    call = create_call(device.unit)
    tap = device.status(call, "on_scene")

    response = device.push([tap])

    assert outcomes(response) == ["applied"]
    assert abs(response.json["skew_ms"] - 3 * 3600 * 1000) < 60_000
    db.session.expire_all()
    event = db.session.get(CallStatusEvent, __import__("uuid").UUID(tap["record_id"]))
    assert event is not None
    now = utcnow()
    assert abs((_aware(event.corrected_time) - now).total_seconds()) < 60
    assert abs((_aware(event.device_time) - (now + timedelta(hours=3))).total_seconds()) < 60
    detail = dispatcher.get(f"/api/v1/calls/{call.id}").json
    on_scene = _parse(detail["status_times"]["on_scene"])
    assert abs((on_scene - now).total_seconds()) < 60


def _aware(value: Any) -> Any:
    from datetime import UTC
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _parse(text: str) -> Any:
    from datetime import datetime
    return _aware(datetime.fromisoformat(text))


def _v1(op: dict[str, Any], kind_action: str) -> dict[str, Any]:
    old = {k: v for k, v in op.items() if k not in ("kind", "action", "device_time")}
    old["type"] = kind_action
    old["ts"] = int(utcnow().timestamp() * 1000)
    return old


def test_an_operation_in_protocol_1_format_after_the_upgrade_is_applied(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    op = _v1(device.status(call, "en_route"), "call_status.create")

    response = device.push([op], protocol_version=1)

    assert outcomes(response) == ["applied"]
    assert fact_ids(CallStatusEvent) == [op["record_id"]]


def test_a_protocol_1_operation_of_an_unknown_kind_is_rejected_kept_and_reapplied_by_a_supervisor(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any) -> None:
    device = tablet()
    call = create_call(device.unit)
    gone = _v1(device.op("shift_report", {"text": "quiet"}), "shift_report.create")
    bad_status = _v1(device.status(call, "arrived"), "call_status.create")  # v1 name, now on_scene

    response = device.push([gone, bad_status], protocol_version=1)

    assert outcomes(response) == ["rejected", "rejected"]
    assert response.json["results"][0]["message"]
    assert "data.status" in response.json["results"][1]["errors"]
    kept = supervisor.get("/api/v1/sync/rejected")
    assert kept.status_code == 200
    by_op = {r["op_id"]: r for r in kept.json}
    assert set(by_op) == {gone["id"], bad_status["id"]}
    assert by_op[gone["id"]]["op"] == gone

    fixed = supervisor.post(f"/api/v1/sync/rejected/{by_op[bad_status['id']]['id']}/reapply",
                            json={"data": {"status": "on_scene"}})
    assert fixed.status_code == 200, fixed.json
    assert fixed.json["result"]["outcome"] == "applied"
    assert fact_ids(CallStatusEvent) == [bad_status["record_id"]]
    assert _call(call.id).status.value == "on_scene"
    assert [r["op_id"] for r in supervisor.get("/api/v1/sync/rejected").json] == [gone["id"]]
    replay = device.push([bad_status], protocol_version=1)
    assert replay.json["results"][0]["replayed"] is True
    assert count_rows(CallStatusEvent) == 1


def test_a_device_cannot_reapply_rejected_operations(tablet: MakeTablet) -> None:
    device = tablet()
    assert device.session.get("/api/v1/sync/rejected").status_code == 403


# --- one bad op among many ----------------------------------------------------------------

def test_one_invalid_operation_among_99_valid_ones_is_rejected_and_kept(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any) -> None:
    device = tablet()
    call = create_call(device.unit)
    ops = [device.note(call, f"note {i}") if i % 3 else device.point() for i in range(100)]
    ops[41]["data"] = {"lat": 123.0, "lon": "west"}
    ops[41]["kind"] = "location_point"

    response = device.push(ops)

    results = response.json["results"]
    assert [r["outcome"] for r in results].count("applied") == 99
    assert results[41]["outcome"] == "rejected"
    assert set(results[41]["errors"]) >= {"data.lat", "data.lon"}
    assert response.json["last_seq"] == 100
    assert count_rows(CallNote) + count_rows(LocationPoint) == 99
    [kept] = supervisor.get("/api/v1/sync/rejected").json
    assert kept["op_id"] == ops[41]["id"]
    assert kept["op"]["data"] == {"lat": 123.0, "lon": "west"}


# --- auth ---------------------------------------------------------------------------------

def test_access_token_expired_during_eight_hours_offline_refreshes_then_pushes(
        app: Any, tablet: MakeTablet, create_call: MakeCall) -> None:
    device = tablet()
    call = create_call(device.unit)
    expired = create_access_token(str(device.user.id), expires_delta=timedelta(hours=-8),
                                  additional_claims={"device": device.session.device_id})
    device.session.access_token = expired
    ops = [device.status(call, "en_route"), device.point()]

    refused = device.push(ops, expect=401)
    assert refused.json["action"] == "refresh"
    assert count_rows(CallStatusEvent) == 0

    refreshed = device.session.client.post(
        "/api/v1/auth/refresh", headers={"Authorization": f"Bearer {device.session.refresh_token}"})
    assert refreshed.status_code == 200
    device.session.access_token = refreshed.json["access_token"]
    assert outcomes(device.push(ops)) == ["applied", "applied"]


def test_revoked_device_is_told_to_wipe_on_push_and_pull(
        tablet: MakeTablet, supervisor: Any) -> None:
    device = tablet()
    assert supervisor.post(f"/api/v1/devices/{device.session.device_id}/revoke",
                           json={"reason": "lost"}).status_code == 200

    pushed = device.push([device.point()], expect=401)
    pulled = device.session.get(PULL)

    assert pushed.json["action"] == "wipe"
    assert (pulled.status_code, pulled.json["action"]) == (401, "wipe")
    assert count_rows(LocationPoint) == 0


# --- bad requests -------------------------------------------------------------------------

def test_wrong_protocol_version_is_422_naming_protocol_version(tablet: MakeTablet) -> None:
    device = tablet()
    response = device.push([device.point()], protocol_version=3, expect=422)
    assert "protocol_version" in response.json["errors"]["json"]
    assert count_rows(LocationPoint) == 0


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"protocol_version", "device_time", "ops"}),
    ({"protocol_version": "two", "device_time": "now", "ops": {}},
     {"protocol_version", "device_time", "ops"}),
    ({"protocol_version": 2, "device_time": "2026-11-25T03:00:00", "ops": []}, {"device_time"}),
    ({"protocol_version": 2, "device_time": "2026-11-25T03:00:00Z", "ops": [{}] * 501}, {"ops"}),
    ({"protocol_version": 2, "device_time": "2026-11-25T03:00:00Z", "ops": [1, "x"]}, {"ops"}),
])
def test_malformed_push_bodies_are_4xx_naming_fields_and_write_nothing(
        tablet: MakeTablet, body: dict[str, Any], fields: set[str]) -> None:
    device = tablet()
    before = table_counts()

    response = device.session.post(PUSH, json=body)

    assert 400 <= response.status_code < 500
    assert set(response.json["errors"]["json"]) >= fields
    assert table_counts() == before


def test_malformed_operations_are_rejected_each_naming_its_fields(tablet: MakeTablet) -> None:
    device = tablet()
    ops: list[Any] = [
        {"id": new_id(), "seq": 1},
        {**make_op("location_point", {"lat": 1.0, "lon": 1.0}, 2), "hlc": "yesterday",
         "extra": True},
        {**make_op("call_status", {"call_id": "nope", "status": "on_scene"}, 3)},
    ]

    response = device.push(ops)

    results = response.json["results"]
    assert outcomes(response) == ["rejected"] * 3
    assert {"kind", "action", "record_id", "hlc", "device_time", "data"} <= set(results[0]["errors"])
    assert {"hlc", "extra"} <= set(results[1]["errors"])
    assert "data.call_id" in results[2]["errors"]
    assert count_rows(LocationPoint) == 0
    assert count_rows(RejectedOp) == 3


@pytest.mark.parametrize("role", ["dispatcher", "supply_manager"])
def test_dispatch_and_supply_cannot_push(signed_in: Callable[..., Any], role: str) -> None:
    from server.auth.models import Role

    session = signed_in(Role(role))
    body = {"protocol_version": 2, "device_time": utcnow().isoformat(),
            "ops": [make_op("location_point", {"lat": 1.0, "lon": 1.0}, 1)]}
    assert session.post(PUSH, json=body).status_code == 403
    assert count_rows(LocationPoint) == 0


def test_text_with_a_nul_character_is_rejected_and_kept_without_sinking_the_batch(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any) -> None:
    # PostgreSQL text cannot hold NUL: this was a 500 that failed the whole push, forever.
    device = tablet()
    call = create_call(device.unit)
    ops = [device.note(call, "before"), device.note(call, "pasted\x00text"),
           device.edit(call, call.version, disposition="left\x00"), device.note(call, "after")]

    response = device.push(ops)

    assert outcomes(response) == ["applied", "rejected", "rejected", "applied"]
    assert "data.body" in response.json["results"][1]["errors"]
    assert "data.disposition" in response.json["results"][2]["errors"]
    assert sorted(fact_ids(CallNote)) == sorted([ops[0]["record_id"], ops[3]["record_id"]])
    kept = supervisor.get("/api/v1/sync/rejected").json
    assert {r["op_id"] for r in kept} == {ops[1]["id"], ops[2]["id"]}
    assert next(r for r in kept if r["op_id"] == ops[1]["id"])["op"]["data"]["body"] == \
        "pasted\x00text"


def test_an_edit_answer_carries_the_whole_call_as_the_pull_shows_it(
        tablet: MakeTablet, create_call: MakeCall) -> None:
    # The client replaces its copy with `record`: a partial record lost the call's status,
    # address and times on the tablet when the edit changed nothing on the server.
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    base = call.version
    first.push([first.edit(call, base, disposition="transported")])

    response = second.push([second.edit(call, base, disposition="transported")])

    [result] = response.json["results"]
    assert result["outcome"] == "merged"
    changes, _ = second.pull_all()
    [pulled] = [c for c in changes if c["kind"] == "call"]
    assert result["record"] == pulled["data"]
    assert result["version"] == pulled["version"]


def test_replaying_an_operation_without_a_readable_id_keeps_it_once(
        tablet: MakeTablet, supervisor: Any) -> None:
    device = tablet()
    broken = {**make_op("location_point", {"lat": 1.0, "lon": 2.0}, 1), "id": "not-a-uuid"}
    ops = [broken, device.point(), device.point()]
    device.next_seq = 2
    ops[1]["seq"], ops[2]["seq"] = 2, 3

    first = device.push(ops)
    again = device.push(ops)  # the answer was lost

    assert outcomes(first) == ["rejected", "applied", "applied"]
    assert outcomes(again)[0] == "rejected"
    assert [r["replayed"] for r in again.json["results"][1:]] == [True, True]
    assert count_rows(LocationPoint) == 2
    assert len(supervisor.get("/api/v1/sync/rejected").json) == 1


@pytest.mark.parametrize("value", ["x" * 201, "Duke\x00ED"])
def test_resolving_with_a_value_the_field_cannot_hold_is_422_and_changes_nothing(
        tablet: MakeTablet, create_call: MakeCall, value: str) -> None:
    # transport_destination holds 200 characters: this was a 500 on PostgreSQL (and a
    # silently over-long value on SQLite).
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    base = call.version
    first.push([first.edit(call, base, transport_destination="Duke ED")])
    pushed = second.push([second.edit(call, base, transport_destination="UNC ED")])
    [conflict_id] = pushed.json["results"][0]["conflict_ids"]

    response = second.session.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve",
                                   json={"choice": "value", "value": value})

    assert response.status_code == 422
    assert "value" in response.json["errors"]["json"]
    assert _call(call.id).transport_destination == "Duke ED"
    assert len(second.session.get("/api/v1/sync/conflicts").json) == 1


def test_an_op_id_another_device_already_used_is_rejected_and_kept_not_a_500(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    mine = first.edit(call, call.version, disposition="treated")  # a stored result
    first.push([mine])
    clash = {**second.point(), "id": mine["id"]}
    ops = [clash, second.point()]

    response = second.push(ops)
    again = second.push(ops)

    assert outcomes(response) == ["rejected", "applied"]
    assert "id" in response.json["results"][0]["errors"]
    assert outcomes(again) == ["rejected", "applied"]
    assert clash["record_id"] not in fact_ids(LocationPoint)
    assert count_rows(LocationPoint) == 1
    [kept] = supervisor.get("/api/v1/sync/rejected").json
    assert kept["op"] == clash
    assert first.push([mine]).json["results"][0]["replayed"] is True


def test_an_op_id_of_another_device_s_plain_fact_harms_neither_replay(
        tablet: MakeTablet) -> None:
    # A plain fact create keeps no result row, so the id is not known server-wide; each
    # device's replay is still recognised from its own fact row.
    first = tablet()
    second = tablet(unit=first.unit)
    mine = first.point()
    first.push([mine])
    theirs = {**second.point(), "id": mine["id"]}

    assert outcomes(second.push([theirs])) == ["applied"]
    assert first.push([mine]).json["results"][0]["replayed"] is True
    assert second.push([theirs]).json["results"][0]["replayed"] is True
    assert sorted(fact_ids(LocationPoint)) == sorted([mine["record_id"], theirs["record_id"]])


def test_a_reapply_still_invalid_is_422_and_a_second_reapply_is_409(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any) -> None:
    device = tablet()
    call = create_call(device.unit)
    device.push([device.status(call, "arrived")])
    [kept] = supervisor.get("/api/v1/sync/rejected").json
    url = f"/api/v1/sync/rejected/{kept['id']}/reapply"

    still_bad = supervisor.post(url, json={"data": {"status": "landed"}})
    fixed = supervisor.post(url, json={"data": {"status": "on_scene"}})
    twice = supervisor.post(url, json={"data": {"status": "on_scene"}})

    assert still_bad.status_code == 422
    assert "data.status" in still_bad.json["errors"]["json"]
    assert fixed.status_code == 200
    assert twice.status_code == 409
    assert count_rows(CallStatusEvent) == 1
    assert supervisor.get("/api/v1/sync/rejected",
                          query_string={"status": "reapplied"}).json[0]["id"] == kept["id"]


def test_another_responder_cannot_see_or_resolve_my_conflict_but_a_supervisor_can(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any) -> None:
    first = tablet()
    second = tablet(unit=first.unit)
    call = create_call(first.unit)
    base = call.version
    first.push([first.edit(call, base, disposition="transported")])
    [conflict_id] = second.push([second.edit(call, base, disposition="refused care")]).json[
        "results"][0]["conflict_ids"]
    url = f"/api/v1/sync/conflicts/{conflict_id}/resolve"

    assert first.session.post(url, json={"choice": "device"}).status_code == 404
    assert [c["id"] for c in supervisor.get("/api/v1/sync/conflicts").json] == [conflict_id]
    assert supervisor.post(url, json={"choice": "server"}).status_code == 200
    assert _call(call.id).disposition == "transported"


# --- the push's own bookkeeping ------------------------------------------------------------

def test_a_device_pushing_every_few_seconds_updates_last_seen_once_a_minute(
        tablet: MakeTablet) -> None:
    device = tablet()

    def last_seen() -> Any:
        db.session.expire_all()
        found = db.session.get(Device, uuid.UUID(device.session.device_id))
        assert found is not None
        return found.last_seen_at

    device.push([device.point()])
    first = last_seen()
    device.push([device.point()])
    assert last_seen() == first  # seconds later: unchanged, no write

    stale = utcnow() - LAST_SEEN_RESOLUTION - timedelta(seconds=1)
    db.session.execute(sa.update(Device).where(Device.id == uuid.UUID(device.session.device_id))
                       .values(last_seen_at=stale))
    db.session.commit()
    device.push([device.point()])
    assert last_seen() > first


def test_many_points_go_through_the_bulk_path_with_their_values_and_times_intact(
        tablet: MakeTablet) -> None:
    device = tablet(clock_offset=timedelta(minutes=3))
    # Whole-number coordinates too: JSON gives ints, the columns are floats.
    ops = [device.point(lat=36 + i, lon=-79) for i in range(COPY_MIN_ROWS * 2)]
    ops.append(device.op("location_point", {"lat": 35.5, "lon": -78.5, "accuracy_m": None}))

    assert outcomes(device.push(ops)) == ["applied"] * len(ops)

    db.session.expire_all()
    stored = {str(p.id): p for p in db.session.scalars(sa.select(LocationPoint))}
    assert len(stored) == len(ops)
    for op in ops:
        point = stored[op["record_id"]]
        assert (point.lat, point.lon, point.accuracy_m) == (
            op["data"]["lat"], op["data"]["lon"], op["data"]["accuracy_m"])
        assert str(point.op_id) == op["id"]
        assert str(point.device_id) == device.session.device_id
        assert point.unit_id == device.unit.id
        assert point.user_id == device.user.id
        # The tablet runs three minutes ahead: the corrected time is the server's.
        assert abs(point.device_time - point.corrected_time - timedelta(minutes=3)) < timedelta(
            seconds=5)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # a planner setting
def test_a_push_probes_ids_by_index_and_the_setting_ends_with_its_transaction(
        tablet: MakeTablet) -> None:
    device = tablet()
    user = device.user
    store = SqlPushStore(db.session(), current_kinds(), user,
                         device.unit.id if device.unit else None)

    store.prepare(device.session.device_id, [])

    assert db.session.scalar(sa.select(sa.func.current_setting("enable_seqscan"))) == "off"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.current_setting("enable_seqscan"))) == "on"


def test_ops_with_values_no_database_stores_are_rejected_by_field_the_rest_apply_and_a_retry_matches(
        tablet: MakeTablet, create_call: MakeCall, supervisor: Any) -> None:
    # Each of these was a 500 that failed the whole push, so the tablet's queue never drained.
    device = tablet()
    call = create_call(device.unit)
    ops = [device.note(call, "before"),
           {**device.note(call, "x"), "kind": "call_note\x00"},
           device.point(lat=OVERFLOW),
           device.point(lon=math.nan),
           device.note(call, "lone \ud800 surrogate"),
           {**device.point(), "data": {"lat": 1.0, "lon": 1.0, "accuracy_m": 10**400}},
           device.edit(call, 2**31, disposition="treated"),
           device.status(call, "en_route"),
           device.note(call, "after")]
    # Sent as Python's json writes it: NaN as NaN, 1e400 as the number (which reads as inf).
    body = json.dumps({"protocol_version": 2, "device_time": device.now().isoformat(),
                       "ops": ops}).replace(f'"{OVERFLOW}"', "1e400")

    headers = {**device.session.headers, "Content-Type": "application/json"}
    first = device.session.client.post(PUSH, data=body, headers=headers)

    assert first.status_code == 200, first.json
    assert outcomes(first) == ["applied", *["rejected"] * 6, "applied", "applied"]
    named = [sorted(r["errors"]) for r in first.json["results"][1:7]]
    assert named == [["kind"], ["data.lat"], ["data.lon"], ["data.body"], ["data.accuracy_m"],
                     ["base_version"]]
    assert first.json["last_seq"] == 9
    assert sorted(fact_ids(CallNote)) == sorted([ops[0]["record_id"], ops[8]["record_id"]])
    before = table_counts()

    again = device.session.client.post(PUSH, data=body, headers=headers)

    assert again.status_code == 200
    assert [{**r, "replayed": False} for r in again.json["results"]] == first.json["results"]
    assert table_counts() == before
    kept = supervisor.get("/api/v1/sync/rejected")
    assert kept.status_code == 200
    by_id = {r["op_id"]: r["op"] for r in kept.json}
    assert set(by_id) == {op["id"] for op in ops[1:7]}
    assert by_id[ops[1]["id"]]["kind"] == "call_note\x00"  # kept as sent
    assert by_id[ops[3]["id"]]["data"]["lon"] == "NaN"  # JSON has no NaN: kept as its name
