"""Shapes of the debrief queue and of the program's field-log aggregates on the API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.fieldlogs.models import MAX_DEBRIEF_NOTE_LENGTH, DebriefState
from server.fields import AwareDateTime, Int, Str


class DebriefQuerySchema(Schema):
    state = fields.Enum(DebriefState, by_value=True, load_default=None,
                        metadata={"description": "open or done (absent: both)"})


class DebriefSchema(Schema):
    id = fields.UUID()
    call_id = fields.UUID()
    unit_id = Int(allow_none=True)
    unit_call_sign = Str(allow_none=True)
    asked_by_id = Int(allow_none=True)
    asked_by_name = Str(allow_none=True)
    asked_at = AwareDateTime()
    state = fields.Enum(DebriefState, by_value=True)
    done_by_id = Int(allow_none=True)
    done_by_name = Str(allow_none=True)
    done_at = AwareDateTime(allow_none=True)
    note = Str(allow_none=True)
    comment = Str(allow_none=True, metadata={
        "description": "the survey's comment (clinical): for the supervisor only, else null"})


class DebriefDoneSchema(Schema):
    note = Str(load_default=None, allow_none=True,
               validate=validate.Length(max=MAX_DEBRIEF_NOTE_LENGTH))


class FlaggedSchema(Schema):
    kind = Str(metadata={"description": "harm_reduction_entry or post_call_survey"})
    id = fields.UUID()
    call_id = fields.UUID(allow_none=True)
    unit_id = Int(allow_none=True)
    user_id = Int(allow_none=True)
    user_name = Str(allow_none=True)
    at = AwareDateTime()
    reason = Str()


class PeriodQuerySchema(Schema):
    """A period: from (inclusive) to (exclusive), either open."""

    since = AwareDateTime(data_key="from", load_default=None)
    until = AwareDateTime(data_key="to", load_default=None)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data["since"] is not None and data["until"] is not None and (
                data["until"] <= data["since"]):
            raise ValidationError("must be after from", "to")


class SurveySummaryQuerySchema(PeriodQuerySchema):
    unit_id = Int(strict=False, load_default=None, validate=validate.Range(min=1))


class YesNoSchema(Schema):
    yes = Int()
    no = Int()


class SkippedSchema(Schema):
    reason = Str()
    count = Int()


class DebriefCountsSchema(Schema):
    open = Int()
    done = Int()


class SurveySummarySchema(Schema):
    surveys = Int(metadata={"description": "surveys sent (answered or skipped)"})
    answered = Int()
    felt_safe = fields.Nested(YesNoSchema)
    police_requested = fields.Nested(YesNoSchema)
    debrief_wanted = fields.Nested(YesNoSchema)
    debriefs = fields.Nested(DebriefCountsSchema)
    skipped = fields.List(fields.Nested(SkippedSchema),
                          metadata={"description": "skipped surveys by reason, most first"})


class GivenSchema(Schema):
    category = Str()
    entries = Int()
    quantity = Int()


class HarmReductionSummarySchema(Schema):
    naloxone_doses_administered = Int()
    naloxone_administrations = Int(metadata={"description": "entries of naloxone administered"})
    responses = fields.Dict(keys=Str(), values=Int(),
                            metadata={"description": "administrations by response"})
    routes = fields.Dict(keys=Str(), values=Int(),
                         metadata={"description": "administrations by route"})
    given = fields.List(fields.Nested(GivenSchema),
                        metadata={"description": "supplies given, by category"})
    sharps_collected = Int()
    sharps_entries = Int()
    entries_without_stock_move = Int(metadata={
        "description": "entries that gave supplies but moved no kit stock (no kit, unknown item)"})
