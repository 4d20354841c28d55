"""A requests-compatible fake server: the sync API served from MemoryStore and apply_push.

It lets client tests drop requests or responses, crash the app between send
and settle, expire tokens, revoke the device and expire cursors, all without
a network. The real API tests against Flask live with the server.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from server.calls.kinds import MEMORY_FACTS
from server.kinds import record_registry
from sync.cursor import scope_fingerprint
from sync.hlc import Clock
from sync.memory_store import MemoryStore
from sync.ops import OpResult, Outcome
from sync.pull import ResyncRequiredError, serve_pull
from sync.push import Actor, PushRequestError, apply_push

SERVER_NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
SCOPE = scope_fingerprint(["unit:1"])
# The fake server's cursor signing key (the real one derives its key from SECRET_KEY).
CURSOR_KEY = b"fake server cursor key"


class AppKilled(BaseException):
    """The tablet's app is killed: nothing after this point runs."""


@dataclass
class FakeResponse:
    status_code: int
    body: Any
    headers: dict[str, str]

    def json(self) -> Any:
        if self.body is None:
            raise ValueError("no JSON body")
        return copy.deepcopy(self.body)


def error(status: int, message: str, action: str | None = None, **errors: Any) -> FakeResponse:
    body: dict[str, Any] = {"code": status, "status": "error", "message": message, "errors": errors}
    if action:
        body["action"] = action
    return FakeResponse(status, body, {})


class FakeServer:
    def __init__(self, now: Callable[[], datetime] = lambda: SERVER_NOW) -> None:
        self.now = now
        self.clock = Clock(lambda: int(self.now().timestamp() * 1000), "server")
        self.store = MemoryStore(facts=MEMORY_FACTS)
        self.registry = record_registry()
        self.passwords = {"ana": "correct horse"}
        self.access: dict[str, str] = {}  # token -> device id
        self.refresh: dict[str, str] = {}
        # Refresh tokens just rotated away (token -> device): one retry each is honoured, as the
        # server does within its grace for a refresh whose answer was lost.
        self.rotated_away: dict[str, str] = {}
        self.signed_out: set[str] = set()  # devices whose sign-in was ended
        self.expired_access: set[str] = set()
        self.revoked: set[str] = set()
        self.retired: set[str] = set()  # may push and sign out; anything else answers `retire`
        self.faults: list[str] = []  # one per coming request: drop_request, drop_response, ...
        self.log: list[tuple[str, str]] = []
        self.scope = SCOPE  # what the signed-in user may see; a change means resync
        self.pushes: dict[str, list[dict[str, Any]]] = {}  # every push body, per device
        self._ids = itertools.count(1)

    # -- test controls ----------------------------------------------------------------------------
    def expire_access_tokens(self) -> None:
        self.expired_access |= set(self.access)

    def expire_refresh_tokens(self) -> None:
        self.refresh.clear()
        self.rotated_away.clear()
        self.expire_access_tokens()

    def paths(self) -> list[str]:
        return [path.rsplit("/", 1)[-1] for _, path in self.log]

    # -- requests.Session.request -----------------------------------------------------------------
    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> FakeResponse:
        path = urlsplit(url).path
        self.log.append((method, path))
        fault = self.faults.pop(0) if self.faults else None
        if fault == "drop_request":
            raise requests.ConnectionError("request lost")
        if fault == "500":
            return error(500, "internal error")
        if fault == "413":
            return error(413, "request body too large")
        if fault == "429":
            throttled = error(429, "too many attempts")
            throttled.headers["Retry-After"] = "7"
            return throttled
        response = self._route(method, path, params or {}, copy.deepcopy(json), headers or {}, fault)
        if fault == "drop_response":
            raise requests.ConnectionError("response lost")
        if fault == "cut_body":  # the headers arrived, the body was cut off
            raise requests.exceptions.ChunkedEncodingError("Connection broken: IncompleteRead")
        if fault == "undecodable_body":
            raise requests.exceptions.ContentDecodingError("Received response with content-"
                                                           "encoding: gzip, but failed to decode it")
        if fault == "read_timeout":
            raise requests.ReadTimeout("Read timed out. (read timeout=30.0)")
        if fault == "garbled_body":  # a 2xx whose body is not the JSON answer (a proxy's page)
            return FakeResponse(response.status_code, None, {})
        if fault == "not_an_object":
            return FakeResponse(response.status_code, ["<html>"], {})
        if fault == "kill_app":
            raise AppKilled
        return response

    def _route(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        body: Any,
        headers: dict[str, str],
        fault: str | None,
    ) -> FakeResponse:
        if (method, path) == ("POST", "/api/v1/auth/login"):
            return self._login(body)
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        if (method, path) == ("POST", "/api/v1/auth/refresh"):
            return self._refresh(token)
        device = self.access.get(token)
        if device in self.revoked:
            return error(401, "device revoked", "wipe")
        if device is None:
            return error(401, "sign in again", "login")
        if token in self.expired_access:
            return error(401, "access token expired", "refresh")
        if device in self.retired and path not in ("/api/v1/sync/push", "/api/v1/auth/logout"):
            return error(401, "device retired", "retire")
        if (method, path) == ("POST", "/api/v1/auth/logout"):
            self._end_sign_in(device)
            return FakeResponse(204, None, {})
        if (method, path) == ("POST", "/api/v1/sync/push"):
            earlier = self.pushes.setdefault(device, [])
            if fault == "replay_old" and earlier:  # a stale duplicate batch arrives first
                self._push(device, earlier[0], None)
            earlier.append(copy.deepcopy(body))
            return self._push(device, body, fault)
        if (method, path) == ("GET", "/api/v1/sync/pull"):
            return self._pull(params)
        return error(404, "not found")

    def _refresh(self, token: str) -> FakeResponse:
        """Rotation: the token sent is used up; the one just rotated away is honoured once more
        (a lost answer); any other reuse ends the sign-in."""
        device = self.refresh.pop(token, None) or self.rotated_away.pop(token, None)
        if device in self.revoked:
            return error(401, "device revoked", "wipe")
        if device is None:
            return error(401, "sign in again", "login")
        self.rotated_away = {t: d for t, d in self.rotated_away.items() if d != device}
        self.rotated_away[token] = device
        return FakeResponse(200, {"access_token": self._issue(self.access, device),
                                  "refresh_token": self._issue(self.refresh, device),
                                  "access_expires_in": 900}, {})

    def _end_sign_in(self, device: str) -> None:
        for table in (self.access, self.refresh, self.rotated_away):
            for token in [t for t, d in table.items() if d == device]:
                del table[token]
        self.signed_out.add(device)

    def _issue(self, table: dict[str, str], device: str) -> str:
        token = f"tok-{next(self._ids)}"
        table[token] = device
        return token

    def _login(self, body: dict[str, Any]) -> FakeResponse:
        if self.passwords.get(body.get("username", "")) != body.get("password"):
            return error(401, "wrong username or password")
        device = body.get("device_id") or f"device-{next(self._ids)}"
        return FakeResponse(
            200,
            {
                "access_token": self._issue(self.access, device),
                "refresh_token": self._issue(self.refresh, device),
                "access_expires_in": 900,
                "device_id": device,
                "user": {"id": 1, "username": body["username"], "role": "responder", "unit_id": 1},
            },
            {},
        )

    def _push(self, device: str, body: dict[str, Any], fault: str | None) -> FakeResponse:
        ops = body["ops"]
        tail: list[dict[str, Any]] = []
        if fault == "defer_tail":  # the server stops after the first op, as at a gap
            ops, tail = ops[:1], ops[1:]
        try:
            outcome = apply_push(
                self.store,
                self.registry,
                Actor(device, user_id=1),
                ops,
                body["protocol_version"],
                datetime.fromisoformat(body["device_time"]),
                self.now(),
            )
        except PushRequestError as exc:
            return error(422, str(exc), json=exc.errors)
        results = [r.to_json() for r in outcome.results]
        results += [OpResult(o["id"], o["seq"], Outcome.DEFERRED).to_json() for o in tail]
        return FakeResponse(
            200,
            {
                "results": results,
                "last_seq": outcome.last_seq,
                "server_time": self.now().isoformat(),
                "hlc": str(self.clock.send() if outcome.latest_hlc is None
                           else self.clock.recv(outcome.latest_hlc)),
                "skew_ms": outcome.skew_ms,
            },
            {},
        )

    def _pull(self, params: dict[str, Any]) -> FakeResponse:
        try:
            page = serve_pull(self.store, self.scope, params.get("cursor"), int(params["limit"]),
                              CURSOR_KEY)
        except ResyncRequiredError as exc:
            return error(410, str(exc), "resync")
        return FakeResponse(
            200,
            {
                "changes": [c.to_json() for c in page.changes],
                "cursor": page.cursor,
                "has_more": page.has_more,
                "total": page.total,
                "server_time": self.now().isoformat(),
                "hlc": str(self.clock.send()),
            },
            {},
        )
