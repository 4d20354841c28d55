"""Synced kinds: one bundle per record kind, registered by the feature that owns it.

A feature's sync module (listed in the SYNC_KINDS setting) has `register(kinds)`, which adds
a `SyncedKind` per kind: the pure record kind (`sync.registry.RecordKind`), the applier that
writes a pushed op, its fact table, a preload for a batch, its pull source, the records that
travel and leave with it, and the hooks conflicts on it are settled through; and the
audiences (feed scopes a device reads beyond everyone, its person, unit and role). The app
keeps one registry; the push and pull stores and conflicts look kinds up there and never
name one.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from server.auth.models import User
from server.sync.scope import Audience
from server.sync.sources import Source
from sync.clock_skew import fact_time
from sync.ops import Operation, OpResult, Outcome
from sync.push import Actor
from sync.registry import RecordKind, Registry

if TYPE_CHECKING:
    from server.sync.scope import PullScope
    from server.sync.store import SqlPushStore

# (store, kind, op, actor) -> the op's result; writes through store.session or queues rows.
Applier = Callable[["SqlPushStore", RecordKind, Operation, Actor], OpResult]
# (store, the batch's valid ops of the kinds sharing this preload) -> None, before any applies.
Preload = Callable[["SqlPushStore", list[Operation]], None]
# (session, parent ids) -> (parent id, companion kind, companion id): records that travel
# with a parent (a document brings the facts recorded on it).
Companions = Callable[[Session, list[str]], list[tuple[str, str, str]]]
# A feed kind standing for several records: (session, scope, ids) -> id -> [(kind, id)].
Expansion = Callable[[Session, "PullScope", list[str]], dict[str, list[tuple[str, str]]]]
# (session, fact ids, device id) -> those of the ids this device pushed whose stored time is no
# news to it: the pull leaves them out of its feed (the push answer acknowledged them).
PushedBy = Callable[[Session, list[str], uuid.UUID], set[str]]

EXTENSION_KEY = "heart_sync_kinds"
# The engine's own pulled kind, registered after the features' (after the records it is on).
ENGINE_KINDS = "server.sync.conflicts"


@dataclass(frozen=True)
class ConflictHooks:
    """How conflicts on a document kind are settled: the engine keeps the conflict rows,
    the kind reads and writes its records."""

    # (session, record id) -> the record locked for update, or None when it does not exist
    lock: Callable[[Session, str], Any]
    # Not deleted (cancelled): a responder may settle a clash on it.
    is_live: Callable[[Any], bool]
    # (record, person, their unit now): the record is in the responder's hands.
    may_settle: Callable[[Any, User, int | None], bool]
    # (session, who, their device, record, {field: value}): write the chosen value.
    apply: Callable[[Session, User, uuid.UUID | None, Any, dict[str, Any]], None]
    # (session, who, their device, record): bring a deleted record back (None: apply does).
    restore: Callable[[Session, User, uuid.UUID | None, Any], None] | None = None


@dataclass(frozen=True)
class SyncedKind:
    """Everything the server knows about one synced kind. `record` is None for a kind
    devices only pull (it has no ops); its name is then its source's."""

    record: RecordKind | None
    applier: Applier | None = None
    # A fact table (columns id, device_id, op_id): the push checks in one query which
    # pushed facts exist, and answers a replay of a plain create from its row.
    table: Any = None
    preload: Preload | None = None
    source: Source | None = None
    companions: Companions | None = None
    # Companion kinds that leave the device with their parent (others may serve elsewhere).
    leave_with_parent: frozenset[str] = frozenset()
    conflicts: ConflictHooks | None = None
    # A fact that travels as a companion: which of its records a device pushed itself.
    pushed_by: PushedBy | None = None

    @property
    def name(self) -> str:
        if self.record is not None:
            return self.record.name
        assert self.source is not None, "a kind without a record kind is pulled: give a source"
        return self.source.kind


class KindRegistry:
    """The app's synced kinds, in registration order (the pull's order: parents first)."""

    def __init__(self) -> None:
        self.records = Registry()  # what the push engine validates ops against
        self._kinds: dict[str, SyncedKind] = {}
        self.sources: list[Source] = []
        self.expansions: dict[str, Expansion] = {}
        # Feed kinds whose rows stand only for facts one push brought: not sent to that device.
        self.pushed_feed_kinds: set[str] = set()
        self.pushed_by: dict[str, PushedBy] = {}
        self.audiences: list[Audience] = []
        self.fact_tables: dict[str, Any] = {}
        # Each distinct preload once per push, with the ops of every kind that shares it.
        self.preloads: dict[Preload, frozenset[str]] = {}

    def register(self, kind: SyncedKind) -> SyncedKind:
        if kind.name in self._kinds:
            raise ValueError(f"synced kind {kind.name!r} is already registered")
        if kind.record is not None:
            if kind.applier is None and kind.record.allowed_actions:
                raise ValueError(f"{kind.name!r} accepts ops: give it an applier")
            self.records.register(kind.record)
        self._kinds[kind.name] = kind
        if kind.source is not None:
            self.sources.append(kind.source)
        if kind.table is not None:
            self.fact_tables[kind.name] = kind.table
        if kind.pushed_by is not None:
            self.pushed_by[kind.name] = kind.pushed_by
        if kind.preload is not None:
            self.preloads[kind.preload] = self.preloads.get(kind.preload, frozenset()) | {
                kind.name}
        return kind

    def add_expansion(self, feed_kind: str, expansion: Expansion, *,
                      pushed_only: bool = False) -> None:
        """`pushed_only`: its rows stand only for facts one push brought (a push's points)."""
        self.expansions[feed_kind] = expansion
        if pushed_only:
            self.pushed_feed_kinds.add(feed_kind)

    def add_audience(self, audience: Audience) -> None:
        self.audiences.append(audience)

    def find(self, name: str) -> SyncedKind | None:
        return self._kinds.get(name)

    def applier(self, name: str) -> Applier:
        found = self._kinds[name].applier
        assert found is not None, "the registry lets through only ops its kinds accept"
        return found


def build_registry(modules: Sequence[str]) -> KindRegistry:
    """The registry the listed modules register into (each has `register(kinds)`), in order."""
    kinds = KindRegistry()
    for name in modules:
        importlib.import_module(name).register(kinds)
    return kinds


def install(app: Flask) -> None:
    """The app's kinds: the features' (the SYNC_KINDS setting), then the engine's own."""
    app.extensions[EXTENSION_KEY] = build_registry([*app.config["SYNC_KINDS"], ENGINE_KINDS])


def kinds_of(app: Flask) -> KindRegistry:
    kinds: KindRegistry = app.extensions[EXTENSION_KEY]
    return kinds


def current_kinds() -> KindRegistry:
    return kinds_of(current_app)


# --- for appliers ----------------------------------------------------------------------------

def rejected(op: Operation, field: str, message: str) -> OpResult:
    return OpResult(op.id, op.seq, Outcome.REJECTED, op.record_id, errors={field: [message]},
                    message=message)


def fact_row(store: SqlPushStore, op: Operation, actor: Actor,
             not_before: datetime | None) -> dict[str, Any]:
    """The columns every fact carries (server.models_base.FactColumns), timed by
    `sync.clock_skew.fact_time`: never before `not_before` nor the device's registration."""
    registered = store.device_registered_at
    if registered is not None:
        not_before = registered if not_before is None else max(not_before, registered)
    # Ids as canonical strings (parse_operation made them so): bulk_insert copies them as
    # they are on PostgreSQL, or makes UUIDs for an INSERT.
    when = fact_time(op.device_time, actor.skew_ms, op.clock, store.received_at, not_before)
    return {
        "id": op.record_id,
        "device_id": str(actor.device_id),
        "user_id": actor.user_id,
        "device_time": op.device_time,
        "corrected_time": when.corrected,
        "time_source": when.source.value,
        "time_uncertain": when.uncertain,
        "received_at": store.received_at,  # one push, one time of receipt
        "hlc": str(op.hlc),
        "op_id": op.id,
    }
