"""Shapes of call types, eligibility, premises and calls on the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.calls.models import CallStatus
from server.units.models import Program
from sync.clock_skew import TimeSource

PRIORITY = validate.Range(min=1, max=4)
CLINICAL_TEXT = validate.Length(max=500)
DESTINATION = validate.Length(max=200)


class EligibilitySchema(Schema):
    program = fields.Enum(Program, by_value=True, required=True)
    rank = fields.Integer(load_default=1, validate=validate.Range(min=1, max=9))


class CallTypeSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{2,48}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    weapon_involved = fields.Boolean(load_default=False)
    default_priority = fields.Integer(load_default=3, validate=PRIORITY)
    eligibility = fields.List(fields.Nested(EligibilitySchema), load_default=list)


class CallTypePatchSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    weapon_involved = fields.Boolean()
    default_priority = fields.Integer(validate=PRIORITY)
    eligibility = fields.List(fields.Nested(EligibilitySchema))


class HazardSchema(Schema):
    kind = fields.String()
    description = fields.String()


class PremiseHistorySchema(Schema):
    call_id = fields.UUID()
    cad_number = fields.String()
    call_type = fields.String()
    call_type_name = fields.String()
    received_at = fields.AwareDateTime()
    status = fields.String()


class PremiseSummarySchema(Schema):
    days = fields.Integer(metadata={"description": "The window counted, in days before now"})
    calls = fields.Integer(metadata={"description": "Calls at this premise in the window"})
    weapon_calls = fields.Integer(metadata={"description": "Of those, calls of a weapon call type"})


class PremiseSchema(Schema):
    id = fields.UUID()
    address = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    hazards = fields.List(fields.Nested(HazardSchema))
    history = fields.List(fields.Nested(PremiseHistorySchema))
    summary = fields.Nested(PremiseSummarySchema)


_CORRECTED_BY = ("the supervisor who re-applied this from a rejected operation with corrected"
                 " data (user_id stays its author); null when it landed as recorded")


def _time_source() -> fields.Enum[TimeSource]:
    return fields.Enum(TimeSource, by_value=True, metadata={"description": (
        "where `at` came from: monotonic (the server time the device last learned plus the"
        " monotonic time since) or device_clock (device_time corrected by the push's skew)")})


def _time_uncertain() -> fields.Boolean:
    return fields.Boolean(metadata={"description": (
        "`at` was clamped (after the server received it, or before the call came in) or the"
        " device's clocks disagreed: device_time keeps what the device recorded")})


class StatusEventSchema(Schema):
    id = fields.UUID()
    status = fields.String()
    at = fields.AwareDateTime(metadata={"description": "the server-clock time (corrected)"})
    device_time = fields.AwareDateTime(metadata={"description": "the device clock, as recorded"})
    time_source = _time_source()
    time_uncertain = _time_uncertain()
    user_id = fields.Integer(allow_none=True, metadata={"description": "the author"})
    author_name = fields.String(allow_none=True, metadata={"description": "the author's name"})
    corrected_by_id = fields.Integer(allow_none=True, metadata={"description": _CORRECTED_BY})
    withdraws = fields.UUID(allow_none=True, metadata={"description": (
        "a correction: the earlier tap (same call, same author) this one withdraws; the call's"
        " status and status_times count neither")})
    withdrawn_by = fields.UUID(allow_none=True, metadata={"description": (
        "the tap that withdrew this one, if any (this one stays in the record)")})


class NoteSchema(Schema):
    id = fields.UUID()
    body = fields.String()
    at = fields.AwareDateTime(metadata={"description": "the server-clock time (corrected)"})
    device_time = fields.AwareDateTime(metadata={"description": "the device clock, as recorded"})
    time_source = _time_source()
    time_uncertain = _time_uncertain()
    user_id = fields.Integer(allow_none=True, metadata={"description": "the author"})
    author_name = fields.String(allow_none=True, metadata={"description": "the author's name"})
    corrected_by_id = fields.Integer(allow_none=True, metadata={"description": _CORRECTED_BY})


class CallSchema(Schema):
    id = fields.UUID()
    cad_number = fields.String()
    call_type = fields.String()
    call_type_name = fields.String()
    priority = fields.Integer()
    premise_id = fields.UUID()
    address = fields.String()
    narrative = fields.String()
    received_at = fields.AwareDateTime()
    dispatched_at = fields.AwareDateTime(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    status = fields.Enum(CallStatus, by_value=True)
    status_times = fields.Dict(keys=fields.String(), values=fields.AwareDateTime(), metadata={
        "description": "when each state was first reached: the first trusted time, or an"
                       " uncertain one where no trusted one exists"})
    status_times_uncertain = fields.List(fields.String(), metadata={
        "description": "states whose time in status_times is uncertain"})
    uncertain_times_left_out = fields.Integer(metadata={
        "description": "uncertain status times passed over for a trusted one"})
    disposition = fields.String(allow_none=True)
    transport_destination = fields.String(allow_none=True)
    hazard_count = fields.Integer()
    version = fields.Integer()
    updated_at = fields.AwareDateTime()


class CallDetailSchema(CallSchema):
    premise = fields.Nested(PremiseSchema)
    status_events = fields.List(fields.Nested(StatusEventSchema))
    notes = fields.List(fields.Nested(NoteSchema))


class NewCallSchema(Schema):
    cad_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    call_type = fields.String(required=True, validate=validate.Length(min=2, max=48))
    priority = fields.Integer(load_default=None, allow_none=True, validate=PRIORITY)
    address = fields.String(required=True, validate=validate.Length(min=3, max=200))
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    narrative = fields.String(load_default="", validate=validate.Length(max=10000))
    received_at = fields.AwareDateTime(load_default=None, allow_none=True)
    unit_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class CallPatchSchema(Schema):
    priority = fields.Integer(validate=PRIORITY)
    narrative = fields.String(validate=validate.Length(max=10000))
    unit_id = fields.Integer(allow_none=True, validate=validate.Range(min=1))
    disposition = fields.String(allow_none=True, validate=CLINICAL_TEXT)
    transport_destination = fields.String(allow_none=True, validate=DESTINATION)


class CallQuerySchema(Schema):
    status = fields.Enum(CallStatus, by_value=True)
    unit_id = fields.Integer(validate=validate.Range(min=1, max=2_147_483_647))
