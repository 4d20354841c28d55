"""Shapes of backup requests, their answers and closes, and check-ins."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.backups.models import MAX_NOTE_LENGTH, MAX_REASON_LENGTH, Urgency
from server.fields import AwareDateTime, Float, Int, Str

LIST_STATES = ("open", "closed", "all")


class PositionInSchema(Schema):
    lat = Float(required=True, validate=validate.Range(-90, 90))
    lon = Float(required=True, validate=validate.Range(-180, 180))
    # No fix is worse than the width of the city; beyond this the number means nothing.
    accuracy_m = Float(load_default=None, allow_none=True, validate=validate.Range(0, 100_000))
    recorded_at = AwareDateTime(required=True)


class BackupCreateSchema(Schema):
    id = fields.UUID(required=True, metadata={"description": "made on the tablet; the "
                                              "idempotency key of a retry or double press"})
    call_id = fields.UUID(load_default=None, allow_none=True)
    urgency = Str(required=True, validate=validate.OneOf([u.value for u in Urgency]))
    position = fields.Nested(PositionInSchema, load_default=None, allow_none=True)
    device_time = AwareDateTime(required=True)
    note = Str(load_default=None, allow_none=True, validate=validate.Length(max=MAX_NOTE_LENGTH))
    pressed_by = Int(load_default=None, allow_none=True, strict=True,
                     validate=validate.Range(min=1), metadata={
                         "description": "the user id of the person signed in when it was pressed: "
                                        "a request a shared tablet queued offline is sent by "
                                        "whoever is signed in next. Credited to them when they "
                                        "are enrolled on this tablet and on the unit's crew; "
                                        "else to the sender, with the id named in its log"})


class BackupListQuerySchema(Schema):
    state = Str(load_default="open", validate=validate.OneOf(LIST_STATES))


class ReasonSchema(Schema):
    reason = Str(required=True, validate=validate.Length(min=1, max=MAX_REASON_LENGTH))


class PersonSchema(Schema):
    id = Int()
    name = Str()


class PositionSchema(Schema):
    lat = Float()
    lon = Float()
    accuracy_m = Float(allow_none=True)
    recorded_at = Str()
    source = Str()


class BackupRequestSchema(Schema):
    id = Str()
    call_id = Str(allow_none=True)
    cad_number = Str(allow_none=True)
    address = Str(allow_none=True)
    unit_id = Int()
    call_sign = Str()
    requested_by = fields.Nested(PersonSchema, allow_none=True)
    urgency = Str()
    origin = Str()
    position = fields.Nested(PositionSchema, allow_none=True)
    note = Str(allow_none=True)
    state = Str()
    tier = Int()
    tier_name = Str()
    next_escalation_at = Str(allow_none=True)
    broadcast_at = Str(allow_none=True)
    delivered_to = Int()
    acknowledged_by = fields.Nested(PersonSchema, allow_none=True)
    acknowledged_at = Str(allow_none=True)
    closed_by = fields.Nested(PersonSchema, allow_none=True)
    closed_at = Str(allow_none=True)
    close_reason = Str(allow_none=True)
    requested_at = Str()
    received_at = Str()


class BackupListSchema(Schema):
    items = fields.List(fields.Nested(BackupRequestSchema))
    total = Int()


class BackupEventSchema(Schema):
    at = fields.AwareDateTime()
    type = Str()
    tier = Int()
    actor = fields.Nested(PersonSchema, allow_none=True)
    detail = fields.Dict()


class BackupDetailSchema(BackupRequestSchema):
    events = fields.List(fields.Nested(BackupEventSchema))


class CheckinCreateSchema(Schema):
    id = fields.UUID(required=True)
    call_id = fields.UUID(required=True)
    device_time = AwareDateTime(required=True)
    answered_by = Int(load_default=None, allow_none=True, strict=True,
                      validate=validate.Range(min=1), metadata={
                          "description": "the user id of the person who tapped, as pressed_by "
                                         "of a backup request"})


class CheckinSchema(Schema):
    id = fields.UUID()
    call_id = fields.UUID()
    unit_id = Int()
    device_time = fields.AwareDateTime()
    received_at = fields.AwareDateTime()


class OverdueSchema(Schema):
    call_id = fields.UUID()
    cad_number = Str()
    address = Str()
    unit_id = Int()
    call_sign = Str()
    on_scene_since = fields.AwareDateTime()
    last_check_in_at = fields.AwareDateTime(allow_none=True)
    due_at = fields.AwareDateTime()
    prompted_at = fields.AwareDateTime(allow_none=True)
    backup_id = fields.UUID(allow_none=True)


class OverdueListSchema(Schema):
    items = fields.List(fields.Nested(OverdueSchema))
