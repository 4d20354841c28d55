"""Two toy record kinds that plug into sync from outside the engine, as a feature would.

`toy_sighting` is a fact: a crew saw something at a point; units whose base is near the
point see it (a "units near this point" audience). `toy_board` is a document a role sees
(a "role" audience): the server writes it, devices edit its title and body, clashing edits
open one conflict per field. Their tables live in their own metadata (no migration).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import User
from server.changes import cell_scope, cells_near, note_change, role_scope
from server.models_base import UTCDateTime, utcnow
from server.sync.conflicts import open_field_conflicts
from server.sync.kinds import ConflictHooks, KindRegistry, SyncedKind, fact_row, rejected
from server.sync.scope import PullScope
from server.sync.sources import Record, Source, count_of, page
from server.sync.store import SqlPushStore
from sync.fieldspec import FieldSpec, FieldType
from sync.merge import merge_edit, server_wins_with_conflict
from sync.ops import Operation, OpResult, Outcome
from sync.push import Actor
from sync.registry import RecordKind, RecordType

metadata = sa.MetaData()

sightings = sa.Table(
    "toy_sightings", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("device_id", sa.Uuid), sa.Column("op_id", sa.Uuid),
    sa.Column("user_id", sa.Integer), sa.Column("device_time", UTCDateTime),
    sa.Column("corrected_time", UTCDateTime), sa.Column("time_source", sa.String(16)),
    sa.Column("time_uncertain", sa.Boolean), sa.Column("received_at", UTCDateTime),
    sa.Column("hlc", sa.String(80)),
    sa.Column("lat", sa.Float), sa.Column("lon", sa.Float), sa.Column("note", sa.String(200)))

boards = sa.Table(
    "toy_boards", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("audience", sa.String(32)),
    sa.Column("title", sa.String(100)), sa.Column("body", sa.String(1000)),
    sa.Column("version", sa.Integer), sa.Column("field_versions", sa.JSON),
    sa.Column("deleted", sa.Boolean, default=False),
    sa.Column("updated_by_id", sa.Integer), sa.Column("updated_at", UTCDateTime))

# Units whose base lies within this distance of a sighting see it.
NEAR_KM = 5.0
# Column sizes of the toy tables.
MAX_NOTE = 200
MAX_TITLE = 100
MAX_BODY = 1000
# Where each unit is based: the near audience asks here (a feature would ask its own data).
bases: dict[int, tuple[float, float]] = {}


# --- the fact -------------------------------------------------------------------------------

def _apply_sighting(store: SqlPushStore, kind: RecordKind, op: Operation,
                    actor: Actor) -> OpResult:
    if store.fact_exists(op.kind, op.record_id):
        return rejected(op, "record_id", "a record with this id already exists")
    row = {**fact_row(store, op, actor, None), "lat": op.data["lat"], "lon": op.data["lon"],
           "note": op.data["note"]}
    store.queue_row(sightings, row)
    store.mark_fact(op.kind, op.record_id)
    note_change(store.session, op.kind, op.record_id, [cell_scope(row["lat"], row["lon"])])
    return OpResult(op.id, op.seq, Outcome.APPLIED, op.record_id, 1)


def _sighting_records(rows: Any, scope: PullScope) -> list[Record]:
    cells = set(scope.feed_scopes)
    return [(str(r.id), {"id": str(r.id), "lat": r.lat, "lon": r.lon, "note": r.note,
                         "version": 1})
            for r in rows if cell_scope(r.lat, r.lon) in cells]


def _snapshot_sightings(session: Session, scope: PullScope, after: str | None,
                        limit: int) -> list[Record]:
    # Few rows in a test: filter by cell in Python (a feature would index its cells).
    rows = session.execute(page(sa.select(sightings), sightings.c.id, after, 100_000)).all()
    return _sighting_records(rows, scope)[:limit]


def _load_sightings(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    rows = session.execute(sa.select(sightings).where(
        sightings.c.id.in_([uuid.UUID(i) for i in ids]))).all()
    return _sighting_records(rows, scope)


def _near_audience(session: Session, user: User, unit_id: int | None) -> list[str]:
    """The cells around the unit's base: the unit sees what was sighted near it."""
    if unit_id is None or unit_id not in bases:
        return []
    lat, lon = bases[unit_id]
    return cells_near(lat, lon, NEAR_KM)


# --- the document ---------------------------------------------------------------------------

def _board_data(row: Any) -> dict[str, Any]:
    return {"id": str(row.id), "audience": row.audience, "title": row.title, "body": row.body,
            "version": row.version}


def _load_board(session: Session, record_id: str, *, lock: bool = False) -> Any:
    stmt = sa.select(boards).where(boards.c.id == uuid.UUID(record_id))
    return session.execute(stmt.with_for_update() if lock else stmt).first()


def _write_board(session: Session, actor: User, row: Any, changes: dict[str, Any]) -> None:
    versions = dict(row.field_versions or {})
    for name in changes:
        versions[name] = row.version + 1
    session.execute(sa.update(boards).where(boards.c.id == row.id).values(
        **changes, version=row.version + 1, field_versions=versions, deleted=False,
        updated_by_id=actor.id, updated_at=utcnow()))
    note_change(session, "toy_board", row.id, [role_scope(row.audience)])


def _apply_board_edit(store: SqlPushStore, kind: RecordKind, op: Operation,
                      actor: Actor) -> OpResult:
    row = _load_board(store.session, op.record_id, lock=True)
    if row is None:
        return rejected(op, "record_id", "no such board")
    author = store.author(actor)
    if row.audience != author.role.value:
        return rejected(op, "record_id", "this board is not for your role")
    if row.deleted:
        ids = open_field_conflicts(store.session, "toy_board", op.record_id, "edit_delete", op,
                                   actor, author, dict.fromkeys(op.data),
                                   row.updated_by_id, row.updated_at)
        return OpResult(op.id, op.seq, Outcome.CONFLICT, op.record_id, row.version,
                        conflict_ids=ids, message="the board was deleted while you edited it")
    server = {name: getattr(row, name) for name in op.data}
    merged = merge_edit(kind.policies, op.data, op.base_version, server,
                        row.field_versions or {}, op.hlc)
    ids = open_field_conflicts(store.session, "toy_board", op.record_id, "both_changed", op,
                               actor, author, {name: server[name] for name in merged.conflicts},
                               row.updated_by_id, row.updated_at)
    changes = {n: merged.value[n] for n in op.data if merged.value[n] != server[n]}
    if changes:
        _write_board(store.session, author, row, changes)
        row = _load_board(store.session, op.record_id)
    return OpResult(op.id, op.seq, merged.outcome, op.record_id, row.version,
                    conflict_ids=ids, record=_board_data(row))


def _boards_in(scope: PullScope) -> Any:
    return sa.select(boards).where(boards.c.audience == scope.role, boards.c.deleted.is_(False))


def _snapshot_boards(session: Session, scope: PullScope, after: str | None,
                     limit: int) -> list[Record]:
    rows = session.execute(page(_boards_in(scope), boards.c.id, after, limit)).all()
    return [(str(r.id), _board_data(r)) for r in rows]


def _load_boards(session: Session, scope: PullScope, ids: list[str]) -> list[Record]:
    rows = session.execute(_boards_in(scope).where(
        boards.c.id.in_([uuid.UUID(i) for i in ids]))).all()
    return [(str(r.id), _board_data(r)) for r in rows]


def _board_hooks() -> ConflictHooks:
    return ConflictHooks(
        lock=lambda session, record_id: _load_board(session, record_id, lock=True),
        is_live=lambda row: not row.deleted,
        may_settle=lambda row, user, unit_id: row.audience == user.role.value,
        apply=lambda session, actor, device_id, row, changes: _write_board(
            session, actor, row, changes),
    )


# --- what the server does to boards (a feature's own services) --------------------------------

def create_board(session: Session, actor: User, audience: str, title: str, body: str) -> str:
    board_id = uuid.uuid4()
    session.execute(sa.insert(boards).values(
        id=board_id, audience=audience, title=title, body=body, version=1, field_versions={},
        deleted=False, updated_by_id=actor.id, updated_at=utcnow()))
    note_change(session, "toy_board", board_id, [role_scope(audience)])
    return str(board_id)


def edit_board(session: Session, actor: User, board_id: str, **changes: Any) -> None:
    _write_board(session, actor, _load_board(session, board_id), changes)


def readdress_board(session: Session, actor: User, board_id: str, audience: str) -> None:
    """The board is for another role now: it leaves the old role's tablets."""
    row = _load_board(session, board_id)
    session.execute(sa.update(boards).where(boards.c.id == row.id).values(
        audience=audience, version=row.version + 1))
    note_change(session, "toy_board", row.id, [role_scope(row.audience)], "remove")
    note_change(session, "toy_board", row.id, [role_scope(audience)])


def delete_board(session: Session, board_id: str) -> None:
    row = _load_board(session, board_id)
    session.execute(sa.update(boards).where(boards.c.id == row.id).values(
        deleted=True, version=row.version + 1))
    note_change(session, "toy_board", row.id, [role_scope(row.audience)], "delete")


# --- the plug-in ------------------------------------------------------------------------------

SIGHTING = RecordKind("toy_sighting", RecordType.FACT, fields=(
    FieldSpec("lat", FieldType.NUMBER, required=True, editable=True, minimum=-90, maximum=90),
    FieldSpec("lon", FieldType.NUMBER, required=True, editable=True, minimum=-180,
              maximum=180),
    FieldSpec("note", FieldType.TEXT, required=True, editable=True, max_length=MAX_NOTE),
))

BOARD = RecordKind("toy_board", RecordType.DOCUMENT, fields=(
    FieldSpec("audience", FieldType.TEXT, max_length=32),
    FieldSpec("title", FieldType.TEXT, editable=True, max_length=MAX_TITLE,
              policy=server_wins_with_conflict),
    FieldSpec("body", FieldType.TEXT, editable=True, max_length=MAX_BODY,
              policy=server_wins_with_conflict),
), actions=frozenset({"update"}))


def register(kinds: KindRegistry) -> None:
    kinds.add_audience(_near_audience)
    kinds.register(SyncedKind(
        SIGHTING,
        applier=_apply_sighting, table=sightings,
        source=Source("toy_sighting", _snapshot_sightings,
                      lambda s, scope: len(_snapshot_sightings(s, scope, None, 100_000)),
                      _load_sightings)))
    kinds.register(SyncedKind(
        BOARD,
        applier=_apply_board_edit,
        source=Source("toy_board", _snapshot_boards,
                      lambda s, scope: count_of(s, _boards_in(scope)), _load_boards),
        conflicts=_board_hooks()))
