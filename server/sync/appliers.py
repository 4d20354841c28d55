"""How the server applies each synced record kind: a registry features add to.

An applier takes the push's store, the validated operation and the actor, writes
through the store's session (or queues rows for bulk insert) and returns the
operation's result. The engine (`sync.push`) never names a kind; neither does the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sync.kinds import register_spine_kinds
from sync.ops import Operation, OpResult
from sync.push import Actor
from sync.registry import RecordKind, Registry

if TYPE_CHECKING:
    from server.sync.store import SqlPushStore

Applier = Callable[["SqlPushStore", RecordKind, Operation, Actor], OpResult]

_APPLIERS: dict[str, Applier] = {}
# Fact tables by kind: the store checks in one query which pushed facts already exist.
FACT_TABLES: dict[str, Any] = {}
# Kinds whose ops change the call they name (its fields, or its status derived from facts):
# the store locks those calls before reading them, so concurrent pushes apply one by one.
CALL_WRITERS: set[str] = set()


def register(kind: str, applier: Applier, fact_table: Any = None, *,
             writes_call: bool = False) -> None:
    if kind in _APPLIERS:
        raise ValueError(f"an applier for {kind!r} is already registered")
    _APPLIERS[kind] = applier
    if fact_table is not None:
        FACT_TABLES[kind] = fact_table
    if writes_call:
        CALL_WRITERS.add(kind)


def get(kind: str) -> Applier:
    return _APPLIERS[kind]


def build_registry() -> Registry:
    """The engine's registry of record kinds: the spine's, later the features' own."""
    return register_spine_kinds(Registry())
