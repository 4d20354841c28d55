"""Shapes for reading the audit trail."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.fields import AwareDateTime, Bool, Dict, Int, Str


class AuditEntrySchema(Schema):
    id = Int()
    at = AwareDateTime()
    actor_id = Int(allow_none=True)
    device_id = fields.UUID(allow_none=True)
    entity = Str()
    entity_id = Str()
    action = Str()
    before = Dict(allow_none=True)
    after = Dict(allow_none=True)
    redacted = Bool(metadata={
        "description": "true: before and after (clinical content) are left out for this reader"})


class AuditQuerySchema(Schema):
    entity = Str(validate=validate.Length(max=40))
    entity_id = Str(validate=validate.Length(max=64))
