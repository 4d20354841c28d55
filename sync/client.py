"""The reference sync client: a local SQLite outbox and record store, push and pull over HTTP.

The executable specification the PWA's TypeScript client mirrors:
- every capture writes its record and its outbox op in one SQLite transaction;
- push sends the outbox in seq order in batches of at most MAX_PUSH_BATCH and
  settles each result in one transaction (rejected ops move aside, never block);
- pull applies a page of changes and saves its cursor in the same transaction;
- the network is retried with full-jitter backoff; 401 refreshes once, asks
  for a login, or wipes the device; 410 resets the local copy and pulls again.
Transport (`session`), sleeping and the clock are injected for tests.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import requests
from uuid6 import uuid7

from sync.backoff import full_jitter
from sync.hlc import Clock, Timestamp
from sync.kinds import spine_registry
from sync.merge import lifecycle_max
from sync.ops import CURRENT_PROTOCOL, MAX_PUSH_BATCH, OpResult, Outcome, Rejection, parse_operation
from sync.registry import Registry

LOGIN_PATH = "/api/v1/auth/login"
REFRESH_PATH = "/api/v1/auth/refresh"
PUSH_PATH = "/api/v1/sync/push"
PULL_PATH = "/api/v1/sync/pull"
# Meta keys of the two bearer credentials.
ACCESS_KEY = "access_token"
REFRESH_KEY = "refresh_token"
# Changes per pull page: a few hundred kB of JSON, one short local transaction each.
PULL_LIMIT = 500
# Tries per request before giving up until the next sync: with full jitter
# from 1 s that is at most ~30 s of waiting, then the tablet counts as offline
# (capture goes on; the next sync starts over).
MAX_ATTEMPTS = 5
# Seconds to wait for a server answer; a push of 500 ops answers in about 1 s.
REQUEST_TIMEOUT_S = 30.0
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


class SyncError(Exception):
    """The server answered in a way the client cannot act on."""

    def __init__(self, message: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status, self.body = status, body


class Offline(SyncError):  # noqa: N818 - a state, not a failure: capture continues
    """No answer after MAX_ATTEMPTS tries; unsent ops stay queued."""


class NeedsLogin(SyncError):  # noqa: N818 - a state the UI shows, like Offline
    """The refresh token is gone or expired: sign in online; capture keeps working."""


class DeviceRevoked(SyncError):  # noqa: N818 - the device was told to wipe itself
    """The device was revoked; its local database has been deleted."""


class ResyncRequired(SyncError):  # noqa: N818 - the server's instruction, handled in pull
    """410: the cursor is too old or the scope changed."""


class InvalidInput(ValueError):  # noqa: N818 - raised to the person typing
    """A capture the server would reject; `errors` names each bad field."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = dict(errors)


class HTTPResponse(Protocol):
    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    def json(self) -> Any: ...


class HTTPSession(Protocol):
    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> HTTPResponse: ...


@dataclass
class PushReport:
    sent: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    replayed: int = 0


@dataclass(frozen=True)
class SyncReport:
    push: PushReport
    pulled: int


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Client:
    def __init__(
        self,
        base_url: str,
        db_path: str | os.PathLike[str],
        session: HTTPSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = _utcnow,
        rand: Callable[[], float] = random.random,
        registry: Registry | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.db_path = os.fspath(db_path)
        self.session: HTTPSession = session if session is not None else requests.Session()
        self.sleep, self.now, self.rand = sleep, now, rand
        self.registry = registry if registry is not None else spine_registry()
        self._single_flight = threading.Lock()
        self.db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        self._migrate()
        saved = self._meta("hlc")
        node = self._meta("node") or self._init_node()
        now_ms = lambda: int(self.now().timestamp() * 1000)  # noqa: E731
        self.clock = Clock(now_ms, node, Timestamp.parse(saved) if saved else None)

    # -- local database ----------------------------------------------------------------------
    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            with self._tx():
                for statement in filter(str.strip, SCHEMA.split(";")):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _init_node(self) -> str:
        node = uuid.uuid4().hex[:12]
        with self._tx():
            self._set_meta("node", node)
        return node

    def close(self) -> None:
        self.db.close()

    # -- capture: record + outbox op in one transaction, no network --------------------------
    def record_status(self, call_id: str, status: str) -> str:
        """A status tap (en_route, on_scene, transporting, cleared); returns the fact's id."""
        return self._capture_fact("call_status", {"call_id": call_id, "status": status}, call_id)

    def add_note(self, call_id: str, body: str) -> str:
        return self._capture_fact("call_note", {"call_id": call_id, "body": body}, call_id)

    def record_location(self, lat: float, lon: float, accuracy_m: float | None = None) -> str:
        data: dict[str, Any] = {"lat": lat, "lon": lon}
        if accuracy_m is not None:
            data["accuracy_m"] = accuracy_m
        return self._capture_fact("location_point", data, None)

    def update_call(self, call_id: str, base_version: int, **fields: Any) -> str:
        """Edit a call's fields from the version last seen; returns the op id."""
        with self._tx():
            op = self._enqueue("call", "update", call_id, base_version, fields, None)
            self._rebase("call", call_id)
        return str(op["id"])

    def _capture_fact(self, kind: str, data: dict[str, Any], parent_id: str | None) -> str:
        record_id = _new_id()
        with self._tx():
            self._enqueue(kind, "create", record_id, None, data, parent_id)
            self._write_record(kind, record_id, None, data, None)
            if parent_id is not None:
                self._rebase("call", parent_id)
        return record_id

    def _enqueue(
        self,
        kind: str,
        action: str,
        record_id: str,
        base_version: int | None,
        data: dict[str, Any],
        parent_id: str | None,
    ) -> dict[str, Any]:
        seq = int(self._meta("next_seq") or 1)
        now = self.now()
        op = {
            "id": _new_id(),
            "seq": seq,
            "hlc": str(self.clock.send()),
            "kind": kind,
            "action": action,
            "record_id": record_id,
            "base_version": base_version,
            "device_time": now.isoformat(),
            "data": data,
        }
        parsed = parse_operation(op, CURRENT_PROTOCOL)
        errors = parsed.errors if isinstance(parsed, Rejection) else self.registry.check(parsed)
        if errors:
            raise InvalidInput(errors)
        self._set_meta("next_seq", str(seq + 1))
        self._set_meta("hlc", str(self.clock.last))
        self.db.execute(
            "INSERT INTO outbox (seq, id, kind, record_id, parent_id, op) VALUES (?,?,?,?,?,?)",
            (seq, op["id"], kind, record_id, parent_id, json.dumps(op)),
        )
        return op

    def _write_record(
        self,
        kind: str,
        record_id: str,
        version: int | None,
        data: Mapping[str, Any],
        server_data: Mapping[str, Any] | None,
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO records (kind, id, version, data, server_data) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                kind,
                record_id,
                version,
                json.dumps(data),
                None if server_data is None else json.dumps(server_data),
            ),
        )

    def _rebase(self, kind: str, record_id: str) -> None:
        """A record's local view: the server's state with the unsent ops on it laid over."""
        row = self.db.execute(
            "SELECT version, server_data FROM records WHERE kind = ? AND id = ?", (kind, record_id)
        ).fetchone()
        if row is None or row[1] is None:
            return  # unknown here, or a local fact whose data is its own op
        data = json.loads(row[1])
        pending = self.db.execute(
            "SELECT op FROM outbox WHERE (kind = ? AND record_id = ?) OR parent_id = ? "
            "ORDER BY seq",
            (kind, record_id, record_id),
        )
        for (text,) in pending:
            op = json.loads(text)
            if op["kind"] == kind and op["action"] == "update":
                data.update(op["data"])
            elif op["kind"] == "call_status" and kind == "call":
                data["status"] = lifecycle_max(None, data.get("status"), op["data"]["status"]).value
        self._write_record(kind, record_id, row[0], data, json.loads(row[1]))

    # -- push -----------------------------------------------------------------------------------
    def push(self) -> PushReport:
        """Send the outbox in seq order, in batches, until it is empty or the server defers."""
        with self._only_one_sync():
            return self._push()

    def _push(self) -> PushReport:
        report = PushReport()
        while True:
            rows = self.db.execute(
                "SELECT seq, id, op FROM outbox ORDER BY seq LIMIT ?", (MAX_PUSH_BATCH,)
            ).fetchall()
            if not rows:
                return report
            body = {
                "protocol_version": CURRENT_PROTOCOL,
                "device_time": self.now().isoformat(),
                "ops": [json.loads(row[2]) for row in rows],
            }
            answer = self._request("POST", PUSH_PATH, json=body)
            settled = self._settle(rows, answer, report)
            if settled == 0:
                raise SyncError(
                    f"server deferred every op: it has seq {answer.get('last_seq')}, "
                    f"the outbox starts at {rows[0][0]}",
                    body=answer,
                )

    def _settle(self, rows: list[Any], answer: Any, report: PushReport) -> int:
        """Apply one push answer in one transaction; returns how many ops left the outbox."""
        results = [OpResult.from_json(r) for r in answer.get("results", [])]
        if len(results) != len(rows):
            raise SyncError("push answer does not have one result per op", body=answer)
        settled = 0
        with self._tx():
            for (seq, op_id, text), result in zip(rows, results, strict=True):
                if result.outcome is Outcome.DEFERRED:
                    continue
                if result.id != op_id:
                    raise SyncError(f"push result for {result.id} answers op {op_id}", body=answer)
                self._settle_one(seq, json.loads(text), result)
                settled += 1
                report.sent += 1
                report.replayed += result.replayed
                key = result.outcome.value
                report.outcomes[key] = report.outcomes.get(key, 0) + 1
        return settled

    def _settle_one(self, seq: int, op: dict[str, Any], result: OpResult) -> None:
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
            self._write_record(kind, record_id, result.version, result.record, result.record)
        elif op["action"] == "create":
            self._write_record(kind, record_id, result.version, op["data"], op["data"])
        self._rebase(kind, record_id)
        if op.get("data", {}).get("call_id"):
            self._rebase("call", op["data"]["call_id"])

    # -- pull -----------------------------------------------------------------------------------
    def pull(self) -> int:
        """Apply the change feed page by page; returns the number of changes applied."""
        with self._only_one_sync():
            return self._pull()

    def _pull(self) -> int:
        applied, reset = 0, False
        while True:
            params: dict[str, Any] = {"limit": PULL_LIMIT}
            cursor = self._meta("cursor")
            if cursor:
                params["cursor"] = cursor
            try:
                page = self._request("GET", PULL_PATH, params=params)
            except ResyncRequired:
                if reset:
                    raise SyncError("the server asked for a resync twice in one pull") from None
                reset = True
                self._reset_local_copy()
                continue
            with self._tx():
                for change in page["changes"]:
                    self._apply_change(change)
                self._set_meta("cursor", page["cursor"])
            applied += len(page["changes"])
            if not page["has_more"]:
                return applied

    def _apply_change(self, change: Mapping[str, Any]) -> None:
        kind, record_id = change["kind"], str(change["id"])
        if change["op"] == "put":
            self._write_record(kind, record_id, change["version"], change["data"], change["data"])
            self._rebase(kind, record_id)
        elif change["op"] in ("delete", "remove"):  # remove: unsent ops on it stay queued
            self.db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record_id))
        else:
            raise SyncError(f"unknown change op {change['op']!r}", body=change)

    def _reset_local_copy(self) -> None:
        """Drop the cursor and every server-confirmed record; unsent captures stay."""
        with self._tx():
            self._set_meta("cursor", None)
            self.db.execute("DELETE FROM records WHERE server_data IS NOT NULL")

    def sync(self) -> SyncReport:
        """Push the outbox, then pull the feed (what the app runs on reconnect)."""
        with self._only_one_sync():
            pushed = self._push()
            return SyncReport(pushed, self._pull())

    @contextmanager
    def _only_one_sync(self) -> Iterator[None]:
        if not self._single_flight.acquire(blocking=False):
            raise SyncError("a sync is already running")
        try:
            yield
        finally:
            self._single_flight.release()

    # -- auth -----------------------------------------------------------------------------------
    def login(self, username: str, password: str, device_name: str | None = None) -> dict[str, Any]:
        """Sign in online; registers this device on first login. Returns the user."""
        body: dict[str, Any] = {"username": username, "password": password}
        device_id = self._meta("device_id")
        if device_id:
            body["device_id"] = device_id
        if device_name:
            body["device_name"] = device_name
        answer = self._request("POST", LOGIN_PATH, json=body, bearer=None)
        with self._tx():
            self._set_meta("device_id", str(answer["device_id"]))
            self._set_meta(ACCESS_KEY, answer["access_token"])
            self._set_meta(REFRESH_KEY, answer["refresh_token"])
            self._set_meta("user", json.dumps(answer.get("user")))
        user: dict[str, Any] = answer.get("user") or {}
        return user

    def _refresh(self) -> None:
        answer = self._request("POST", REFRESH_PATH, bearer=REFRESH_KEY)
        with self._tx():
            self._set_meta(ACCESS_KEY, answer["access_token"])

    def _wipe(self, message: str) -> None:
        self.db.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(self.db_path + suffix):
                os.remove(self.db_path + suffix)
        raise DeviceRevoked(message or "this device was revoked; its local data was deleted", 401)

    # -- HTTP -----------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        bearer: str | None = ACCESS_KEY,
    ) -> Any:
        attempt, refreshed = 0, False
        while True:
            headers = {}
            if bearer is not None:
                value = self._meta(bearer)
                if not value:
                    raise NeedsLogin("sign in online first")
                headers["Authorization"] = f"Bearer {value}"
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=json,
                    headers=headers,
                    timeout=REQUEST_TIMEOUT_S,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                attempt = self._wait_before_retry(attempt, str(exc))
                continue
            status = response.status_code
            if status >= 500 or status == 429:
                attempt = self._wait_before_retry(attempt, f"HTTP {status}")
                continue
            body = _json_or_none(response)
            if status < 400:
                return body
            action = body.get("action") if isinstance(body, dict) else None
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            if status == 401 and action == "refresh" and bearer == ACCESS_KEY and not refreshed:
                self._refresh()
                refreshed = True
                continue
            if status == 401 and action == "wipe":
                self._wipe(message)
            if status == 401 and bearer is not None:
                raise NeedsLogin(message or "sign in online", status, body)
            if status == 410:
                raise ResyncRequired(message or "resync from scratch", status, body)
            raise SyncError(message or f"HTTP {status}", status, body)

    def _wait_before_retry(self, attempt: int, why: str) -> int:
        if attempt + 1 >= MAX_ATTEMPTS:
            raise Offline(f"no answer after {MAX_ATTEMPTS} tries ({why}); unsent ops stay queued")
        self.sleep(full_jitter(attempt, rand=self.rand))
        return attempt + 1

    # -- views ----------------------------------------------------------------------------------
    def unsent_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Local records of `kind`; `synced` is false while the server has not confirmed it."""
        rows = self.db.execute(
            "SELECT id, version, data, server_data FROM records WHERE kind = ? ORDER BY id", (kind,)
        )
        return [
            {
                "id": r[0],
                "version": r[1],
                "data": json.loads(r[2]),
                "synced": r[3] is not None and json.loads(r[3]) == json.loads(r[2]),
            }
            for r in rows
        ]

    def conflicts(self) -> list[dict[str, Any]]:
        """Open conflicts for this user, as the pull delivered them."""
        return self.records("conflict")

    def rejected(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT id, seq, op, errors, message FROM rejected ORDER BY seq")
        return [
            {
                "id": r[0],
                "seq": r[1],
                "op": json.loads(r[2]),
                "errors": json.loads(r[3]),
                "message": r[4],
            }
            for r in rows
        ]

    def status(self) -> dict[str, Any]:
        user = self._meta("user")
        return {
            "device_id": self._meta("device_id"),
            "user": json.loads(user) if user else None,
            "signed_in": bool(self._meta(REFRESH_KEY)),
            "unsent": self.unsent_count(),
            "rejected": len(self.rejected()),
            "conflicts": len(self.conflicts()),
            "has_cursor": self._meta("cursor") is not None,
            "next_seq": int(self._meta("next_seq") or 1),
        }


def _new_id() -> str:
    """A UUIDv7: sorts by creation time, made on the device."""
    return str(uuid7())


def _json_or_none(response: HTTPResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
