"""The location point's pure record kind (no Flask, no database): a position a unit's
tablet recorded, pushed as a fact. Its fields are declared once (sync.fieldspec)."""

from __future__ import annotations

import math

from sync.fieldspec import FieldSpec, FieldType
from sync.registry import RecordKind, RecordType

# Degrees: the ranges of latitude and longitude.
MAX_LATITUDE = 90
MAX_LONGITUDE = 180

LOCATION_POINT = RecordKind("location_point", RecordType.FACT, fields=(
    FieldSpec("lat", FieldType.NUMBER, required=True, editable=True,
              minimum=-MAX_LATITUDE, maximum=MAX_LATITUDE),
    FieldSpec("lon", FieldType.NUMBER, required=True, editable=True,
              minimum=-MAX_LONGITUDE, maximum=MAX_LONGITUDE),
    FieldSpec("accuracy_m", FieldType.NUMBER, nullable=True, editable=True, minimum=0,
              maximum=math.inf, message="must be a non-negative number"),
))

RECORD_KINDS = (LOCATION_POINT,)
