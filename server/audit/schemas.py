"""Shapes for reading the audit trail."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    device_id = fields.UUID(allow_none=True)
    entity = fields.String()
    entity_id = fields.String()
    action = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    redacted = fields.Boolean(metadata={
        "description": "true: before and after (clinical content) are left out for this reader"})


class AuditQuerySchema(Schema):
    entity = fields.String(validate=validate.Length(max=40))
    entity_id = fields.String(validate=validate.Length(max=64))
