"""The spine's record kinds: call status and note facts, location points, the call document.

Each kind declares its fields (sync.fieldspec): their data validators, merge policies and
published schemas come from these declarations. The checks are pure: shapes and ranges only.
Whether the call exists or is in the device's scope is the store's business.
"""

from __future__ import annotations

import math

from sync.fieldspec import FieldSpec, FieldType, Lifecycle
from sync.merge import LIFECYCLE, append, lifecycle_max, server_wins_with_conflict
from sync.registry import RecordKind, RecordType, Registry

# The call lifecycle, earliest first (sync.merge keeps the order for its lifecycle policy).
CALL_LIFECYCLE = Lifecycle("status", LIFECYCLE)
# States a device may record; received and dispatched are set by dispatch.
DEVICE_STATUSES = LIFECYCLE[LIFECYCLE.index("en_route"):]
# A note is free text; 10,000 characters is several pages, more than any field note.
MAX_NOTE_LENGTH = 10_000
# Column sizes on the server's calls table.
MAX_DISPOSITION_LENGTH = 500
MAX_DESTINATION_LENGTH = 200
# The sizes of the narrative a dispatcher writes (server.calls.schemas).
MAX_NARRATIVE_LENGTH = 10_000
# Degrees: the ranges of latitude and longitude.
MAX_LATITUDE = 90
MAX_LONGITUDE = 180

_CALL_ID = FieldSpec("call_id", FieldType.UUID, required=True, editable=True,
                     message="must be the call's id (a UUID string)")

CALL_STATUS = RecordKind("call_status", RecordType.FACT, fields=(
    _CALL_ID,
    FieldSpec("status", FieldType.ENUM, required=True, editable=True, choices=DEVICE_STATUSES),
    # The id of an earlier tap this one withdraws (sync.status), absent for a tap.
    FieldSpec("withdraws", FieldType.UUID, editable=True,
              message="must be the id of the tap it withdraws (a UUID string)",
              description="the id of the author's own earlier tap on the call it withdraws"),
))

CALL_NOTE = RecordKind("call_note", RecordType.FACT, fields=(
    _CALL_ID,
    FieldSpec("body", FieldType.TEXT, required=True, editable=True, clinical=True,
              max_length=MAX_NOTE_LENGTH, blank=False),
))

LOCATION_POINT = RecordKind("location_point", RecordType.FACT, fields=(
    FieldSpec("lat", FieldType.NUMBER, required=True, editable=True,
              minimum=-MAX_LATITUDE, maximum=MAX_LATITUDE),
    FieldSpec("lon", FieldType.NUMBER, required=True, editable=True,
              minimum=-MAX_LONGITUDE, maximum=MAX_LONGITUDE),
    FieldSpec("accuracy_m", FieldType.NUMBER, nullable=True, editable=True, minimum=0,
              maximum=math.inf, message="must be a non-negative number"),
))

CALL = RecordKind(
    "call",
    RecordType.DOCUMENT,
    fields=(
        FieldSpec("narrative", FieldType.TEXT, clinical=True, max_length=MAX_NARRATIVE_LENGTH,
                  description="what the caller said, written by dispatch"),
        # Clinical and editable: a change made on both sides keeps the server's, flagged.
        FieldSpec("disposition", FieldType.TEXT, nullable=True, max_length=MAX_DISPOSITION_LENGTH,
                  clinical=True, editable=True, policy=server_wins_with_conflict),
        FieldSpec("transport_destination", FieldType.TEXT, nullable=True,
                  max_length=MAX_DESTINATION_LENGTH, clinical=True, editable=True,
                  policy=server_wins_with_conflict),
        # Derived from call_status facts on the server, merged the same way on devices.
        FieldSpec("status", FieldType.ENUM, choices=CALL_LIFECYCLE.states, policy=lifecycle_max),
        FieldSpec("notes", FieldType.LIST, policy=append),
    ),
    actions=frozenset({"update"}),
    lifecycle=CALL_LIFECYCLE,
)

SPINE_KINDS = (CALL_STATUS, CALL_NOTE, LOCATION_POINT, CALL)


def register_spine_kinds(registry: Registry) -> Registry:
    """Register the kinds the first app version syncs; returns the registry for chaining."""
    for kind in SPINE_KINDS:
        registry.register(kind)
    return registry


def spine_registry() -> Registry:
    return register_spine_kinds(Registry())
