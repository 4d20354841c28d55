"""Shapes of units and their current crew."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.fields import Bool, Int, Str
from server.units.models import Program


class UnitSchema(Schema):
    id = Int()
    call_sign = Str()
    program = fields.Enum(Program, by_value=True)
    active = Bool()
    on_shift = Bool()
    crew = fields.List(Int(), metadata={"description": "user ids on shift now"})

