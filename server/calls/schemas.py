"""Shapes of call types, eligibility, premises and calls on the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.calls.kinds import CALL
from server.calls.models import CallStatus
from server.fields import AwareDateTime, Bool, Dict, Float, Int, Str
from server.units.models import Program
from sync.clock_skew import TimeSource

PRIORITY = validate.Range(min=1, max=4)
# The call kind's limits on the fields a device edits too (server.calls.kinds).
CLINICAL_TEXT = validate.Length(max=CALL.field_specs["disposition"].max_length)
DISPOSITION_CODE = validate.Length(max=CALL.field_specs["disposition_code"].max_length)
DESTINATION = validate.Length(max=CALL.field_specs["transport_destination"].max_length)
NARRATIVE = validate.Length(max=CALL.field_specs["narrative"].max_length)


class EligibilitySchema(Schema):
    program = fields.Enum(Program, by_value=True, required=True)
    rank = Int(load_default=1, validate=validate.Range(min=1, max=9))


class CallTypeSchema(Schema):
    id = Int(dump_only=True)
    code = Str(required=True, validate=validate.Regexp(r"^[a-z0-9_]{2,48}$"))
    name = Str(required=True, validate=validate.Length(min=1, max=120))
    weapon_involved = Bool(load_default=False)
    default_priority = Int(load_default=3, validate=PRIORITY)
    eligibility = fields.List(fields.Nested(EligibilitySchema), load_default=list)


class CallTypePatchSchema(Schema):
    name = Str(validate=validate.Length(min=1, max=120))
    weapon_involved = Bool()
    default_priority = Int(validate=PRIORITY)
    eligibility = fields.List(fields.Nested(EligibilitySchema))


class HazardSchema(Schema):
    kind = Str()
    description = Str()
    expires_at = AwareDateTime(allow_none=True, metadata={"description": "null: until removed"})


class PremiseHistorySchema(Schema):
    call_id = fields.UUID()
    cad_number = Str()
    call_type = Str()
    call_type_name = Str()
    received_at = AwareDateTime()
    status = Str()
    disposition = Str(allow_none=True)
    address = Str(metadata={"description": "a nearby premise's call only: its address"})
    distance_m = Int(metadata={"description": "a nearby premise's call only: metres away"})


class PremiseSummarySchema(Schema):
    days = Int(metadata={"description": "The window counted, in days before now"})
    calls = Int(metadata={"description": "Calls at this premise in the window"})
    weapon_calls = Int(metadata={"description": "Of those, calls of a weapon call type"})


class PremiseSchema(Schema):
    id = fields.UUID()
    address = Str()
    lat = Float(allow_none=True)
    lon = Float(allow_none=True)
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
    return Bool(metadata={"description": (
        "`at` was clamped (after the server received it, or before the call came in) or the"
        " device's clocks disagreed: device_time keeps what the device recorded")})


class StatusEventSchema(Schema):
    id = fields.UUID()
    status = Str()
    at = AwareDateTime(metadata={"description": "the server-clock time (corrected)"})
    device_time = AwareDateTime(metadata={"description": "the device clock, as recorded"})
    time_source = _time_source()
    time_uncertain = _time_uncertain()
    user_id = Int(allow_none=True, metadata={"description": "the author"})
    author_name = Str(allow_none=True, metadata={"description": "the author's name"})
    corrected_by_id = Int(allow_none=True, metadata={"description": _CORRECTED_BY})
    withdraws = fields.UUID(allow_none=True, metadata={"description": (
        "a correction: the earlier tap (same call, same author) this one withdraws; the call's"
        " status and status_times count neither")})
    withdrawn_by = fields.UUID(allow_none=True, metadata={"description": (
        "the tap that withdrew this one, if any (this one stays in the record)")})


class NoteSchema(Schema):
    id = fields.UUID()
    body = Str()
    at = AwareDateTime(metadata={"description": "the server-clock time (corrected)"})
    device_time = AwareDateTime(metadata={"description": "the device clock, as recorded"})
    time_source = _time_source()
    time_uncertain = _time_uncertain()
    user_id = Int(allow_none=True, metadata={"description": "the author"})
    author_name = Str(allow_none=True, metadata={"description": "the author's name"})
    corrected_by_id = Int(allow_none=True, metadata={"description": _CORRECTED_BY})


class CallSchema(Schema):
    id = fields.UUID()
    cad_number = Str()
    call_type = Str()
    call_type_name = Str()
    priority = Int()
    premise_id = fields.UUID()
    address = Str()
    narrative = Str()
    received_at = AwareDateTime()
    dispatched_at = AwareDateTime(allow_none=True)
    unit_id = Int(allow_none=True)
    status = fields.Enum(CallStatus, by_value=True)
    status_times = Dict(keys=Str(), values=AwareDateTime(), metadata={
        "description": "when each state was first reached: the first trusted time, or an"
                       " uncertain one where no trusted one exists"})
    status_times_uncertain = fields.List(Str(), metadata={
        "description": "states whose time in status_times is uncertain"})
    uncertain_times_left_out = Int(metadata={
        "description": "uncertain status times passed over for a trusted one"})
    disposition = Str(allow_none=True)
    disposition_code = Str(allow_none=True, metadata={
        "description": "the disposition list's code (GET /dispositions)"})
    transport_destination = Str(allow_none=True)
    hazard_count = Int()
    version = Int()
    updated_at = AwareDateTime()
    weapon = Bool(metadata={"description": "the CAD flagged a weapon"})
    violence = Bool(metadata={"description": "the CAD flagged violence"})
    cad_updated_at = AwareDateTime(allow_none=True, metadata={
        "description": "when the CAD last changed the call (the crew is shown the update)"})


class CallDetailSchema(CallSchema):
    premise = fields.Nested(PremiseSchema)
    status_events = fields.List(fields.Nested(StatusEventSchema))
    notes = fields.List(fields.Nested(NoteSchema))


class NewCallSchema(Schema):
    cad_number = Str(required=True, validate=validate.Length(min=1, max=32))
    call_type = Str(required=True, validate=validate.Length(min=2, max=48))
    priority = Int(load_default=None, allow_none=True, validate=PRIORITY)
    address = Str(required=True, validate=validate.Length(min=3, max=200))
    lat = Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = Float(required=True, validate=validate.Range(min=-180, max=180))
    narrative = Str(load_default="", validate=NARRATIVE)
    received_at = AwareDateTime(load_default=None, allow_none=True)
    unit_id = Int(load_default=None, allow_none=True, validate=validate.Range(min=1))


class CallPatchSchema(Schema):
    priority = Int(validate=PRIORITY)
    narrative = Str(validate=NARRATIVE)
    unit_id = Int(allow_none=True, validate=validate.Range(min=1))
    disposition = Str(allow_none=True, validate=CLINICAL_TEXT)
    disposition_code = Str(allow_none=True, validate=DISPOSITION_CODE)
    transport_destination = Str(allow_none=True, validate=DESTINATION)


class CallQuerySchema(Schema):
    status = fields.Enum(CallStatus, by_value=True)
    unit_id = Int(strict=False, validate=validate.Range(min=1))
