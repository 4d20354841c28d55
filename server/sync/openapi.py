"""The record kinds in the OpenAPI document, generated from their field specs.

For each registered kind: `<Kind>Data`, the data of an op a device may push (its editable
fields with their limits), `<Kind>Record`, every declared field of the record as a pull
carries it (with more fields the server adds), and `<Kind>Operation`, the op envelope with
that kind, its actions and its data. A push's ops are `AnyOperation`, the `oneOf` of them by
`kind` (discriminator); `Operation` is the envelope they share, with the actions some kind
accepts. The field facts (clinical, editable, merge policy) are `x-` extensions on
each property; the document's root `x-record-kinds` lists every kind with its record type,
actions, lifecycle and schemas, which is what the PWA's generated field facts are made from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from apispec import APISpec

from server.sync.schemas import OperationSchema
from sync.fieldspec import data_schema
from sync.registry import RecordKind, Registry

ROOT_EXTENSION = "x-record-kinds"
ENVELOPE = "Operation"
ANY_OPERATION = "AnyOperation"
_REF = "#/components/schemas/"


def schema_prefix(kind: RecordKind) -> str:
    """A kind's name as a schema name: call_status -> CallStatus."""
    return "".join(part.capitalize() for part in kind.name.split("_"))


def _data(kind: RecordKind) -> dict[str, Any]:
    only_update = kind.allowed_actions == frozenset({"update"})
    schema = data_schema(kind.fields, update=only_update)
    what = "the changed fields of an update" if only_update else "the record's fields"
    schema["description"] = f"{kind.name}: {what} (unknown fields are rejected)"
    if not kind.fields:
        schema["additionalProperties"] = True
    return schema


def _record(kind: RecordKind) -> dict[str, Any]:
    schema = data_schema(kind.fields, writable_only=False)
    # A pulled record carries what the server adds (ids, authors, times) besides these.
    schema["additionalProperties"] = True
    schema.pop("required", None)
    schema.pop("minProperties", None)
    schema["description"] = f"{kind.name} as a pull carries it: its declared fields"
    schema["x-record-type"] = kind.kind.value
    if kind.lifecycle is not None:
        schema["x-lifecycle"] = _lifecycle(kind)
    return schema


def _lifecycle(kind: RecordKind) -> dict[str, Any]:
    assert kind.lifecycle is not None
    return {"field": kind.lifecycle.field, "states": list(kind.lifecycle.states)}


def _operation(kind: RecordKind, envelope: Mapping[str, Any]) -> dict[str, Any]:
    prefix = schema_prefix(kind)
    properties = dict(envelope["properties"])
    properties["kind"] = {"type": "string", "enum": [kind.name]}
    properties["action"] = {"type": "string", "enum": sorted(kind.allowed_actions)}
    properties["data"] = {"$ref": f"{_REF}{prefix}Data"}
    required = list(envelope["required"])
    if kind.allowed_actions == frozenset({"update"}):
        # An update names the version it was made from (sync.ops refuses one without).
        base_version = dict(properties["base_version"])
        base_version.pop("nullable", None)
        properties["base_version"] = base_version
        required = sorted({*required, "base_version"})
    return {**envelope, "properties": properties, "required": required,
            "description": f"an operation on a {kind.name} ({kind.kind.value})"}


def _envelope(spec: APISpec) -> dict[str, Any]:
    """The op envelope as marshmallow documents it (OperationSchema), written out: every
    kind's op schema is a copy with its own kind, actions and data."""
    plugin = next(p for p in spec.plugins if hasattr(p, "converter"))
    envelope: dict[str, Any] = plugin.converter.schema2jsonschema(OperationSchema)
    return envelope


def publish_kinds(spec: APISpec, registry: Registry) -> None:
    """Register the kinds' schemas on `spec` and list them at the document's root."""
    envelope = _envelope(spec)
    accepted = {action for name in registry.names()
                for action in registry.get(name).allowed_actions}
    shared = {**envelope, "properties": {**envelope["properties"], "action": {
        **envelope["properties"]["action"], "enum": sorted(accepted)}}}
    spec.components.schema(ENVELOPE, component=shared)
    index: dict[str, Any] = {}
    mapping: dict[str, str] = {}
    for name in registry.names():
        kind = registry.get(name)
        prefix = schema_prefix(kind)
        spec.components.schema(f"{prefix}Record", component=_record(kind))
        entry: dict[str, Any] = {
            "type": kind.kind.value,
            "actions": sorted(kind.allowed_actions),
            "record": {"$ref": f"{_REF}{prefix}Record"},
        }
        if kind.lifecycle is not None:
            entry["lifecycle"] = _lifecycle(kind)
        if kind.allowed_actions:
            spec.components.schema(f"{prefix}Data", component=_data(kind))
            spec.components.schema(f"{prefix}Operation", component=_operation(kind, envelope))
            mapping[name] = f"{_REF}{prefix}Operation"
            entry["data"] = {"$ref": f"{_REF}{prefix}Data"}
        index[name] = entry
    spec.components.schema(ANY_OPERATION, component={
        "description": "one operation, checked by its kind's own schema (`kind` says which)",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "kind", "mapping": mapping},
    })
    spec.options[ROOT_EXTENSION] = index
