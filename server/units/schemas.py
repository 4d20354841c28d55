"""Shapes of units and their current crew."""

from __future__ import annotations

from marshmallow import Schema, fields

from server.units.models import Program


class UnitSchema(Schema):
    id = fields.Integer()
    call_sign = fields.String()
    program = fields.Enum(Program, by_value=True)
    active = fields.Boolean()
    on_shift = fields.Boolean()
    crew = fields.List(fields.Integer(), metadata={"description": "user ids on shift now"})
