"""Field facts of a record kind, declared once: type, limits, clinical, editable, merge policy.

A kind lists its fields as FieldSpecs (and its Lifecycle where it has one); its data
validator, the JSON Schema the API publishes for it and the PWA's generated copies all come
from these declarations. Pure: no Flask, no database.
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sync.merge import Policy
from sync.ops import Errors

UNKNOWN_FIELD = "unknown field"
EMPTY_UPDATE = "an update must change at least one field"
# Where the "change at least one field" message goes: the data as a whole.
WHOLE_DATA = "data"


class FieldType(enum.StrEnum):
    TEXT = "text"
    UUID = "uuid"
    NUMBER = "number"  # a finite JSON number (an int or a float, never a bool)
    INTEGER = "integer"
    ENUM = "enum"  # one of `choices`
    LIST = "list"  # entries merged by the field's policy (a call's notes); never pushed


@dataclass(frozen=True)
class FieldSpec:
    """One field of a kind's data. `editable`: a device sets it in an op (a fact's fields when
    it is created, a document's in an update); the rest are the server's. `required`: present
    when the record is created. `policy`: how a change made on both sides merges (documents;
    None: the default three-way merge). `message`: the error for a bad value, when the one
    worked out from the rules would not say what the field is."""

    name: str
    type: FieldType
    required: bool = False
    nullable: bool = False
    max_length: int | None = None
    # Text: False means it must hold a character other than white space.
    blank: bool = True
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    clinical: bool = False
    editable: bool = False
    policy: Policy | None = None
    message: str | None = None
    description: str = ""

    @property
    def error(self) -> str:
        """What a bad value is told."""
        if self.message is not None:
            return self.message
        rule = _rule(self)
        return f"must be null or {rule}" if self.nullable else f"must be {rule}"

    @property
    def policy_name(self) -> str | None:
        return None if self.policy is None else str(getattr(self.policy, "__name__", self.policy))

    def accepts(self, value: object) -> bool:
        if value is None:
            return self.nullable
        return _CHECKS[self.type](self, value)

    def json_schema(self) -> dict[str, Any]:
        """The field as JSON Schema (OpenAPI 3.0), its facts as `x-` extensions."""
        schema: dict[str, Any] = dict(_JSON_TYPES[self.type])
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if not self.blank:
            schema["minLength"] = 1
            schema["pattern"] = r"\S"
        if self.minimum is not None and math.isfinite(self.minimum):
            schema["minimum"] = self.minimum
        if self.maximum is not None and math.isfinite(self.maximum):
            schema["maximum"] = self.maximum
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.nullable:
            schema["nullable"] = True
        if self.description:
            schema["description"] = self.description
        schema["x-clinical"] = self.clinical
        schema["x-editable"] = self.editable
        if self.policy_name is not None:
            schema["x-merge"] = self.policy_name
        return schema


@dataclass(frozen=True)
class Lifecycle:
    """The ordered states of one field (earliest first): a later state never gives way."""

    field: str
    states: tuple[str, ...]

    def rank(self, state: str) -> int:
        return self.states.index(state)


def _number(value: object) -> bool:
    # Exact types: JSON numbers arrive as int or float, and a bool is not a number here.
    return (type(value) is float or type(value) is int) and math.isfinite(value)


def _in_range(spec: FieldSpec, value: float) -> bool:
    low = -math.inf if spec.minimum is None else spec.minimum
    high = math.inf if spec.maximum is None else spec.maximum
    return low <= value <= high


def _check_text(spec: FieldSpec, value: object) -> bool:
    if not isinstance(value, str):
        return False
    if spec.max_length is not None and len(value) > spec.max_length:
        return False
    return spec.blank or bool(value.strip())


def _check_uuid(spec: FieldSpec, value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _check_number(spec: FieldSpec, value: object) -> bool:
    return _number(value) and _in_range(spec, value)  # type: ignore[arg-type]


def _check_integer(spec: FieldSpec, value: object) -> bool:
    return type(value) is int and _in_range(spec, value)


def _check_enum(spec: FieldSpec, value: object) -> bool:
    return isinstance(value, str) and value in spec.choices


def _check_list(spec: FieldSpec, value: object) -> bool:
    return type(value) is list


_CHECKS = {
    FieldType.TEXT: _check_text,
    FieldType.UUID: _check_uuid,
    FieldType.NUMBER: _check_number,
    FieldType.INTEGER: _check_integer,
    FieldType.ENUM: _check_enum,
    FieldType.LIST: _check_list,
}

_JSON_TYPES: Mapping[FieldType, Mapping[str, Any]] = {
    FieldType.TEXT: {"type": "string"},
    FieldType.UUID: {"type": "string", "format": "uuid"},
    FieldType.NUMBER: {"type": "number"},
    FieldType.INTEGER: {"type": "integer"},
    FieldType.ENUM: {"type": "string"},
    FieldType.LIST: {"type": "array", "items": {"type": "object"}},
}


def _bound(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def _rule(spec: FieldSpec) -> str:
    """The rule a value breaks, in words ("text of at most 200 characters")."""
    if spec.type is FieldType.TEXT:
        if spec.max_length is None:
            return "text" if spec.blank else "text that is not blank"
        if not spec.blank:
            return f"text of 1..{spec.max_length} characters"
        return f"text of at most {spec.max_length} characters"
    if spec.type is FieldType.ENUM:
        return f"one of {', '.join(spec.choices)}"
    if spec.type is FieldType.UUID:
        return "a UUID string"
    if spec.type is FieldType.LIST:
        return "a list"
    noun = "a number" if spec.type is FieldType.NUMBER else "an integer"
    low, high = spec.minimum, spec.maximum
    high_bounded = high is not None and math.isfinite(high)
    if low is not None and high_bounded:
        return f"{noun} from {_bound(low)} to {_bound(high)}"  # type: ignore[arg-type]
    if low == 0:
        return f"a non-negative {noun.split()[-1]}"
    if low is not None:
        return f"{noun} of at least {_bound(low)}"
    if high_bounded:
        return f"{noun} of at most {_bound(high)}"  # type: ignore[arg-type]
    return noun


def check_data(fields: Sequence[FieldSpec], data: Mapping[str, Any], *, update: bool) -> Errors:
    """Everything wrong with an op's data by its kind's fields: unknown fields first (a device
    sets only editable ones), then each field in declared order. A created record needs its
    required fields; an update changes at least one field and needs none."""
    errors: Errors = {}
    if not fields:
        return errors  # a kind that declares no fields checks its data itself
    writable = {spec.name for spec in fields if spec.editable}
    if not data.keys() <= writable:
        for name in sorted(set(data) - writable):
            errors[name] = [UNKNOWN_FIELD]
    if update and not data:
        errors[WHOLE_DATA] = [EMPTY_UPDATE]
    for spec in fields:
        if not spec.editable:
            continue
        if spec.name in data:
            if not spec.accepts(data[spec.name]):
                errors[spec.name] = [spec.error]
        elif spec.required and not update:
            errors[spec.name] = [spec.error]
    return errors


def data_schema(fields: Sequence[FieldSpec], *, update: bool = False,
                writable_only: bool = True) -> dict[str, Any]:
    """The JSON Schema of an op's data (`writable_only`) or of a whole record, by its fields."""
    shown = [spec for spec in fields if spec.editable or not writable_only]
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {spec.name: spec.json_schema() for spec in shown},
    }
    if fields:
        schema["additionalProperties"] = False
    required = [spec.name for spec in shown if spec.required and not update]
    if required:
        schema["required"] = required
    if update and shown:
        schema["minProperties"] = 1
    return schema
