"""The registry of record kinds: what each synced model is and how its fields merge.

A feature plugs into sync by registering a RecordKind (a fact, a document or
derived state, its fields as FieldSpecs, which give its data validator and the merge
policy of each field, its lifecycle where it has one, and an optional check of rules
across fields). The engine looks kinds up here and never names one itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sync.fieldspec import FieldSpec, Lifecycle, check_data
from sync.merge import Policy
from sync.ops import Errors, Operation


class RecordType(enum.StrEnum):
    FACT = "fact"  # append-only, created once on a device, inserted exactly once
    DOCUMENT = "document"  # mutable, merged field by field from the version the device saw
    DERIVED = "derived"  # computed on the server from facts, never pushed as a value


DataValidator = Callable[[Mapping[str, Any]], Errors]


def _no_errors(data: Mapping[str, Any]) -> Errors:
    return {}


# What a device may do to each type of record.
ACTIONS_BY_TYPE: Mapping[RecordType, frozenset[str]] = {
    RecordType.FACT: frozenset({"create"}),
    RecordType.DOCUMENT: frozenset({"create", "update", "delete"}),
    RecordType.DERIVED: frozenset(),
}


@dataclass(frozen=True)
class RecordKind:
    name: str
    kind: RecordType
    fields: tuple[FieldSpec, ...] = ()
    # Rules across fields, checked after each field's own (which come from `fields`).
    validate_data: DataValidator = _no_errors
    # None: every action the record type allows; a document may allow only "update".
    actions: frozenset[str] | None = None
    lifecycle: Lifecycle | None = None

    def __post_init__(self) -> None:
        names = [spec.name for spec in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"record kind {self.name!r} declares a field twice")
        if self.lifecycle is not None and self.lifecycle.field not in names:
            raise ValueError(f"record kind {self.name!r}: lifecycle of an undeclared field")

    @cached_property
    def policies(self) -> Mapping[str, Policy]:
        """Each field's merge policy where it declares one (the rest merge three-way)."""
        return {spec.name: spec.policy for spec in self.fields if spec.policy is not None}

    @cached_property
    def field_specs(self) -> Mapping[str, FieldSpec]:
        return {spec.name: spec for spec in self.fields}

    @cached_property
    def clinical(self) -> tuple[str, ...]:
        """Fields holding clinical content (audited, read by clinical readers only)."""
        return tuple(spec.name for spec in self.fields if spec.clinical)

    @cached_property
    def editable(self) -> tuple[str, ...]:
        """Fields a device sets in an op's data."""
        return tuple(spec.name for spec in self.fields if spec.editable)

    def check_data(self, data: Mapping[str, Any], action: str) -> Errors:
        """Everything wrong with an op's data: each field by its spec, then the rules across
        fields (those only once every field is right)."""
        errors = check_data(self.fields, data, update=action == "update")
        return errors or self.validate_data(data)

    @cached_property
    def allowed_actions(self) -> frozenset[str]:
        """What a device may do to this kind (asked for every pushed op: worked out once)."""
        allowed = ACTIONS_BY_TYPE[self.kind]
        return allowed if self.actions is None else allowed & self.actions


class UnknownKindError(KeyError):
    """No record kind of that name is registered."""


class Registry:
    def __init__(self) -> None:
        self._kinds: dict[str, RecordKind] = {}

    def register(self, kind: RecordKind) -> RecordKind:
        if kind.name in self._kinds:
            raise ValueError(f"record kind {kind.name!r} is already registered")
        self._kinds[kind.name] = kind
        return kind

    def get(self, name: str) -> RecordKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownKindError(name) from None

    def names(self) -> list[str]:
        return sorted(self._kinds)

    def check(self, op: Operation) -> Errors:
        """Everything wrong with an op for its kind; empty when the store may apply it."""
        try:
            kind = self.get(op.kind)
        except UnknownKindError:
            return {"kind": [f"unknown record kind {op.kind!r}"]}
        allowed = kind.allowed_actions
        if op.action not in allowed:
            if not allowed:
                why = f"{op.kind} is derived on the server and cannot be pushed"
            else:
                why = f"{op.kind} accepts only {', '.join(sorted(allowed))}"
            return {"action": [why]}
        if op.action == "delete":
            return {}
        errors = kind.check_data(op.data, op.action)
        return {f"data.{name}": msgs for name, msgs in errors.items()} if errors else errors
