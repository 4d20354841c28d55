"""What a CAD call reads into, and what a row that cannot be read reports.

A `CadCall` holds the CAD's own words (its call-type code, its reason texts); turning them
into our call types and eligibility happens when the call is stored, not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CadCall:
    """One call as the CAD sent it, times in UTC."""

    incident_number: str
    call_type: str  # the CAD's code or text, unmapped
    priority: int | None
    received_at: datetime  # aware, UTC
    address: str
    lat: float | None
    lon: float | None
    narrative: str
    weapon: bool
    violence: bool
    caller_answers: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    # Fields the mapping does not name, kept as sent (column or key -> value).
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RowError:
    """A value that could not be read. `row` is the CSV row as a spreadsheet numbers it (the
    header is row 1) or the EIDO document's place in its list (the first is 1); `field` is
    ours (`received_at`, `lat`...), `eidoVersion` for an EIDO of a version not read, or None
    when the row as a whole is wrong."""

    row: int
    field: str | None
    message: str
