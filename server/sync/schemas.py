"""Wire shapes of push, pull, conflicts and rejected operations (see sync/PROTOCOL.md)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from sync.ops import MAX_PUSH_BATCH

# A pull page: large enough that a fresh tablet needs few round trips, small enough that
# one page stays well under a second and a few MB even on a slow link.
DEFAULT_PULL_LIMIT = 1000
MAX_PULL_LIMIT = 5000


class OpList(fields.List[Any]):
    """The push's ops: a list of objects, passed on as they are (each op's envelope and data
    are checked by `sync.ops.parse_operation` and the record kind, per op). Checking the
    common case takes one pass; anything else gets marshmallow's own per-item errors."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if type(value) is list and all(type(item) is dict for item in value):
            return value
        return super()._deserialize(value, attr, data, **kwargs)


class PushSchema(Schema):
    protocol_version = fields.Integer(required=True, metadata={"description": "2, or 1 (previous)"})
    device_time = fields.AwareDateTime(required=True,
                                       metadata={"description": "the device clock when sending"})
    ops = OpList(fields.Dict(), required=True, validate=validate.Length(max=MAX_PUSH_BATCH),
                      metadata={"description": "operations in seq order; see PROTOCOL.md"})


class OpResultSchema(Schema):
    id = fields.String(allow_none=True)
    seq = fields.Integer(allow_none=True)
    outcome = fields.String(metadata={"description": "applied | merged | conflict | rejected | deferred"})
    record_id = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    errors = fields.Dict()
    conflict_ids = fields.List(fields.String())
    replayed = fields.Boolean()
    message = fields.String()
    record = fields.Dict(allow_none=True)


class PushResponseSchema(Schema):
    results = fields.List(fields.Nested(OpResultSchema))
    last_seq = fields.Integer()
    server_time = fields.AwareDateTime()
    skew_ms = fields.Integer()


class PullQuerySchema(Schema):
    cursor = fields.String(validate=validate.Length(min=1, max=1024))
    limit = fields.Integer(load_default=DEFAULT_PULL_LIMIT,
                           validate=validate.Range(min=1, max=MAX_PULL_LIMIT))


class ChangeSchema(Schema):
    kind = fields.String()
    id = fields.String()
    op = fields.String(metadata={"description": "put | delete | remove"})
    version = fields.Integer(allow_none=True)
    data = fields.Dict(allow_none=True)


class PullResponseSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema))
    cursor = fields.String()
    has_more = fields.Boolean()
    total = fields.Integer()
    server_time = fields.AwareDateTime()


class ConflictSchema(Schema):
    id = fields.String()
    record_kind = fields.String()
    record_id = fields.String()
    field = fields.String()
    reason = fields.String(metadata={"description": "both_changed | edit_delete | out_of_scope"})
    device_value = fields.Raw(allow_none=True)
    server_value = fields.Raw(allow_none=True)
    server_changed_by = fields.String(allow_none=True)
    server_changed_at = fields.AwareDateTime(allow_none=True)
    opened_at = fields.AwareDateTime()
    resolved_at = fields.AwareDateTime(allow_none=True)
    resolution = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)


class ConflictQuerySchema(Schema):
    include_resolved = fields.Boolean(load_default=False)


class ResolveSchema(Schema):
    choice = fields.String(required=True, validate=validate.OneOf(["server", "device", "value"]))
    value = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class RejectedOpSchema(Schema):
    id = fields.Integer()
    op_id = fields.UUID()
    device_id = fields.UUID()
    user_id = fields.Integer(allow_none=True)
    protocol_version = fields.Integer()
    op = fields.Dict()
    errors = fields.Dict()
    message = fields.String()
    status = fields.String()
    at = fields.AwareDateTime()


class RejectedQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "reapplied"]))


class ReapplySchema(Schema):
    data = fields.Dict(required=True, metadata={"description": "corrected fields of the op's data"})


class ReapplyResultSchema(Schema):
    rejected = fields.Nested(RejectedOpSchema)
    result = fields.Nested(OpResultSchema)
