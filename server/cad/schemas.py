"""Shapes of the CAD's calls as its interface posts them, the intake's answer, and the review
list of CAD call types not mapped yet."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.calls.schemas import NARRATIVE, PRIORITY
from server.dispatch.schemas import RecommendationSchema
from server.fields import AwareDateTime, Bool, Dict, Float, Int, Str

# Caller answers and unknown fields are kept as sent; past these sizes a CAD is sending
# something other than a call (a document, a recording) and is refused.
MAX_ANSWERS = 50
MAX_REASONS = 20
MAX_EXTRA = 100


class CadCallInSchema(Schema):
    incident_number = Str(required=True, validate=validate.Length(min=1, max=32))
    call_type = Str(required=True, validate=validate.Length(min=1, max=80))
    priority = Int(load_default=None, allow_none=True, validate=PRIORITY)
    received_at = AwareDateTime(required=True)
    address = Str(required=True, validate=validate.Length(min=1, max=200))
    lat = Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90))
    lon = Float(load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180))
    narrative = Str(load_default="", validate=NARRATIVE)
    weapon = Bool(load_default=False)
    violence = Bool(load_default=False)
    caller_answers = Dict(keys=Str(validate=validate.Length(max=80)),
                          values=Str(validate=validate.Length(max=1000)), load_default=dict,
                          validate=validate.Length(max=MAX_ANSWERS))
    reasons = fields.List(Str(validate=validate.Length(max=500)), load_default=list,
                          validate=validate.Length(max=MAX_REASONS))
    extra = Dict(keys=Str(validate=validate.Length(max=80)),
                 values=Str(validate=validate.Length(max=2000)), load_default=dict,
                 validate=validate.Length(max=MAX_EXTRA))


class CadCallAnswerSchema(Schema):
    id = fields.UUID()
    incident_number = Str()
    outcome = Str(metadata={"description": "created, updated, unchanged, or closed (a "
                                           "cleared or cancelled call is left as it was)"})
    eligible = Bool()
    unmapped = Bool()
    recommendation = fields.Nested(RecommendationSchema, allow_none=True)


class CadCodeSchema(Schema):
    id = Int()
    cad_code = Str()
    calls_seen = Int()
    first_seen_at = AwareDateTime()
    last_seen_at = AwareDateTime()


class CadCodeListSchema(Schema):
    items = fields.List(fields.Nested(CadCodeSchema))


class CadCodeMapSchema(Schema):
    call_type = Str(required=True, validate=validate.Length(min=1, max=48))


class CadCodeMappedSchema(Schema):
    id = Int()
    cad_code = Str()
    call_type = Str()
    calls_moved = Int()
