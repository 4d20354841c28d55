"""Field specs: a kind's data validator, merge policies and lifecycle come from its fields."""

from __future__ import annotations

import math
from typing import Any

import pytest

from server.calls.kinds import CALL, CALL_NOTE
from server.calls.lifecycle import lifecycle_max
from server.locations.kinds import LOCATION_POINT
from sync.fieldspec import FieldSpec, FieldType, Lifecycle, check_data, data_schema
from sync.merge import append, server_wins_with_conflict
from sync.ops import Errors
from sync.registry import RecordKind, RecordType

UUID = "0190f3a4-5b6c-7d8e-9f00-112233445566"

SUPPLY = RecordKind("supply_entry", RecordType.FACT, fields=(
    FieldSpec("kit_id", FieldType.UUID, required=True, editable=True),
    FieldSpec("item", FieldType.ENUM, required=True, editable=True, choices=("naloxone", "water")),
    FieldSpec("count", FieldType.INTEGER, required=True, editable=True, minimum=1, maximum=50),
    FieldSpec("note", FieldType.TEXT, nullable=True, editable=True, max_length=20, clinical=True),
    FieldSpec("weight_kg", FieldType.NUMBER, editable=True, minimum=0),
    FieldSpec("stock_after", FieldType.INTEGER),  # the server's
))


def test_a_kind_checks_its_data_by_its_declared_fields_with_messages_from_the_rules() -> None:
    bad = {"kit_id": "7", "item": "bandage", "count": 0, "note": "x" * 21, "weight_kg": True,
           "stock_after": 3}
    assert SUPPLY.check_data(bad, "create") == {
        "stock_after": ["unknown field"],
        "kit_id": ["must be a UUID string"],
        "item": ["must be one of naloxone, water"],
        "count": ["must be an integer from 1 to 50"],
        "note": ["must be null or text of at most 20 characters"],
        "weight_kg": ["must be a non-negative number"],
    }


def test_a_created_record_needs_its_required_fields_and_optional_ones_may_be_null() -> None:
    assert set(SUPPLY.check_data({"note": None}, "create")) == {"kit_id", "item", "count"}
    good = {"kit_id": UUID, "item": "water", "count": 50, "note": None, "weight_kg": 0.5}
    assert SUPPLY.check_data(good, "create") == {}


def test_an_update_needs_no_required_field_but_must_change_one() -> None:
    assert SUPPLY.check_data({"count": 2}, "update") == {}
    assert check_data(SUPPLY.fields, {}, update=True) == {
        "data": ["an update must change at least one field"]}


def test_rules_across_fields_run_once_every_field_is_right() -> None:
    def at_most_one_naloxone(data: Any) -> Errors:
        too_many = data["item"] == "naloxone" and data["count"] > 1
        return {"count": ["naloxone is logged one dose at a time"]} if too_many else {}

    kind = RecordKind("dose", RecordType.FACT, fields=SUPPLY.fields,
                      validate_data=at_most_one_naloxone)
    entry = {"kit_id": UUID, "item": "naloxone", "count": 2}
    assert kind.check_data(entry, "create") == {"count": ["naloxone is logged one dose at a time"]}
    assert set(kind.check_data({**entry, "kit_id": "7"}, "create")) == {"kit_id"}


def test_a_kind_that_declares_no_fields_leaves_its_data_to_its_own_check() -> None:
    free = RecordKind("free", RecordType.FACT)
    assert free.check_data({"anything": [1, 2]}, "create") == {}


def test_a_field_declared_twice_or_a_lifecycle_of_no_field_is_refused() -> None:
    text = FieldSpec("a", FieldType.TEXT)
    with pytest.raises(ValueError, match="declares a field twice"):
        RecordKind("twice", RecordType.DOCUMENT, fields=(text, text))
    with pytest.raises(ValueError, match="lifecycle of an undeclared field"):
        RecordKind("stateless", RecordType.DOCUMENT, fields=(text,),
                   lifecycle=Lifecycle("state", ("open", "closed")))


def test_the_call_kind_declares_its_merge_policies_clinical_and_editable_fields() -> None:
    assert CALL.policies == {"disposition": server_wins_with_conflict,
                             "disposition_code": server_wins_with_conflict,
                             "transport_destination": server_wins_with_conflict,
                             "status": lifecycle_max, "notes": append}
    assert CALL.clinical == ("narrative", "disposition", "disposition_code",
                             "transport_destination")
    assert CALL.editable == ("disposition", "disposition_code", "transport_destination")
    assert CALL.lifecycle is not None
    assert CALL.field_specs["status"].choices == CALL.lifecycle.states
    assert CALL_NOTE.clinical == ("body",)
    assert LOCATION_POINT.clinical == ()


def test_the_published_schema_of_a_kind_states_its_limits_and_facts() -> None:
    schema = data_schema(LOCATION_POINT.fields)
    assert schema["required"] == ["lat", "lon"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["lat"] == {"type": "number", "minimum": -90, "maximum": 90,
                                           "x-clinical": False, "x-editable": True}
    accuracy = schema["properties"]["accuracy_m"]
    assert (accuracy["minimum"], accuracy["nullable"], "maximum" in accuracy) == (0, True, False)
    update = data_schema(CALL.fields, update=True)
    assert set(update["properties"]) == {"disposition", "disposition_code",
                                         "transport_destination"}
    assert update["properties"]["disposition"]["maxLength"] == 500
    assert update["properties"]["disposition"]["x-merge"] == "server_wins_with_conflict"
    assert (update["minProperties"], "required" in update) == (1, False)
    record = data_schema(CALL.fields, writable_only=False)
    assert record["properties"]["narrative"]["x-clinical"] is True
    assert record["properties"]["status"]["enum"][0] == "received"


def test_a_number_field_refuses_what_json_has_but_is_not_a_finite_number() -> None:
    lat = LOCATION_POINT.field_specs["lat"]
    assert [lat.accepts(v) for v in (90, -90.0, 45.5)] == [True, True, True]
    assert [lat.accepts(v) for v in (True, "1", math.nan, math.inf, 90.01, None)] == [False] * 6
