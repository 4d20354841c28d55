"""Opaque pull cursors: urlsafe base64 of compact JSON.

A cursor carries the feed position the device has applied, a fingerprint of
the scope it was issued for (a changed scope means resync), and, while a fresh
snapshot is being paged, the snapshot's state. Devices never look inside.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeGuard

# Bumped when the cursor layout changes; an old layout gets a clear ValueError.
CURSOR_VERSION = 1
# A query-string value; real cursors are under 200 characters.
MAX_CURSOR_LENGTH = 1024
# 16 hex digits (64 bits) of SHA-256 tell scopes apart; it is not a secret.
FINGERPRINT_HEX = 16


@dataclass(frozen=True)
class Snapshot:
    """A fresh snapshot in progress: records up to `upto`, resuming after key `after`."""

    upto: int
    after: str


@dataclass(frozen=True)
class Cursor:
    position: int
    scope: str
    snapshot: Snapshot | None = None


def scope_fingerprint(parts: Iterable[str]) -> str:
    """A short stable digest of what a device may see (e.g. its unit and role)."""
    digest = hashlib.sha256("\x1f".join(sorted(parts)).encode()).hexdigest()
    return digest[:FINGERPRINT_HEX]


def encode_cursor(cursor: Cursor) -> str:
    body: dict[str, object] = {"v": CURSOR_VERSION, "p": cursor.position, "s": cursor.scope}
    if cursor.snapshot is not None:
        body["su"] = cursor.snapshot.upto
        body["sa"] = cursor.snapshot.after
    raw = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(text: str) -> Cursor:
    """The cursor in `text`; ValueError("invalid cursor: ...") says what is wrong."""
    if not isinstance(text, str) or not text or len(text) > MAX_CURSOR_LENGTH:
        raise ValueError(f"invalid cursor: must be a string of 1..{MAX_CURSOR_LENGTH} characters")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body = json.loads(raw)
    except (binascii.Error, ValueError):
        raise ValueError("invalid cursor: not a cursor this server issued") from None
    if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
        raise ValueError("invalid cursor: unknown cursor version, pull without a cursor")
    position, scope = body.get("p"), body.get("s")
    if not _is_count(position) or not isinstance(scope, str):
        raise ValueError("invalid cursor: damaged position or scope")
    snapshot = None
    if "su" in body or "sa" in body:
        upto, after = body.get("su"), body.get("sa")
        if not _is_count(upto) or not isinstance(after, str):
            raise ValueError("invalid cursor: damaged snapshot state")
        snapshot = Snapshot(upto, after)
    return Cursor(position, scope, snapshot)


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
