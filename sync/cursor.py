"""Opaque pull cursors: urlsafe base64 of compact JSON, signed with the server's key.

A cursor carries the feed position the device has applied, a fingerprint of
the scope it was issued for (a changed scope means resync), and, while a fresh
snapshot is being paged, the snapshot's state. Devices never look inside, and
cannot change it: the text ends with an HMAC of the body under a key the
caller passes in (the server's secret key), so an edited position or scope is
as unreadable as random text. This module stays pure: it never reads the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeGuard

# Bumped when the cursor layout changes; an old layout gets a clear ValueError.
# 2: signed (an unsigned version-1 cursor is unreadable, and the device resyncs once).
CURSOR_VERSION = 2
# A query-string value; real cursors are under 200 characters.
MAX_CURSOR_LENGTH = 1024
# 16 hex digits (64 bits) of SHA-256 tell scopes apart; it is not a secret.
FINGERPRINT_HEX = 16
# 128 bits of HMAC-SHA256: far past guessing by trial against the API, and 22 characters.
SIGNATURE_BYTES = 16
# Between the body and its signature (not in urlsafe base64's alphabet).
SEPARATOR = "."


@dataclass(frozen=True)
class Snapshot:
    """A fresh snapshot in progress: records up to `upto`, resuming after key `after`;
    `left` is how many of the records its first page announced are still to come."""

    upto: int
    after: str
    left: int = 0


@dataclass(frozen=True)
class Cursor:
    position: int
    scope: str
    snapshot: Snapshot | None = None


def scope_fingerprint(parts: Iterable[str]) -> str:
    """A short stable digest of what a device may see (e.g. its unit and role)."""
    digest = hashlib.sha256("\x1f".join(sorted(parts)).encode()).hexdigest()
    return digest[:FINGERPRINT_HEX]


def encode_cursor(cursor: Cursor, key: bytes) -> str:
    """The cursor as text, signed with `key`."""
    body: dict[str, object] = {"v": CURSOR_VERSION, "p": cursor.position, "s": cursor.scope}
    if cursor.snapshot is not None:
        body["su"] = cursor.snapshot.upto
        body["sa"] = cursor.snapshot.after
        body["sl"] = cursor.snapshot.left
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    text = _b64(raw)
    return text + SEPARATOR + _b64(_signature(key, text))


def decode_cursor(text: str, key: bytes) -> Cursor:
    """The cursor in `text`, signed with `key`; ValueError("invalid cursor: ...") says what
    is wrong."""
    if not isinstance(text, str) or not text or len(text) > MAX_CURSOR_LENGTH:
        raise ValueError(f"invalid cursor: must be a string of 1..{MAX_CURSOR_LENGTH} characters")
    signed, _, signature = text.rpartition(SEPARATOR)
    try:
        given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    except (binascii.Error, ValueError):
        given = b""
    if not signed or not hmac.compare_digest(given, _signature(key, signed)):
        raise ValueError("invalid cursor: not a cursor this server issued")
    try:
        body = json.loads(base64.urlsafe_b64decode(signed + "=" * (-len(signed) % 4)))
    except (binascii.Error, ValueError):
        raise ValueError("invalid cursor: not a cursor this server issued") from None
    if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
        raise ValueError("invalid cursor: unknown cursor version, pull without a cursor")
    position, scope = body.get("p"), body.get("s")
    if not _is_count(position) or not isinstance(scope, str):
        raise ValueError("invalid cursor: damaged position or scope")
    snapshot = None
    if "su" in body or "sa" in body or "sl" in body:
        upto, after, left = body.get("su"), body.get("sa"), body.get("sl")
        if not _is_count(upto) or not isinstance(after, str) or not _is_count(left):
            raise ValueError("invalid cursor: damaged snapshot state")
        snapshot = Snapshot(upto, after, left)
    return Cursor(position, scope, snapshot)


def _signature(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()[:SIGNATURE_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
