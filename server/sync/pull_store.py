"""The SQL PullStore: what `sync.pull.serve_pull` reads, over the app's session.

Positions: feed rows are written at commit under an advisory lock (`server.sync.feed`),
so the highest position is visible only once every lower one is: `visible_upto` is simply
the latest position. The snapshot pages the registered kinds' sources in turn, keyed
"<kind>|<id>". The feed is materialized: puts carry the record's current state and
bring their kind's companions, a feed kind with an expansion stands for several records,
and within what one `changes` reads a record changed several times appears once, at its
latest position. Changes that share a position (a parent and its companions, an
expansion's records) are one group, which the engine never splits.

A device's own facts come back as the push answer's acknowledgement, not in its feed: rows
its push wrote that stand only for facts it pushed (an expansion registered as pushed only,
such as a push's location points) are passed over (the cursor still moves past them), and a
parent that changed in a page only by this device's pushes comes without the companions it
pushed (unless their stored time is news to it: `SyncedKind.pushed_by`). Any other change to
the parent (a dispatcher's edit, another tablet's tap, a move back into the unit) brings it
whole. A snapshot is never trimmed: it replaces the tablet's whole copy (first pull, resync),
and another device of the same person (a reinstalled tablet) is another device.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.sync.feed import latest_position
from server.sync.kinds import Companions, KindRegistry
from server.sync.models import ChangeLogEntry
from server.sync.scope import PullScope
from sync.pull import Change

Key = tuple[str, str]  # (kind, id)


class SqlPullStore:
    def __init__(self, session: Session, kinds: KindRegistry, scope: PullScope,
                 device_id: uuid.UUID | None = None) -> None:
        self.session = session
        self.scope = scope
        self.kinds = kinds
        self.device_id = device_id  # the pulling device: its own pushed facts are left out
        self._sources = kinds.sources
        self._names = [s.kind for s in kinds.sources]

    # -- PullStore ------------------------------------------------------------------------------
    def visible_upto(self) -> int:
        return latest_position(self.session)

    def tombstone_floor(self) -> int:
        """Positions below the oldest kept feed row may have been purged: a cursor that has
        not reached the row just before it cannot continue."""
        oldest = self.session.scalar(sa.select(sa.func.min(ChangeLogEntry.position)))
        return 0 if oldest is None else oldest - 1

    def snapshot(self, scope: str, upto: int, after_key: str, limit: int) -> list[Change]:
        kind, _, after = after_key.partition("|") if after_key else (self._names[0], "", "")
        index = self._names.index(kind) if kind in self._names else 0
        out: list[Change] = []
        while index < len(self._names) and len(out) < limit:
            src = self._sources[index]
            wanted = limit - len(out)
            records = src.snapshot(self.session, self.scope, after or None, wanted)
            out += [_put(src.kind, rid, data, 0) for rid, data in records]
            if len(records) < wanted:
                index, after = index + 1, ""
            else:
                after = records[-1][0]
        return out

    def count(self, scope: str) -> int:
        return sum(s.count(self.session, self.scope) for s in self._sources)

    def changes(self, scope: str, after: int, upto: int, limit: int) -> list[Change]:
        rows: list[Any] = []
        position = after
        while True:
            chunk = self.session.execute(
                sa.select(ChangeLogEntry.position, ChangeLogEntry.kind, ChangeLogEntry.record_id,
                          ChangeLogEntry.op, ChangeLogEntry.origin_device_id)
                .where(ChangeLogEntry.scope.in_(self.scope.feed_scopes),
                       ChangeLogEntry.position > position, ChangeLogEntry.position <= upto)
                .order_by(ChangeLogEntry.position).limit(limit)).all()
            rows += [r for r in chunk if not self._pushed_here(r)]
            changes = self._materialize(rows)
            # Enough, or all up to `upto`; several rows for one record make fewer changes.
            if len(changes) >= limit or len(chunk) < limit:
                return changes
            position = chunk[-1].position

    # -- materialization ------------------------------------------------------------------------
    def _companions(self, kind: str) -> Companions | None:
        synced = self.kinds.find(kind)
        return synced.companions if synced is not None else None

    def _pushed_here(self, row: Any) -> bool:
        """A row this device's push wrote that stands only for facts it pushed."""
        return (row.op == "put" and row.kind in self.kinds.pushed_feed_kinds
                and self.device_id is not None and row.origin_device_id == self.device_id)

    def _acknowledged(self, companions: list[tuple[str, str, str]],
                      own_parents: set[str]) -> set[tuple[str, str]]:
        """Companions of parents changed only by this device's pushes that it pushed itself."""
        if self.device_id is None:
            return set()
        pushed_by = self.kinds.pushed_by
        wanted: dict[str, list[str]] = {}
        for parent, kind, cid in companions:
            if parent in own_parents and kind in pushed_by:
                wanted.setdefault(kind, []).append(cid)
        return {(kind, cid) for kind, ids in wanted.items()
                for cid in pushed_by[kind](self.session, ids, self.device_id)}

    def _expand(self, rows: Sequence[Any]) -> dict[Key, list[Key]]:
        expansions = self.kinds.expansions
        ids: dict[str, list[str]] = {}
        for row in rows:
            if row.kind in expansions:
                ids.setdefault(row.kind, []).append(row.record_id)
        return {(kind, rid): records for kind, wanted in ids.items()
                for rid, records in expansions[kind](self.session, self.scope, wanted).items()}

    def _materialize(self, rows: Sequence[Any]) -> list[Change]:
        """Feed rows to changes in position order: current state for puts (with companions),
        removals, deletes; each record once, at its latest position."""
        expanded = self._expand(rows)
        expansions = self.kinds.expansions
        latest: dict[Key, tuple[str, int]] = {}
        changed_elsewhere: set[Key] = set()  # by a row other than this device's pushes
        for row in rows:
            keys = expanded.get((row.kind, row.record_id), []) if row.kind in expansions \
                else [(row.kind, row.record_id)]
            for key in keys:
                latest.pop(key, None)
                latest[key] = (row.op, row.position)
                if self.device_id is None or row.origin_device_id != self.device_id:
                    changed_elsewhere.add(key)
        puts: dict[str, dict[str, int]] = {}
        gone: list[tuple[str, str, str, int]] = []
        for (kind, rid), (op, position) in latest.items():
            if op == "put":
                puts.setdefault(kind, {})[rid] = position
            else:
                gone.append((kind, rid, op, position))
        for kind, found in list(puts.items()):
            companions = self._companions(kind)
            if companions is not None:
                listed = companions(self.session, list(found))
                acknowledged = self._acknowledged(
                    listed, {rid for rid in found if (kind, rid) not in changed_elsewhere})
                for parent, companion_kind, cid in listed:
                    if (companion_kind, cid) in acknowledged:
                        continue
                    mine = puts.setdefault(companion_kind, {})
                    mine[cid] = max(mine.get(cid, 0), found[parent])
        for kind, rid, _, position in gone:
            if rid in puts.get(kind, ()):  # left, and back with its parent: a put, at the later
                puts[kind][rid] = max(puts[kind][rid], position)
        changes: list[Change] = []
        for src in self._sources:
            wanted = puts.get(src.kind)
            if not wanted:
                continue
            loaded = dict(src.load(self.session, self.scope, list(wanted)))
            for rid, position in wanted.items():
                if rid in loaded:
                    changes.append(_put(src.kind, rid, loaded[rid], position))
                else:
                    changes.append(Change(src.kind, rid, "delete", None, None, position))
        for kind, rid, op, position in gone:
            if rid in puts.get(kind, ()):
                continue  # left earlier in this page, back now with its parent: the put wins
            changes.append(Change(kind, rid, op, None, None, position))
            synced = self.kinds.find(kind)
            if synced is not None and synced.leave_with_parent and synced.companions is not None:
                for _, companion_kind, cid in synced.companions(self.session, [rid]):
                    if companion_kind in synced.leave_with_parent:
                        changes.append(Change(companion_kind, cid, "remove", None, None, position))
        changes.sort(key=lambda c: c.position)  # stable: kinds keep their order in a position
        return changes


def _put(kind: str, record_id: str, data: dict[str, Any], position: int) -> Change:
    return Change(kind, record_id, "put", data.get("version", 1), data, position,
                  f"{kind}|{record_id}")
