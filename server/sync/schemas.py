"""Wire shapes of push, pull, conflicts and rejected operations (see sync/PROTOCOL.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing, validate, validates_schema

from server.fields import AwareDateTime, BigInt, Bool, Dict, Int, Str
from sync.hlc import TEXT_PATTERN as HLC_PATTERN
from sync.ops import (
    ACTIONS,
    MAX_ELAPSED_MS,
    MAX_EPOCH_MS,
    MAX_KIND_LENGTH,
    MAX_PERSON_ID,
    MAX_PUSH_BATCH,
    SUPPORTED,
    Outcome,
)
from sync.push import request_errors

# A pull page: large enough that a fresh tablet needs few round trips, small enough that
# one page stays well under a second and a few MB even on a slow link.
DEFAULT_PULL_LIMIT = 1000
MAX_PULL_LIMIT = 5000


class ClockSchema(Schema):
    """An op's own clock reading (protocol 2, optional): the server time stands in for the
    wall clock, so the fact's time holds whatever the device clock did (PROTOCOL.md, Clocks)."""

    server_time = AwareDateTime(required=True, metadata={
        "description": "the last server time the device learned (a push's or pull's server_time)"})
    device_time = AwareDateTime(required=True, metadata={
        "description": "the device clock when it learned server_time"})
    elapsed_ms = BigInt(required=True, validate=validate.Range(min=0, max=MAX_ELAPSED_MS),
                                metadata={"description": (
                                    "monotonic milliseconds from learning server_time to the"
                                    " capture (performance.now(), time.monotonic())")})


class OperationSchema(Schema):
    """The envelope of one operation as a device sends it (protocol 2). It documents the wire
    for clients: each kind's op schema is this envelope with its own kind, actions and data
    (server.sync.openapi). The push does not load ops through it, so one bad op gets its own
    `rejected` outcome (from `sync.ops.parse_operation` and its record kind) instead of
    failing the push."""

    id = fields.UUID(required=True, metadata={"description": "made on the device (a UUIDv7)"})
    seq = BigInt(required=True, validate=validate.Range(min=1),
                         metadata={"description": "per device 1, 2, 3 ... with no gaps"})
    hlc = Str(required=True, validate=validate.Regexp(HLC_PATTERN),
                        metadata={"description": "<wall ms, 13 digits>-<counter, 4 digits>-<node>"})
    kind = Str(required=True, validate=validate.Length(min=1, max=MAX_KIND_LENGTH),
                         metadata={"description": "the record kind (x-record-kinds lists them)"})
    action = Str(required=True, validate=validate.OneOf(sorted(ACTIONS)),
                           metadata={"description": "what the op does: one its kind accepts"})
    record_id = fields.UUID(required=True, metadata={
        "description": "a new record's id (a UUIDv7), or the call's id for an update"})
    base_version = Int(allow_none=True, validate=validate.Range(min=0), metadata={
        "description": "the version the device last saw (required for an update)"})
    device_time = AwareDateTime(required=True, metadata={
        "description": "the device clock when the operation was made"})
    author_id = Int(allow_none=True, validate=validate.Range(min=1, max=MAX_PERSON_ID),
                               metadata={"description": (
                                   "the person unlocked on the tablet when the operation was made"
                                   " (signed in online on this tablet and on its unit's crew);"
                                   " absent or null: the person whose token pushes it")})
    clock = fields.Nested(ClockSchema, allow_none=True, metadata={"description": (
        "the device's clock reading at capture; absent or null when the app has not reached"
        " the server since it started (the fact's time then comes from device_time and the"
        " push's skew)")})
    data = Dict(required=True, metadata={"description": (
        "the record's fields (an update: the changed ones), by the kind's own schema")})


class OperationV1Schema(Schema):
    """One operation as the previous app version sends it (protocol 1): a protocol-2
    operation with `type` ("<kind>.<action>") in place of `kind` and `action`, and `ts`
    (epoch milliseconds) in place of `device_time`. The server upgrades it to protocol 2
    and checks it as one."""

    id = fields.UUID(required=True, metadata={"description": "made on the device (a UUIDv7)"})
    seq = BigInt(required=True, validate=validate.Range(min=1),
                 metadata={"description": "per device 1, 2, 3 ... with no gaps"})
    hlc = Str(required=True, validate=validate.Regexp(HLC_PATTERN),
              metadata={"description": "<wall ms, 13 digits>-<counter, 4 digits>-<node>"})
    type = Str(required=True, validate=validate.Regexp(r"^[^.]+\.[^.]+$"), metadata={
        "description": "<kind>.<action>, e.g. call_status.create or call.update"})
    ts = BigInt(required=True, validate=validate.Range(min=0, max=MAX_EPOCH_MS), metadata={
        "description": "the device clock when the operation was made, in epoch milliseconds"})
    record_id = fields.UUID(required=True, metadata={
        "description": "a new record's id (a UUIDv7), or the call's id for an update"})
    base_version = Int(allow_none=True, validate=validate.Range(min=0), metadata={
        "description": "the version the device last saw (required for an update)"})
    author_id = Int(allow_none=True, validate=validate.Range(min=1, max=MAX_PERSON_ID),
                    metadata={"description": "as in protocol 2 (absent in the previous app)"})
    clock = fields.Nested(ClockSchema, allow_none=True,
                          metadata={"description": "as in protocol 2 (absent in the previous app)"})
    data = Dict(required=True, metadata={"description": "as in protocol 2, by kind"})


class _EngineDecides(fields.Field[Any]):
    """A push envelope field documented by its marshmallow type and validators but passed on
    as sent: its rule is the engine's (`sync.push.request_errors`), which PushSchema asks
    for every field at once. Absent and null are still this schema's answers."""

    def deserialize(self, value: Any, attr: str | None = None,
                    data: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        if value is missing or value is None:
            return super().deserialize(value, attr, data, **kwargs)
        return value


class ProtocolVersion(_EngineDecides, Int):
    """`protocol_version`, documented as an integer of SUPPORTED."""


class OpList(_EngineDecides, fields.List[Any]):
    """The push's ops, documented as `AnyOperation` items (one schema per kind, published from
    the registry by server.sync.openapi) and at most MAX_PUSH_BATCH of them."""


# Where each protocol's op shape is documented (`document` puts them in the push's ops).
OPERATION_REFS = [{"$ref": "#/components/schemas/AnyOperation"},
                  {"$ref": "#/components/schemas/OperationV1"}]


class PushSchema(Schema):
    """The push body: `device_time` is read here (into a datetime); `protocol_version` and
    `ops` are the engine's to judge (`sync.push.request_errors`), asked here so one answer
    names every bad field."""

    protocol_version = ProtocolVersion(required=True, validate=validate.OneOf(sorted(SUPPORTED)),
                           metadata={"description": (
                               "2 (ops are AnyOperation), or 1 for the previous app version (ops"
                               " are OperationV1); an integer, not a string")})
    device_time = AwareDateTime(required=True,
                                       metadata={"description": "the device clock when sending"})
    # Documented by `document` (the items are Operation's kinds and OperationV1), so no
    # schema is nested here: each protocol-2 kind's op schema is published from the registry.
    ops = OpList(Dict(), required=True, validate=validate.Length(max=MAX_PUSH_BATCH),
                 metadata={"description": (
                     "operations in seq order: AnyOperation for protocol 2 (one schema per"
                     " kind), OperationV1 for protocol 1. Anything but a list of at most 500"
                     " objects refuses the whole push (422); an object that is not a valid op"
                     " gets its own `rejected` result (see PROTOCOL.md)")})

    @validates_schema(skip_on_field_errors=False)
    def _envelope(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors = request_errors(data)
        if errors:
            raise ValidationError(dict(errors))


class OpResultSchema(Schema):
    id = Str(allow_none=True)
    seq = BigInt(allow_none=True)
    outcome = Str(validate=validate.OneOf([o.value for o in Outcome]))
    record_id = Str(allow_none=True)
    version = Int(allow_none=True)
    errors = Dict()
    conflict_ids = fields.List(Str())
    replayed = Bool(metadata={"description": (
        "true: the server already had this op; the rest is its first result, nothing changed")})
    message = Str()
    record = Dict(allow_none=True)


class PushResponseSchema(Schema):
    results = fields.List(fields.Nested(OpResultSchema))
    last_seq = BigInt()
    server_time = AwareDateTime()
    skew_ms = BigInt()
    hlc = Str(validate=validate.Regexp(HLC_PATTERN), metadata={"description": (
        "the server's HLC: merge it into the device's clock (recv)")})


class PullQuerySchema(Schema):
    cursor = Str(validate=validate.Length(min=1, max=1024), metadata={"description": (
        "the last page's cursor, as it came; one the server cannot read answers 410 resync")})
    limit = Int(strict=False, load_default=DEFAULT_PULL_LIMIT,
                           validate=validate.Range(min=1, max=MAX_PULL_LIMIT))


class ChangeSchema(Schema):
    kind = Str()
    id = Str()
    op = Str(validate=validate.OneOf(["put", "delete", "remove"]), metadata={"description": (
        "put: the record's current state; delete: a tombstone; remove: it left this"
        " device's scope")})
    version = Int(allow_none=True)
    data = Dict(allow_none=True)


class PullResponseSchema(Schema):
    changes = fields.List(fields.Nested(ChangeSchema))
    cursor = Str()
    has_more = Bool()
    total = Int(metadata={"description": (
        "on every page: the changes still to come, this page's included (for progress)")})
    server_time = AwareDateTime()
    hlc = Str(validate=validate.Regexp(HLC_PATTERN), metadata={"description": (
        "the server's HLC: merge it into the device's clock (recv)")})


# The longest value a conflict may be settled with: the longest text a synced field holds (a
# note, 10,000 characters); each field's own limit is checked when the conflict is resolved.
MAX_EDITABLE_TEXT = 10_000

_SERVER_SIDE = "null for a responder when resolvable_by is supervisor (not theirs to read)"


class ConflictSchema(Schema):
    id = Str()
    record_kind = Str()
    record_id = Str()
    field = Str()
    reason = Str(validate=validate.OneOf(["both_changed", "edit_delete", "out_of_scope"]))
    device_value = fields.Raw(allow_none=True)
    server_value = fields.Raw(allow_none=True, metadata={"description": _SERVER_SIDE})
    server_changed_by = Str(allow_none=True, metadata={"description": _SERVER_SIDE})
    server_changed_at = AwareDateTime(allow_none=True,
                                             metadata={"description": _SERVER_SIDE})
    opened_at = AwareDateTime()
    resolved_at = AwareDateTime(allow_none=True)
    resolution = Str(allow_none=True)
    resolvable_by = Str(validate=validate.OneOf(["responder", "supervisor"]), metadata={
        "description": (
        "responder: the person whose edit clashed settles it (or a supervisor); supervisor:"
        " only a supervisor (the call was cancelled or moved to another unit), a"
        " responder's resolve is refused with 403")})
    user_id = Int(allow_none=True)


class ConflictQuerySchema(Schema):
    include_resolved = Bool(strict=False, load_default=False)


class ResolveSchema(Schema):
    choice = Str(required=True, validate=validate.OneOf(["server", "device", "value"]))
    value = Str(load_default=None, allow_none=True, validate=validate.Length(max=MAX_EDITABLE_TEXT))


class RejectedOpSchema(Schema):
    id = Int()
    op_id = fields.UUID()
    device_id = fields.UUID()
    user_id = Int(allow_none=True)
    protocol_version = Int()
    op = Dict(allow_none=True, metadata={
        "description": "the operation as the device sent it; null when redacted"})
    redacted = Bool(metadata={
        "description": "true: the reader is not a clinical reader, so op (clinical content)"
                       " is left out"})
    errors = Dict()
    message = Str()
    status = Str()
    at = AwareDateTime()
    resolved_by_id = Int(allow_none=True, metadata={
        "description": "the supervisor who re-applied it (with corrected data)"})


class RejectedQuerySchema(Schema):
    status = Str(load_default="open", validate=validate.OneOf(["open", "reapplied"]))


class ReapplySchema(Schema):
    data = Dict(required=True, metadata={"description": "corrected fields of the op's data"})


class ReapplyResultSchema(Schema):
    rejected = fields.Nested(RejectedOpSchema)
    result = fields.Nested(OpResultSchema)


def document(api: Any) -> None:
    """Teach the API's document what marshmallow cannot say (call before the blueprints are
    registered): the push's ops are AnyOperation (one schema per kind, published from the
    registry by server.sync.openapi) or OperationV1 (`OPERATION_REFS`, the latter registered
    here since no field nests it)."""
    api.spec.components.schema("OperationV1", schema=OperationV1Schema)
    api.ma_plugin.converter.add_attribute_function(_op_list_items)


def _op_list_items(_converter: Any, field: Any, ret: dict[str, Any], **_kwargs: Any
                   ) -> dict[str, Any]:
    return {"items": {"oneOf": OPERATION_REFS}} if isinstance(field, OpList) else {}
