"""The spine's record kinds: call status and note facts, location points, the call document.

Validators are pure: they check shapes and ranges only. Whether the call
exists or is in the device's scope is the store's business.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

from sync.merge import LIFECYCLE, append, lifecycle_max, server_wins_with_conflict
from sync.ops import Errors
from sync.registry import RecordKind, RecordType, Registry

# States a device may record; received and dispatched are set by dispatch.
DEVICE_STATUSES = ("en_route", "on_scene", "transporting", "cleared")
assert set(DEVICE_STATUSES) <= set(LIFECYCLE)
# A note is free text; 10,000 characters is several pages, more than any field note.
MAX_NOTE_LENGTH = 10_000
# Column sizes on the server's calls table.
MAX_DISPOSITION_LENGTH = 500
MAX_DESTINATION_LENGTH = 200
CALL_EDITABLE = {
    "disposition": MAX_DISPOSITION_LENGTH,
    "transport_destination": MAX_DESTINATION_LENGTH,
}
# `withdraws`: the id of an earlier tap this one withdraws (sync.status), absent for a tap.
_STATUS_FIELDS = frozenset({"call_id", "status", "withdraws"})
_NOTE_FIELDS = frozenset({"call_id", "body"})
_POINT_FIELDS = frozenset({"lat", "lon", "accuracy_m"})


def _unknown(data: Mapping[str, Any], allowed: frozenset[str], errors: Errors) -> None:
    if data.keys() <= allowed:
        return
    for name in sorted(set(data) - allowed):
        errors.setdefault(name, []).append("unknown field")


def _is_uuid(value: object) -> bool:
    try:
        if not isinstance(value, str):
            raise ValueError
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _call_id(data: Mapping[str, Any], errors: Errors) -> None:
    if not _is_uuid(data.get("call_id")):
        errors["call_id"] = ["must be the call's id (a UUID string)"]


def _number_in(value: object, low: float, high: float) -> bool:
    # Exact types: JSON numbers arrive as int or float, and a bool is not a number here.
    return (type(value) is float or type(value) is int) and math.isfinite(value) and (
        low <= value <= high)


def validate_call_status(data: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    _unknown(data, _STATUS_FIELDS, errors)
    _call_id(data, errors)
    if data.get("status") not in DEVICE_STATUSES:
        errors["status"] = [f"must be one of {', '.join(DEVICE_STATUSES)}"]
    if "withdraws" in data and not _is_uuid(data["withdraws"]):
        errors["withdraws"] = ["must be the id of the tap it withdraws (a UUID string)"]
    return errors


def validate_call_note(data: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    _unknown(data, _NOTE_FIELDS, errors)
    _call_id(data, errors)
    body = data.get("body")
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_NOTE_LENGTH:
        errors["body"] = [f"must be text of 1..{MAX_NOTE_LENGTH} characters"]
    return errors


def validate_location_point(data: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    _unknown(data, _POINT_FIELDS, errors)
    if not _number_in(data.get("lat"), -90, 90):
        errors["lat"] = ["must be a number from -90 to 90"]
    if not _number_in(data.get("lon"), -180, 180):
        errors["lon"] = ["must be a number from -180 to 180"]
    if data.get("accuracy_m") is not None and not _number_in(data["accuracy_m"], 0, math.inf):
        errors["accuracy_m"] = ["must be a non-negative number"]
    return errors


def validate_call_update(data: Mapping[str, Any]) -> Errors:
    errors: Errors = {}
    _unknown(data, frozenset(CALL_EDITABLE), errors)
    if not data:
        errors["data"] = ["an update must change at least one field"]
    for name, limit in CALL_EDITABLE.items():
        value = data.get(name)
        bad = value is not None and (not isinstance(value, str) or len(value) > limit)
        if name in data and bad:
            errors[name] = [f"must be null or text of at most {limit} characters"]
    return errors


def register_spine_kinds(registry: Registry) -> Registry:
    """Register the kinds the first app version syncs; returns the registry for chaining."""
    fact = RecordType.FACT
    registry.register(RecordKind("call_status", fact, validate_data=validate_call_status))
    registry.register(RecordKind("call_note", fact, validate_data=validate_call_note))
    registry.register(RecordKind("location_point", fact, validate_data=validate_location_point))
    registry.register(
        RecordKind(
            "call",
            RecordType.DOCUMENT,
            policies={
                "disposition": server_wins_with_conflict,
                "transport_destination": server_wins_with_conflict,
                # Derived from call_status facts on the server, merged the same way on devices.
                "status": lifecycle_max,
                "notes": append,
            },
            validate_data=validate_call_update,
            clinical_fields=frozenset(CALL_EDITABLE),
            actions=frozenset({"update"}),
        )
    )
    return registry


def spine_registry() -> Registry:
    return register_spine_kinds(Registry())
