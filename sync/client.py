"""The reference sync client: capture offline, push the outbox, pull the feed.

The executable specification the PWA's TypeScript client mirrors:
- every capture writes its record and its outbox op in one SQLite transaction
  (sync.local_store), validated with the same registry the server uses;
- push sends the outbox in seq order in batches of at most MAX_PUSH_BATCH and
  settles each answer in one transaction (rejected ops move aside, never block;
  replayed results count as the original; deferred ops go again from the
  server's last_seq + 1);
- pull applies a page of changes and saves its cursor in the same transaction;
- the network is retried with full-jitter backoff, and so is every answer that does not
  arrive whole (cut after its headers, undecodable, a 2xx without its JSON body): the
  server may have committed it, and replaying it is safe (ops are deduplicated by id);
  a 401 refreshes once (the
  refresh token rotates: the new one is kept with the new access token), asks
  for a login, or wipes the device; a 410 `resync` (a cursor the server cannot
  read included) drops the local copy and pulls again;
- every op carries its author (the person signed in) and the device's clock reading
  (the server time of the last answer, the wall clock then, and the monotonic time
  since) so its time holds whatever the wall clock does before the push; the reading
  lives in memory only (a restart loses it); the HLC each answer carries is merged
  into the device's clock, so a lagging tablet stamps its next ops after the server's.
Transport (`session`), sleeping and both clocks are injected for tests.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn, Protocol

import requests
from uuid6 import uuid7

from sync.backoff import full_jitter
from sync.hlc import Clock, Timestamp
from sync.local_store import LocalStore
from sync.ops import CURRENT_PROTOCOL, MAX_PUSH_BATCH, OpResult, Outcome, Rejection, parse_operation
from sync.registry import Registry

LOGIN_PATH = "/api/v1/auth/login"
REFRESH_PATH = "/api/v1/auth/refresh"
LOGOUT_PATH = "/api/v1/auth/logout"
PUSH_PATH = "/api/v1/sync/push"
PULL_PATH = "/api/v1/sync/pull"
# Meta keys of the two bearer credentials.
ACCESS_KEY = "access_token"
REFRESH_KEY = "refresh_token"
# Changes per pull page: a few hundred kB of JSON, one short local transaction each.
PULL_LIMIT = 500
# Tries per request before giving up until the next sync: with full jitter
# from 1 s that is at most ~15 s of waiting, then the tablet counts as offline
# (capture goes on; the next sync starts over).
MAX_ATTEMPTS = 5
# Seconds to wait for a server answer; a push of 500 ops answers in about 1 s.
REQUEST_TIMEOUT_S = 30.0
# An answer that did not arrive, or not whole: the request may or may not have been applied.
TRANSPORT_FAILURES: tuple[type[Exception], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)
# The one success without a body (sign-out).
NO_CONTENT = 204


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
    """The device was revoked and its local database deleted: as `lost` at once, or as
    `retired` once it had sent what it held; `unsent` counts the entries it had not sent."""

    def __init__(self, message: str, status: int | None = None, body: Any = None, *,
                 reason: str = "lost", unsent: int = 0) -> None:
        super().__init__(message, status, body)
        self.reason, self.unsent = reason, unsent


class _Retire(SyncError):  # noqa: N818 - the server's instruction, handled by _retire
    """401 `retire`: send what the device holds (pushes only), then wipe."""


class ResyncRequired(SyncError):  # noqa: N818 - the server's instruction, handled in pull
    """410 `resync`: the cursor cannot be read, is too old, or the scope changed."""


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
        registry: Registry,
        session: HTTPSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = _utcnow,
        rand: Callable[[], float] = random.random,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.db_path = os.fspath(db_path)
        self.session: HTTPSession = session if session is not None else requests.Session()
        self.sleep, self.now, self.rand, self.monotonic = sleep, now, rand, monotonic
        # The last server time learned: (server time, wall clock then, monotonic seconds then).
        self._learned: tuple[str, str, float] | None = None
        self.registry = registry  # the app's record kinds: ops are checked before queueing
        self._single_flight = threading.Lock()
        self.local = LocalStore(self.db_path)
        node = self.local.meta("node")
        if node is None:
            node = uuid.uuid4().hex[:12]
            with self.local.tx():
                self.local.set_meta("node", node)
        saved = self.local.meta("hlc")
        self.clock = Clock(self._now_ms, node, Timestamp.parse(saved) if saved else None)

    def _now_ms(self) -> int:
        return int(self.now().timestamp() * 1000)

    def close(self) -> None:
        self.local.close()

    # -- capture: record + outbox op in one transaction, no network --------------------------
    def record_status(self, call_id: str, status: str) -> str:
        """A status tap (en_route, on_scene, transporting, cleared); returns the fact's id."""
        return self._capture_fact("call_status", {"call_id": call_id, "status": status}, call_id)

    def withdraw_status(self, call_id: str, tap_id: str, status: str) -> str:
        """Undo a tap of this person's: a fact naming it (server.calls.status); the tap stays."""
        return self._capture_fact(
            "call_status", {"call_id": call_id, "status": status, "withdraws": tap_id}, call_id)

    def add_note(self, call_id: str, body: str) -> str:
        return self._capture_fact("call_note", {"call_id": call_id, "body": body}, call_id)

    def record_location(self, lat: float, lon: float, accuracy_m: float | None = None) -> str:
        data: dict[str, Any] = {"lat": lat, "lon": lon}
        if accuracy_m is not None:
            data["accuracy_m"] = accuracy_m
        return self._capture_fact("location_point", data, None)

    def update_call(self, call_id: str, base_version: int, **fields: Any) -> str:
        """Edit a call's fields from the version last seen; returns the op id."""
        with self.local.tx():
            op = self._enqueue("call", "update", call_id, base_version, fields, None)
            self.local.rebase("call", call_id)
        return str(op["id"])

    def _capture_fact(self, kind: str, data: dict[str, Any], parent_id: str | None) -> str:
        record_id = _new_id()
        with self.local.tx():
            self._enqueue(kind, "create", record_id, None, data, parent_id)
            self.local.write_record(kind, record_id, None, data, None)
            if parent_id is not None:
                self.local.rebase("call", parent_id)
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
        """Build, check and queue an op; InvalidInput names each field the server would reject."""
        op: dict[str, Any] = {
            "id": _new_id(),
            "seq": self.local.next_seq(),
            "hlc": str(self.clock.send()),
            "kind": kind,
            "action": action,
            "record_id": record_id,
            "base_version": base_version,
            "device_time": self.now().isoformat(),
            "data": data,
        }
        author = self._signed_in_id()
        if author is not None:
            op["author_id"] = author
        if self._learned is not None:
            server_time, device_time, at = self._learned
            elapsed_ms = max(0, round((self.monotonic() - at) * 1000))
            op["clock"] = {"server_time": server_time, "device_time": device_time,
                           "elapsed_ms": elapsed_ms}
        parsed = parse_operation(op, CURRENT_PROTOCOL)
        errors = parsed.errors if isinstance(parsed, Rejection) else self.registry.check(parsed)
        if errors:
            raise InvalidInput(errors)
        self.local.append_op(op, parent_id)
        self.local.set_meta("hlc", str(self.clock.last))
        return op

    # -- push -----------------------------------------------------------------------------------
    def push(self) -> PushReport:
        """Send the outbox in seq order, in batches, until it is empty or the server defers."""
        with self._only_one_sync():
            return self._push()

    def _push(self) -> PushReport:
        report = PushReport()
        size = MAX_PUSH_BATCH
        while batch := self.local.outbox_batch(size):
            body = {
                "protocol_version": CURRENT_PROTOCOL,
                "device_time": self.now().isoformat(),
                "ops": [op for _, _, op in batch],
            }
            try:
                answer = self._request("POST", PUSH_PATH, payload=body)
            except SyncError as exc:
                if exc.status != 413 or len(batch) == 1:
                    raise
                size = len(batch) // 2  # over the server's body limit: half as many ops
                continue
            self._learn_server_time(answer)
            if self._settle(batch, answer, report) == 0:
                raise SyncError(
                    f"server deferred every op: it has seq {answer.get('last_seq')}, "
                    f"the outbox starts at {batch[0][0]}",
                    body=answer,
                )
        return report

    def _settle(self, batch: list[tuple[int, str, dict[str, Any]]], answer: Any, report: PushReport) -> int:
        """Apply one push answer in one transaction; returns how many ops left the outbox."""
        results = [OpResult.from_json(r) for r in answer.get("results", [])]
        if len(results) != len(batch):
            raise SyncError("push answer does not have one result per op", body=answer)
        settled = 0
        with self.local.tx():
            for (seq, op_id, op), result in zip(batch, results, strict=True):
                if result.outcome is Outcome.DEFERRED:
                    continue  # sent again from the server's last_seq + 1 by the next loop
                if result.id != op_id:
                    raise SyncError(f"push result for {result.id} answers op {op_id}", body=answer)
                self.local.settle(seq, op, result)
                settled += 1
                report.sent += 1
                report.replayed += result.replayed
                key = result.outcome.value
                report.outcomes[key] = report.outcomes.get(key, 0) + 1
        return settled

    # -- pull -----------------------------------------------------------------------------------
    def pull(self) -> int:
        """Apply the change feed page by page; returns the number of changes applied."""
        with self._only_one_sync():
            try:
                return self._pull()
            except _Retire as exc:
                self._retire(str(exc))

    def _pull(self) -> int:
        applied, reset = 0, False
        while True:
            params: dict[str, Any] = {"limit": PULL_LIMIT}
            cursor = self.local.meta("cursor")
            if cursor:
                params["cursor"] = cursor
            try:
                page = self._request("GET", PULL_PATH, params=params)
            except ResyncRequired:
                if reset:
                    raise SyncError("the server asked for a resync twice in one pull") from None
                reset = True
                with self.local.tx():
                    self.local.drop_server_copy()
                continue
            self._learn_server_time(page)
            with self.local.tx():
                for change in page["changes"]:
                    self.local.apply_change(change)
                self.local.set_meta("cursor", page["cursor"])
            applied += len(page["changes"])
            if not page["has_more"]:
                return applied

    def sync(self) -> SyncReport:
        """Push the outbox, then pull the feed (what the app runs on reconnect). A retired
        device sends everything, then wipes (DeviceRevoked, reason `retired`)."""
        with self._only_one_sync():
            try:
                pushed = self._push()
                return SyncReport(pushed, self._pull())
            except _Retire as exc:
                self._retire(str(exc))

    def _signed_in_id(self) -> int | None:
        """The person signed in on this client: the author of what it captures."""
        saved = self.local.meta("user")
        user = json.loads(saved) if saved else None
        person = user.get("id") if isinstance(user, dict) else None
        return person if type(person) is int else None

    def _learn_server_time(self, answer: Any) -> None:
        """Keep an answer's server_time with the wall and monotonic clocks as it arrived, and
        merge its HLC into the device's clock (kept, so a restart does not lose it)."""
        heard = answer.get("hlc") if isinstance(answer, dict) else None
        if isinstance(heard, str):
            with suppress(ValueError), self.local.tx():
                self.clock.recv(Timestamp.parse(heard))
                self.local.set_meta("hlc", str(self.clock.last))
        server_time = answer.get("server_time") if isinstance(answer, dict) else None
        if not isinstance(server_time, str):
            return
        try:
            learned = datetime.fromisoformat(server_time)
        except ValueError:
            return
        if learned.tzinfo is not None:
            self._learned = (server_time, self.now().isoformat(), self.monotonic())

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
        device_id = self.local.meta("device_id")
        if device_id:
            body["device_id"] = device_id
        if device_name:
            body["device_name"] = device_name
        answer = self._request("POST", LOGIN_PATH, payload=body, bearer=None)
        with self.local.tx():
            self.local.set_meta("device_id", str(answer["device_id"]))
            self.local.set_meta(ACCESS_KEY, answer["access_token"])
            self.local.set_meta(REFRESH_KEY, answer["refresh_token"])
            self.local.set_meta("user", json.dumps(answer.get("user")))
        user: dict[str, Any] = answer.get("user") or {}
        return user

    def logout(self) -> None:
        """End the sign-in on the server when it answers (its tokens are refused from then on),
        then forget the tokens; refused while anything is unsent (it would be stranded)."""
        unsent = self.unsent_count()
        if unsent:
            raise SyncError(f"{unsent} entries are not sent yet: sync before signing out")
        with suppress(Offline, NeedsLogin):  # offline or already ended: forget them here
            self._request("POST", LOGOUT_PATH)
        with self.local.tx():
            self.local.set_meta(ACCESS_KEY, None)
            self.local.set_meta(REFRESH_KEY, None)

    def _refresh(self) -> None:
        """New tokens for the refresh token, which is used up by it (the server rotates it):
        both are kept in one transaction. A lost answer is retried with the same token, which
        the server honours for a short grace."""
        answer = self._request("POST", REFRESH_PATH, bearer=REFRESH_KEY)
        with self.local.tx():
            self.local.set_meta(ACCESS_KEY, answer["access_token"])
            self.local.set_meta(REFRESH_KEY, answer["refresh_token"])

    def _wipe(self, message: str, reason: str = "lost") -> NoReturn:
        unsent = self.unsent_count()
        self.local.destroy()
        raise DeviceRevoked(message or "this device was revoked; its local data was deleted", 401,
                            reason=reason, unsent=unsent)

    def _retire(self, message: str) -> NoReturn:
        """Send the whole outbox (Offline propagates: it stays queued for the next try), sign
        out, which ends every sign-in on the device, then wipe. Refused on the way (signed out,
        revoked as lost), it wipes with what was left counted."""
        with suppress(NeedsLogin, _Retire):
            self._push()
        with suppress(NeedsLogin, _Retire, Offline):
            self._request("POST", LOGOUT_PATH)
        self._wipe(message, reason="retired")

    # -- HTTP -----------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        payload: Any = None,
        params: dict[str, Any] | None = None,
        bearer: str | None = ACCESS_KEY,
    ) -> Any:
        attempt, refreshed = 0, False
        while True:
            headers = {}
            if bearer is not None:
                value = self.local.meta(bearer)
                if not value:
                    raise NeedsLogin("sign in online first")
                headers["Authorization"] = f"Bearer {value}"
            try:
                response = self.session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=payload,
                    headers=headers,
                    timeout=REQUEST_TIMEOUT_S,
                )
                body = _json_or_none(response)
            except TRANSPORT_FAILURES as exc:
                attempt = self._wait_before_retry(attempt, f"{type(exc).__name__}: {exc}")
                continue
            status = response.status_code
            if status >= 500 or status == 429:
                at_least = _retry_after(response) if status == 429 else 0.0
                attempt = self._wait_before_retry(attempt, f"HTTP {status}", at_least)
                continue
            if status == NO_CONTENT:
                return None
            if status < 400:
                if not isinstance(body, dict):  # cut short or mangled on the way: not an answer
                    attempt = self._wait_before_retry(attempt, f"HTTP {status} without its body")
                    continue
                return body
            action = body.get("action") if isinstance(body, dict) else None
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            if status == 401 and action == "refresh" and bearer == ACCESS_KEY and not refreshed:
                self._refresh()
                refreshed = True
                continue
            if status == 401 and action == "wipe":
                self._wipe(message)
            if status == 401 and action == "retire":
                raise _Retire(message or "this device was retired", status, body)
            if status == 401 and bearer is not None:
                raise NeedsLogin(message or "sign in online", status, body)
            if status == 410 and action == "resync":
                raise ResyncRequired(message or "resync from scratch", status, body)
            raise SyncError(message or f"HTTP {status}", status, body)

    def _wait_before_retry(self, attempt: int, why: str, at_least: float = 0.0) -> int:
        if attempt + 1 >= MAX_ATTEMPTS:
            raise Offline(f"no answer after {MAX_ATTEMPTS} tries ({why}); unsent ops stay queued")
        self.sleep(max(at_least, full_jitter(attempt, rand=self.rand)))
        return attempt + 1

    # -- views ----------------------------------------------------------------------------------
    def unsent_count(self) -> int:
        return self.local.unsent_count()

    def records(self, kind: str) -> list[dict[str, Any]]:
        return self.local.records(kind)

    def conflicts(self) -> list[dict[str, Any]]:
        """Open conflicts for this user, as the pull delivered them."""
        return self.local.records("conflict")

    def rejected(self) -> list[dict[str, Any]]:
        """Ops the server rejected, with its reasons; they never block the outbox."""
        return self.local.rejected()

    def status(self) -> dict[str, Any]:
        meta = self.local.meta
        user = meta("user")
        return {
            "device_id": meta("device_id"),
            "user": json.loads(user) if user else None,
            "signed_in": bool(meta(REFRESH_KEY)),
            "unsent": self.unsent_count(),
            "rejected": len(self.rejected()),
            "conflicts": len(self.conflicts()),
            "has_cursor": meta("cursor") is not None,
            "next_seq": self.local.next_seq(),
        }


def _new_id() -> str:
    """A UUIDv7: sorts by creation time, made on the device."""
    return str(uuid7())


def _retry_after(response: HTTPResponse) -> float:
    """Seconds from a Retry-After header given in seconds (0 when absent or a date)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "0")))
    except ValueError:
        return 0.0


def _json_or_none(response: HTTPResponse) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
