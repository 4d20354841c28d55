"""The gateway's signature, both ways: `X-Heart-Signature: sha256=<hex>` is the HMAC-SHA256,
keyed by ALERT_WEBHOOK_SECRET, of the X-Heart-Timestamp header, a dot and the body."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

# A signed message older (or further ahead) than this is refused: long enough for a gateway's
# own retry and a few seconds of clock drift, short enough that a captured receipt cannot be
# replayed later.
TIMESTAMP_WINDOW_SECONDS = 300
SIGNATURE_PREFIX = "sha256="


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def signed_headers(secret: str, body: bytes, now: datetime) -> dict[str, str]:
    timestamp = str(int(now.timestamp()))
    return {"Content-Type": "application/json", "X-Heart-Timestamp": timestamp,
            "X-Heart-Signature": signature(secret, timestamp, body)}


def verify(secret: str, timestamp: str | None, given: str | None, body: bytes,
           now: datetime) -> bool:
    """The signature matches and the timestamp is within the window."""
    if not secret or not timestamp or not given or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > TIMESTAMP_WINDOW_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)
