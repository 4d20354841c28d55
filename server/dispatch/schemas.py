"""Shapes of the dispatch queue, of the dispatcher's acts on it, and of the shifts
supervisors build."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.calls.schemas import CallSchema
from server.dispatch.services import DECLINE_CODES
from server.fields import AwareDateTime, Bool, Float, Int, Str

REASON = validate.Length(min=1, max=500)


class RecommendationSchema(Schema):
    response = Str()
    unit_id = Int(allow_none=True)
    call_sign = Str(allow_none=True)
    distance_m = Float(allow_none=True)
    reason_code = Str(allow_none=True)
    reason = Str()


class QueueCallSchema(CallSchema):
    lat = Float(allow_none=True)
    lon = Float(allow_none=True)
    call_sign = Str(allow_none=True)
    source = Str()
    eligible = Bool()
    eligible_programs = fields.List(Str())
    unmapped = Bool()
    recommendation = fields.Nested(RecommendationSchema, allow_none=True)
    unserved_reason = Str(allow_none=True)
    override_reason = Str(allow_none=True)


class QueueSchema(Schema):
    items = fields.List(fields.Nested(QueueCallSchema))


class AssignSchema(Schema):
    unit_id = Int(required=True, validate=validate.Range(min=1))
    override_reason = Str(load_default=None, allow_none=True, validate=validate.Length(max=500))


class PhoneResolutionSchema(Schema):
    note = Str(required=True, validate=REASON)


class DeclineSchema(Schema):
    reason_code = Str(required=True, validate=validate.OneOf(DECLINE_CODES))
    note = Str(load_default=None, allow_none=True, validate=validate.Length(max=500))


# A crew is a handful of people; past this a list is a mistake, not a crew.
MAX_CREW = 8
# The length of a service area's id column (service_areas.id).
SERVICE_AREA_ID_LENGTH = 40


class ShiftInSchema(Schema):
    unit_id = Int(required=True, validate=validate.Range(min=1))
    starts_at = AwareDateTime(required=True)
    ends_at = AwareDateTime(required=True)
    member_ids = fields.List(Int(validate=validate.Range(min=1)), required=True,
                             validate=validate.Length(min=1, max=MAX_CREW))
    service_area_id = Str(load_default=None, allow_none=True,
                          validate=validate.Length(min=1, max=SERVICE_AREA_ID_LENGTH))


class ShiftMemberSchema(Schema):
    user_id = Int()
    name = Str()
    role = Str()


class ShiftSchema(Schema):
    id = Int()
    unit_id = Int()
    call_sign = Str()
    program = Str()
    starts_at = AwareDateTime()
    ends_at = AwareDateTime()
    service_area_id = Str(allow_none=True)
    members = fields.List(fields.Nested(ShiftMemberSchema))


class ServiceAreaSchema(Schema):
    id = Str()
    name = Str()


class ShiftListSchema(Schema):
    items = fields.List(fields.Nested(ShiftSchema))


class ShiftQuerySchema(Schema):
    starts_after = AwareDateTime(load_default=None)
    ends_before = AwareDateTime(load_default=None)
