"""The tablet's local database (SQLite): outbox, records, rejected ops and meta.

The PWA's Dexie database has the same four tables. Records keep two copies of
their data: `server_data`, the last state the server confirmed (NULL for a
fact not yet pushed), and `data`, what the screen shows: the server's state
with the unsent ops laid over it (`rebase`). Callers group writes with `tx()`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sync.ops import OpResult, Outcome
from sync.registry import Registry

# Local schema version (PRAGMA user_version); a migration never drops the outbox.
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
    record_id TEXT NOT NULL, parent_id TEXT, op TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_record ON outbox (kind, record_id);
CREATE INDEX IF NOT EXISTS outbox_parent ON outbox (parent_id);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER, data TEXT NOT NULL,
    server_data TEXT, PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS rejected (
    id TEXT PRIMARY KEY, seq INTEGER, op TEXT NOT NULL, errors TEXT NOT NULL,
    message TEXT NOT NULL);
"""


class LocalStore:
    def __init__(self, path: str | os.PathLike[str], registry: Registry) -> None:
        self.path = os.fspath(path)
        self.registry = registry  # the app's record kinds: how a shown status merges
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._migrate()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            with self.tx():
                for statement in filter(str.strip, SCHEMA.split(";")):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def tx(self) -> Iterator[None]:
        """One SQLite write transaction: everything inside lands together or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def destroy(self) -> None:
        """Close and delete the database file and its journals (device wipe)."""
        self.db.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(self.path + suffix):
                os.remove(self.path + suffix)

    # -- meta -------------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- outbox -----------------------------------------------------------------------------------
    def next_seq(self) -> int:
        return int(self.meta("next_seq") or 1)

    def append_op(self, op: Mapping[str, Any], parent_id: str | None) -> None:
        """Queue an op; its seq must be next_seq() (checked by the primary key order)."""
        seq = int(op["seq"])
        if seq != self.next_seq():
            raise ValueError(f"op seq {seq} is not the next seq {self.next_seq()}")
        self.set_meta("next_seq", str(seq + 1))
        self.db.execute(
            "INSERT INTO outbox (seq, id, kind, record_id, parent_id, op) VALUES (?,?,?,?,?,?)",
            (seq, op["id"], op["kind"], op["record_id"], parent_id, json.dumps(op)),
        )

    def outbox_batch(self, limit: int) -> list[tuple[int, str, dict[str, Any]]]:
        """The oldest unsent ops, in seq order: (seq, op id, op)."""
        rows = self.db.execute("SELECT seq, id, op FROM outbox ORDER BY seq LIMIT ?", (limit,))
        return [(seq, op_id, json.loads(text)) for seq, op_id, text in rows]

    def unsent_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def settle(self, seq: int, op: Mapping[str, Any], result: OpResult) -> None:
        """An op's result arrived: it leaves the outbox; rejected ones move to `rejected`."""
        self.db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
        kind, record_id = op["kind"], op["record_id"]
        if result.outcome is Outcome.REJECTED:
            self.db.execute(
                "INSERT OR REPLACE INTO rejected (id, seq, op, errors, message) VALUES (?,?,?,?,?)",
                (op["id"], seq, json.dumps(op), json.dumps(result.errors), result.message),
            )
            self.db.execute(
                "DELETE FROM records WHERE kind = ? AND id = ? AND server_data IS NULL",
                (kind, record_id),
            )
        elif result.record is not None:
            self.write_record(kind, record_id, result.version, result.record, result.record)
        elif op["action"] == "create":
            self.write_record(kind, record_id, result.version, op["data"], op["data"])
        self.rebase(kind, record_id)
        call_id = op.get("data", {}).get("call_id")
        if call_id:
            self.rebase("call", str(call_id))

    # -- records ----------------------------------------------------------------------------------
    def write_record(
        self,
        kind: str,
        record_id: str,
        version: int | None,
        data: Mapping[str, Any],
        server_data: Mapping[str, Any] | None,
    ) -> None:
        server_json = None if server_data is None else json.dumps(server_data)
        self.db.execute(
            "INSERT OR REPLACE INTO records (kind, id, version, data, server_data) VALUES (?, ?, ?, ?, ?)",
            (kind, record_id, version, json.dumps(data), server_json),
        )

    def rebase(self, kind: str, record_id: str) -> None:
        """A record's local view: the server's state with the unsent ops on it laid over."""
        row = self.db.execute(
            "SELECT version, server_data FROM records WHERE kind = ? AND id = ?", (kind, record_id)
        ).fetchone()
        if row is None or row[1] is None:
            return  # unknown here, or a local fact whose data is its own op
        data = json.loads(row[1])
        pending = self.db.execute(
            "SELECT op FROM outbox WHERE (kind = ? AND record_id = ?) OR parent_id = ? ORDER BY seq",
            (kind, record_id, record_id),
        )
        for (text,) in pending:
            op = json.loads(text)
            if op["kind"] == kind and op["action"] == "update":
                data.update(op["data"])
            elif op["kind"] == "call_status" and kind == "call" and "withdraws" not in op["data"]:
                # A status tap shows at once; an undo shows once the pull brings the status.
                furthest = self.registry.get(kind).policies["status"]
                data["status"] = furthest(None, data.get("status"), op["data"]["status"]).value
        self.write_record(kind, record_id, row[0], data, json.loads(row[1]))

    def apply_change(self, change: Mapping[str, Any]) -> None:
        """One change from the pull feed: put, delete (tombstone) or remove (left scope)."""
        kind, record_id = str(change["kind"]), str(change["id"])
        if change["op"] == "put":
            self.write_record(kind, record_id, change["version"], change["data"], change["data"])
            self.rebase(kind, record_id)
        elif change["op"] in ("delete", "remove"):  # remove: unsent ops on it stay queued
            self.db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record_id))
        else:
            raise ValueError(f"unknown change op {change['op']!r}")

    def drop_server_copy(self) -> None:
        """Resync: forget the cursor and every server-confirmed record; unsent captures stay."""
        self.set_meta("cursor", None)
        self.db.execute("DELETE FROM records WHERE server_data IS NOT NULL")

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Local records of `kind`; `synced` is false while the server has not confirmed it."""
        rows = self.db.execute(
            "SELECT id, version, data, server_data FROM records WHERE kind = ? ORDER BY id", (kind,)
        )
        return [
            {
                "id": record_id,
                "version": version,
                "data": json.loads(data),
                "synced": server is not None and json.loads(server) == json.loads(data),
            }
            for record_id, version, data, server in rows
        ]

    def rejected(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT id, seq, op, errors, message FROM rejected ORDER BY seq")
        return [
            {"id": op_id, "seq": seq, "op": json.loads(op), "errors": json.loads(errors), "message": message}
            for op_id, seq, op, errors, message in rows
        ]
