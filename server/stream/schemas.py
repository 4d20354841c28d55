"""Shapes of the live stream's query and of stream receipts."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

# A stream event id: PostgreSQL's bigint sequence.
MAX_EVENT_ID = 2**63 - 1
# Receipts per request: a tablet back online acknowledges what it showed in a few posts.
MAX_RECEIPTS = 100


class StreamQuerySchema(Schema):
    last_event_id = fields.Integer(strict=False, validate=validate.Range(0, MAX_EVENT_ID),
                                   metadata={"description": "Resume after this event id (the "
                                             "Last-Event-ID header wins when both are sent)."})


class ReceiptsSchema(Schema):
    event_ids = fields.List(fields.Integer(strict=True, validate=validate.Range(1, MAX_EVENT_ID)),
                            required=True, validate=validate.Length(1, MAX_RECEIPTS))


class ReceiptsAnswerSchema(Schema):
    recorded = fields.Integer(required=True, metadata={
        "description": "Events on record as delivered to the caller on this device."})
