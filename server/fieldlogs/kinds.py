"""The field logs' pure record kinds (no Flask, no database): outreach contacts, harm-reduction
entries and post-call surveys, all facts a unit's tablet records and pushes. Their fields are
declared once (sync.fieldspec); the rules across fields are each kind's `validate_data`, so a
bad combination is a rejection naming the field, kept for correction like any other.

Nothing here names the person served: an entry says what was given or done, never to whom.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.fieldspec import FieldSpec, FieldType
from sync.ops import Errors
from sync.registry import RecordKind, RecordType

# Degrees: the ranges of latitude and longitude.
MAX_LATITUDE = 90
MAX_LONGITUDE = 180
# A place said in words ("under the Mangum St bridge"): a line, not a narrative.
MAX_PLACE_LENGTH = 200
# An outreach note is free text like a call's note: several pages at most.
MAX_CONTACT_NOTE_LENGTH = 10_000
# Where sharps were found: a line, like a place.
MAX_SHARPS_WHERE_LENGTH = 200
# The survey's free texts (the contract's sizes).
MAX_POLICE_REASON_LENGTH = 500
MAX_SURVEY_COMMENT_LENGTH = 1000
MAX_SKIPPED_REASON_LENGTH = 200
# More than any one hand-out (ten boxes of 100 syringes): a bigger number is a slip of the
# finger, rejected and kept for correction rather than taken off a kit's stock.
MAX_QUANTITY = 1000
# Catalog ids are database integers.
MAX_DB_ID = 2_147_483_647

YES_NO = ("yes", "no")
NALOXONE_ADMINISTERED = "naloxone_administered"
SHARPS_COLLECTED = "sharps_collected"
# What an entry records; every one but sharps_collected takes supplies off the unit's kit.
HARM_REDUCTION_CATEGORIES = (NALOXONE_ADMINISTERED, "naloxone_kit", "fentanyl_test_strips",
                             "safer_sex_kit", "wound_care", "hygiene_kit", "syringes",
                             SHARPS_COLLECTED)
NALOXONE_ROUTES = ("intranasal", "intramuscular", "intravenous")
NALOXONE_RESPONSES = ("breathing_restored", "ems_took_over", "no_response")
SHARPS_DISPOSALS = ("sharps_container", "drop_box", "pharmacy", "other")
# Fields that belong to one category only.
NALOXONE_FIELDS = ("route", "response")
SHARPS_FIELDS = ("sharps_where", "sharps_disposal")
# Which supplies were given: meaningless where nothing was given.
STOCK_FIELDS = ("item_id", "lot_id")
# The survey's answers: all required unless the survey was skipped (with a reason).
SURVEY_ANSWERS = ("felt_safe", "police_requested", "debrief_wanted")

REQUIRED_HERE = "required for this category"
ONLY_NALOXONE = f"only for {NALOXONE_ADMINISTERED}"
ONLY_SHARPS = f"only for {SHARPS_COLLECTED}"
NOTHING_GIVEN = f"not for {SHARPS_COLLECTED} (no supplies are given)"
CALL_OR_CONTACT = "give a call or an outreach contact, not both"
BOTH_OR_NEITHER = "give both lat and lon, or neither"
ANSWER_OR_SKIP = "required unless skipped_reason says why the survey was skipped"
POLICE_REASON_ONLY = "only when police_requested is yes"


def _present(data: Mapping[str, Any], name: str) -> bool:
    return data.get(name) is not None


def _id_field(name: str, what: str) -> FieldSpec:
    return FieldSpec(name, FieldType.UUID, nullable=True, editable=True,
                     message=f"must be null or the {what}'s id (a UUID string)")


def _catalog_id(name: str, description: str) -> FieldSpec:
    return FieldSpec(name, FieldType.INTEGER, nullable=True, editable=True, minimum=1,
                     maximum=MAX_DB_ID, description=description)


# --- outreach contact -------------------------------------------------------------------------

def check_contact(data: Mapping[str, Any]) -> Errors:
    """A point has both coordinates or none."""
    if _present(data, "lat") != _present(data, "lon"):
        missing = "lon" if _present(data, "lat") else "lat"
        return {missing: [BOTH_OR_NEITHER]}
    return {}


OUTREACH_CONTACT = RecordKind("outreach_contact", RecordType.FACT, fields=(
    FieldSpec("lat", FieldType.NUMBER, nullable=True, editable=True,
              minimum=-MAX_LATITUDE, maximum=MAX_LATITUDE),
    FieldSpec("lon", FieldType.NUMBER, nullable=True, editable=True,
              minimum=-MAX_LONGITUDE, maximum=MAX_LONGITUDE),
    FieldSpec("place", FieldType.TEXT, nullable=True, editable=True, max_length=MAX_PLACE_LENGTH,
              description="where, in words (never who)"),
    FieldSpec("note", FieldType.TEXT, nullable=True, editable=True, clinical=True,
              max_length=MAX_CONTACT_NOTE_LENGTH),
), validate_data=check_contact)


# --- harm-reduction entry ---------------------------------------------------------------------

def check_entry(data: Mapping[str, Any]) -> Errors:
    """Route and response go with (and are required for) a naloxone administration; sharps
    fields go with sharps collected, which gives nothing (no item, no lot); an entry is on a
    call or an outreach contact, or neither, never both."""
    category = data["category"]
    errors: Errors = {}
    for name in NALOXONE_FIELDS:
        if category == NALOXONE_ADMINISTERED and not _present(data, name):
            errors[name] = [REQUIRED_HERE]
        elif category != NALOXONE_ADMINISTERED and _present(data, name):
            errors[name] = [ONLY_NALOXONE]
    for name in SHARPS_FIELDS:
        if category != SHARPS_COLLECTED and _present(data, name):
            errors[name] = [ONLY_SHARPS]
    for name in STOCK_FIELDS:
        if category == SHARPS_COLLECTED and _present(data, name):
            errors[name] = [NOTHING_GIVEN]
    if _present(data, "call_id") and _present(data, "contact_id"):
        errors["contact_id"] = [CALL_OR_CONTACT]
    return errors


HARM_REDUCTION_ENTRY = RecordKind("harm_reduction_entry", RecordType.FACT, fields=(
    _id_field("call_id", "call"),
    _id_field("contact_id", "outreach contact"),
    FieldSpec("category", FieldType.ENUM, required=True, editable=True,
              choices=HARM_REDUCTION_CATEGORIES),
    FieldSpec("quantity", FieldType.INTEGER, required=True, editable=True, minimum=1,
              maximum=MAX_QUANTITY,
              description="units given (doses for naloxone_administered, items collected"
                          " for sharps_collected)"),
    _catalog_id("item_id", "the catalog item given (default: the category's item)"),
    _catalog_id("lot_id", "the lot given (default: the kit's first to expire)"),
    FieldSpec("route", FieldType.ENUM, nullable=True, editable=True, choices=NALOXONE_ROUTES),
    FieldSpec("response", FieldType.ENUM, nullable=True, editable=True,
              choices=NALOXONE_RESPONSES),
    FieldSpec("sharps_where", FieldType.TEXT, nullable=True, editable=True,
              max_length=MAX_SHARPS_WHERE_LENGTH),
    FieldSpec("sharps_disposal", FieldType.ENUM, nullable=True, editable=True,
              choices=SHARPS_DISPOSALS),
), validate_data=check_entry)


# --- post-call survey -------------------------------------------------------------------------

def check_survey(data: Mapping[str, Any]) -> Errors:
    """Every answer, unless the survey was skipped with a reason; a police reason only when
    police were requested."""
    errors: Errors = {}
    if not _present(data, "skipped_reason"):
        errors.update({name: [ANSWER_OR_SKIP] for name in SURVEY_ANSWERS
                       if not _present(data, name)})
    if _present(data, "police_reason") and data.get("police_requested") != "yes":
        errors["police_reason"] = [POLICE_REASON_ONLY]
    return errors


def _yes_no(name: str, description: str) -> FieldSpec:
    return FieldSpec(name, FieldType.ENUM, nullable=True, editable=True, choices=YES_NO,
                     description=description)


POST_CALL_SURVEY = RecordKind("post_call_survey", RecordType.FACT, fields=(
    FieldSpec("call_id", FieldType.UUID, required=True, editable=True,
              message="must be the call's id (a UUID string)"),
    _yes_no("felt_safe", "the responder felt safe on the call"),
    _yes_no("police_requested", "the team asked for police (not: police sent with the team)"),
    FieldSpec("police_reason", FieldType.TEXT, nullable=True, editable=True, clinical=True,
              max_length=MAX_POLICE_REASON_LENGTH),
    _yes_no("debrief_wanted", "yes: the call goes to the supervisor's debrief queue"),
    FieldSpec("comment", FieldType.TEXT, nullable=True, editable=True, clinical=True,
              max_length=MAX_SURVEY_COMMENT_LENGTH),
    FieldSpec("skipped_reason", FieldType.TEXT, nullable=True, editable=True, blank=False,
              max_length=MAX_SKIPPED_REASON_LENGTH,
              description="why the survey was not answered (then the answers may be absent)"),
), validate_data=check_survey)

RECORD_KINDS = (OUTREACH_CONTACT, HARM_REDUCTION_ENTRY, POST_CALL_SURVEY)
