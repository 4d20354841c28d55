"""The gateway's receipt."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

# The gateway's own words on a failure ("number unreachable", "voicemail"): a line.
DETAIL_LENGTH = 300


class GatewayReceiptSchema(Schema):
    delivery_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["delivered", "failed"]))
    detail = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=DETAIL_LENGTH))


class GatewayReceiptAnswerSchema(Schema):
    delivery_id = fields.UUID(required=True)
    status = fields.String(required=True)
