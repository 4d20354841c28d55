"""The registry of record kinds: what each synced model is and how its fields merge.

A feature plugs into sync by registering a RecordKind (a fact, a document or
derived state, its per-field merge policies, a pure data validator and its
clinical fields). The engine looks kinds up here and never names one itself.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

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
    policies: Mapping[str, Policy] = field(default_factory=dict)
    validate_data: DataValidator = _no_errors
    clinical_fields: frozenset[str] = frozenset()
    # None: every action the record type allows; a document may allow only "update".
    actions: frozenset[str] | None = None

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
        errors = kind.validate_data(op.data)
        return {f"data.{name}": msgs for name, msgs in errors.items()} if errors else errors
