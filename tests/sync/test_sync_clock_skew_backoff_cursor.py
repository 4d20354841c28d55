"""Small pure helpers: clock skew, backoff with jitter, opaque cursors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from sync.backoff import BASE_DELAY_S, MAX_DELAY_S, full_jitter
from sync.clock_skew import TimeSource, fact_time, measure_skew
from sync.cursor import (
    SIGNATURE_BYTES,
    Cursor,
    Snapshot,
    decode_cursor,
    encode_cursor,
    scope_fingerprint,
)

SERVER_NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def test_tablet_three_hours_ahead_has_its_fact_times_corrected() -> None:
    device_now = SERVER_NOW + timedelta(hours=3)
    skew = measure_skew(device_now, SERVER_NOW)
    assert skew == 3 * 3_600_000
    on_scene_on_device = device_now - timedelta(minutes=10)
    assert fact_time(on_scene_on_device, skew, None, SERVER_NOW) == (
        SERVER_NOW - timedelta(minutes=10), TimeSource.DEVICE_CLOCK, False)


def test_tablet_clock_behind_gives_negative_skew() -> None:
    assert measure_skew(SERVER_NOW - timedelta(seconds=2), SERVER_NOW) == -2000


class NoOffset(tzinfo):
    """A time zone that cannot say its offset: as good as none."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None


@pytest.mark.parametrize("naive", [datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=NoOffset())])  # noqa: DTZ001
def test_naive_times_are_refused_for_skew_naming_which(naive: datetime) -> None:
    with pytest.raises(ValueError, match=r"^device_now must be timezone-aware$"):
        measure_skew(naive, SERVER_NOW)
    with pytest.raises(ValueError, match=r"^server_now must be timezone-aware$"):
        measure_skew(SERVER_NOW, naive)


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (0, 1.0, BASE_DELAY_S),
        (3, 1.0, 8.0),
        (3, 0.5, 4.0),
        (3, 0.0, 0.0),
        (20, 1.0, MAX_DELAY_S),
        (10_000, 0.25, MAX_DELAY_S / 4),
    ],
)
def test_backoff_is_full_jitter_up_to_the_cap(attempt: int, rand: float, expected: float) -> None:
    assert full_jitter(attempt, rand=lambda: rand) == pytest.approx(expected)


KEY = b"the server's cursor key"


def _signed(body: bytes, key: bytes = KEY) -> str:
    """A cursor body as this server would sign it, whatever the body says."""
    text = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
    signature = hmac.new(key, text.encode(), hashlib.sha256).digest()[:SIGNATURE_BYTES]
    return f"{text}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def test_cursor_round_trips_with_and_without_snapshot() -> None:
    scope = scope_fingerprint(["unit:7", "role:responder"])
    for cursor in (Cursor(42, scope), Cursor(0, scope, Snapshot(900, "call:0193", 12))):
        text = encode_cursor(cursor, KEY)
        assert "=" not in text
        assert decode_cursor(text, KEY) == cursor


def test_an_edited_cursor_position_is_unreadable() -> None:
    text = encode_cursor(Cursor(42, "unit"), KEY)
    body, signature = text.split(".")
    edited = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    edited["p"] = 0  # back to the start of the feed: the device's own changes again
    forged = base64.urlsafe_b64encode(json.dumps(edited).encode()).rstrip(b"=").decode()
    with pytest.raises(ValueError, match="not a cursor this server issued"):
        decode_cursor(f"{forged}.{signature}", KEY)


def test_a_cursor_from_a_server_with_another_key_is_unreadable() -> None:
    text = encode_cursor(Cursor(42, "unit"), b"another server's key")
    with pytest.raises(ValueError, match="not a cursor this server issued"):
        decode_cursor(text, KEY)


def test_scope_fingerprint_ignores_order_and_tells_scopes_apart() -> None:
    assert scope_fingerprint(["a", "b"]) == scope_fingerprint(["b", "a"])
    assert scope_fingerprint(["unit:7"]) != scope_fingerprint(["unit:8"])


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "1..1024"),
        ("!!!not-base64!!!", "not a cursor"),
        ("e30", "not a cursor"),  # unsigned: a version-1 cursor's form
        ("e30.!!!", "not a cursor"),
        (_signed(b"not json"), "not a cursor"),
        (_signed(b"[1,2]"), "unknown cursor version"),
        (_signed(b'{"v":1,"p":1,"s":"x"}'), "unknown cursor version"),
        (_signed(b'{"v":2,"p":-1,"s":"x"}'), "position"),
        (_signed(b'{"v":2,"p":1,"s":"x","su":1}'), "snapshot"),
        (_signed(b'{"v":2,"p":0,"s":"x","su":1,"sa":"k","sl":-2}'), "snapshot"),
        (_signed(b'{"v":2,"p":0,"s":"x","sa":"k"}'), "snapshot"),
        (_signed(b'{"v":2,"p":0,"s":"x","sl":0}'), "snapshot"),
        (_signed(b'{"v":2,"p":0,"s":"x","su":-1,"sa":"k","sl":0}'), "snapshot"),
        ("e30.A", "not a cursor"),  # a signature that is not even base64
        ("x" * 1024, "not a cursor"),  # the longest text is read
        ("e30\ud800.AAAAAAAAAAAAAAAAAAAAAA", "not a cursor"),  # a lone surrogate in a query string
        ("x" * 2000, "1..1024"),
    ],
)
def test_bad_cursor_gives_a_clear_value_error(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"invalid cursor: .*{why}"):
        decode_cursor(text, KEY)


def test_a_scopes_fingerprint_stays_the_same_across_server_versions() -> None:
    # A changed fingerprint sends every tablet into a fresh pull after an upgrade.
    assert scope_fingerprint(["unit:7", "role:responder"]) == "f1db3279287a89e1"
    assert scope_fingerprint(["a", "bc"]) != scope_fingerprint(["ab", "c"])
