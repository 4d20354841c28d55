"""Envelope parsing, the v1 upgrade, the registry and the spine kinds' data rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from server.kinds import record_registry
from sync.hlc import Timestamp
from sync.ops import Operation, Rejection, parse_operation, upgrade_v1
from sync.registry import RecordKind, RecordType, Registry, UnknownKindError
from tests.sync.factories import CALL_ID, op_id, raw_op, raw_v1_op


def parsed(raw: dict[str, Any], version: int = 2) -> Operation:
    op = parse_operation(raw, version)
    assert isinstance(op, Operation), op
    return op


def test_valid_v2_op_parses_into_an_operation() -> None:
    op = parsed(raw_op(7))
    assert (op.id, op.seq, op.kind, op.action) == (op_id(7), 7, "call_status", "create")
    assert op.hlc == Timestamp(1_795_575_600_000, 7, "dev1")
    assert op.device_time == datetime(2026, 11, 25, 2, 59, 58, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "not-a-uuid"),
        ("id", None),
        ("seq", 0),
        ("seq", True),
        ("seq", "3"),
        ("hlc", "yesterday"),
        ("kind", ""),
        ("action", "upsert"),
        ("record_id", 12),
        ("base_version", -1),
        ("device_time", "2026-11-25T02:59:58"),
        ("device_time", "late afternoon"),
        ("data", ["status"]),
    ],
)
def test_each_bad_envelope_field_is_named(field: str, value: object) -> None:
    result = parse_operation(raw_op(3, **{field: value}), 2)
    assert isinstance(result, Rejection)
    assert list(result.errors) == [field]


def test_several_bad_fields_are_all_named_and_id_seq_kept_when_readable() -> None:
    result = parse_operation(raw_op(3, hlc="?", action="?", extra=1), 2)
    assert isinstance(result, Rejection)
    assert set(result.errors) == {"hlc", "action", "extra"}
    assert (result.id, result.seq) == (op_id(3), 3)


def test_update_without_base_version_is_rejected() -> None:
    result = parse_operation(raw_op(3, kind="call", action="update"), 2)
    assert isinstance(result, Rejection)
    assert "base_version" in result.errors


def test_v1_op_is_upgraded_to_the_v2_shape() -> None:
    op = parsed(raw_v1_op(4), version=1)
    assert (op.kind, op.action) == ("call_status", "create")
    assert op.device_time == datetime(2026, 11, 25, 2, 59, 58, tzinfo=UTC)


def test_v1_op_with_malformed_type_is_rejected_with_reason() -> None:
    upgraded = upgrade_v1(raw_v1_op(4, type="call_status", ts="noon"))
    assert isinstance(upgraded, Rejection)
    assert set(upgraded.errors) == {"type", "ts"}
    assert upgraded.message == "protocol 1 op could not be upgraded"


def test_unsupported_protocol_version_is_an_error_for_the_whole_push() -> None:
    with pytest.raises(ValueError, match="protocol_version"):
        parse_operation(raw_op(1), 3)


REGISTRY = record_registry()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"kind": "call_status\x00"}, "kind"),
        ({"data": {"call_id": CALL_ID, "status": "en_route\x00"}}, "data.status"),
        ({"kind": "call_note", "data": {"call_id": CALL_ID, "body": "a \ud800 b"}}, "data.body"),
        ({"kind": "location_point", "data": {"lat": float("nan"), "lon": 0}}, "data.lat"),
        ({"kind": "location_point", "data": {"lat": 0, "lon": float("inf")}}, "data.lon"),
        ({"kind": "location_point", "data": {"lat": 0, "lon": 0, "accuracy_m": 10**400}},
         "data.accuracy_m"),
        ({"data": {"call_id": CALL_ID, "status": "en_route", "n\x00": 1}}, "data.n\ufffd"),
        ({"seq": 2**63}, "seq"),
        ({"action": "update", "kind": "call", "base_version": 2**31}, "base_version"),
        ({"device_time": "0001-01-01T00:00:00+01:00"}, "device_time"),
    ],
)
def test_values_no_database_stores_are_named_when_the_op_is_parsed(
        overrides: dict[str, Any], named: str) -> None:
    result = parse_operation(raw_op(1, **overrides), 2)
    assert isinstance(result, Rejection)
    assert named in result.errors


def test_a_protocol_1_time_past_year_9999_is_rejected_naming_ts() -> None:
    result = parse_operation(raw_v1_op(1, ts=10**30), 1)
    assert isinstance(result, Rejection)
    assert set(result.errors) == {"ts"}


def data_errors(kind: str, data: dict[str, Any], action: str = "create") -> set[str]:
    base_version = 1 if action == "update" else None
    op = parsed(raw_op(1, kind=kind, action=action, data=data, base_version=base_version))
    return set(REGISTRY.check(op))


@pytest.mark.parametrize(
    ("kind", "data", "errors"),
    [
        ("call_status", {"call_id": CALL_ID, "status": "on_scene"}, set()),
        ("call_status", {"call_id": CALL_ID, "status": "dispatched"}, {"data.status"}),
        ("call_status", {"call_id": "7", "status": "on_scene"}, {"data.call_id"}),
        ("call_note", {"call_id": CALL_ID, "body": "calm, accepted water"}, set()),
        ("call_note", {"call_id": CALL_ID, "body": "   "}, {"data.body"}),
        ("call_note", {"call_id": CALL_ID, "body": "x" * 10_001}, {"data.body"}),
        ("location_point", {"lat": 35.99, "lon": -78.9, "accuracy_m": 8}, set()),
        ("location_point", {"lat": 91, "lon": -181}, {"data.lat", "data.lon"}),
        (
            "location_point",
            {"lat": -90.01, "lon": 0, "accuracy_m": -1},
            {"data.lat", "data.accuracy_m"},
        ),
        ("location_point", {"lat": True, "lon": 0, "speed": 3}, {"data.lat", "data.speed"}),
    ],
)
def test_spine_fact_data_rules(kind: str, data: dict[str, Any], errors: set[str]) -> None:
    assert data_errors(kind, data) == errors


def test_call_update_accepts_only_its_clinical_fields() -> None:
    assert data_errors("call", {"disposition": "referred"}, "update") == set()
    assert data_errors("call", {"status": "cleared"}, "update") == {"data.status"}
    assert data_errors("call", {"disposition": 5}, "update") == {"data.disposition"}
    assert data_errors("call", {}, "update") == {"data.data"}


def test_facts_cannot_be_updated_and_the_call_cannot_be_created_by_a_device() -> None:
    assert data_errors("call_note", {"call_id": CALL_ID, "body": "x"}, "update") == {"action"}
    assert data_errors("call", {"disposition": "x"}, "create") == {"action"}


def test_unknown_kind_is_an_explicit_rejection() -> None:
    assert data_errors("teleport", {}) == {"kind"}
    with pytest.raises(UnknownKindError):
        REGISTRY.get("teleport")


def test_a_later_feature_plugs_in_by_registering_a_kind() -> None:
    registry = record_registry()
    registry.register(
        RecordKind(
            "supply_ledger",
            RecordType.FACT,
            validate_data=lambda d: {} if isinstance(d.get("delta"), int) else {"delta": ["int"]},
        )
    )
    registry.register(RecordKind("kit_stock", RecordType.DERIVED))
    ledger = parsed(raw_op(1, kind="supply_ledger", data={"delta": -2}))
    stock = parsed(raw_op(2, kind="kit_stock", data={"on_hand": 5}))
    assert registry.check(ledger) == {}
    assert registry.check(stock) == {"action": ["kit_stock is derived on the server and cannot be pushed"]}


def test_registering_a_kind_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_twice()


def register_twice() -> None:
    registry = Registry()
    registry.register(RecordKind("x", RecordType.FACT))
    registry.register(RecordKind("x", RecordType.FACT))
