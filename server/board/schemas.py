"""Shapes of the board's answers: units with their call, crew and position; premises."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.fields import Float, Int, Str


class BoardCallSchema(Schema):
    id = fields.UUID()
    cad_number = Str()
    call_type = Str()
    address = Str()
    status = Str()
    since = fields.AwareDateTime(metadata={"description": "when the call took this status"})


class CrewMemberSchema(Schema):
    id = Int()
    name = Str()
    role = Str()


class BoardPositionSchema(Schema):
    lat = Float()
    lon = Float()
    at = fields.AwareDateTime()
    accuracy_m = Float(allow_none=True)


class BoardUnitSchema(Schema):
    unit_id = Int()
    call_sign = Str()
    program = Str()
    status = Str(metadata={"description": "the current call's status, available or off_shift"})
    call = fields.Nested(BoardCallSchema, allow_none=True)
    crew = fields.List(fields.Nested(CrewMemberSchema), metadata={
        "description": "people on a shift of the unit now"})
    position = fields.Nested(BoardPositionSchema, allow_none=True)


class BoardPremiseSchema(Schema):
    id = fields.UUID()
    address = Str()
    lat = Float()
    lon = Float()
    hazards = Int(metadata={"description": "active hazards recorded at the premise"})
