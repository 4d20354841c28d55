"""Hybrid logical clock: orders a device's own operations without trusting its wall clock.

A timestamp is (wall_ms, counter, node), compared as a tuple; its text form
"%013d-%04d-%s" sorts the same way as text. The clock reads wall time through
an injected callable so tests are deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

# How far ahead of our own wall clock a remote timestamp may be and still be
# adopted. A tablet whose clock jumped a day (or a year) ahead would otherwise
# drag every clock that hears from it into the future, and since an HLC never
# goes backwards they would all stay there. One minute is far above the
# seconds by which network-synced clocks disagree, so honest peers are
# adopted unchanged; beyond it we advance only to now + MAX_DRIFT_MS. The server
# bounds the HLC of every op it takes the same way (sync/push.py) and answers
# with its own reading, which devices merge with `recv`.
MAX_DRIFT_MS = 60_000

# The counter has 4 digits in the text form (so text sorts like the tuple).
# Ten thousand events in one millisecond is not a real workload; if it ever
# happens, the clock borrows the next millisecond instead of widening the field.
MAX_COUNTER = 9_999

_WALL_DIGITS = 13  # epoch milliseconds fit in 13 digits until the year 2286


class Timestamp(NamedTuple):
    """One HLC reading; ordered by (wall_ms, counter, node), as a tuple compares. A tuple
    rather than a frozen dataclass: every pushed op carries one, and a tuple is made in a
    fifth of the time."""

    wall_ms: int
    counter: int
    node: str

    def __str__(self) -> str:
        return "%013d-%04d-%s" % (self.wall_ms, self.counter, self.node)  # noqa: UP031

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        """Read the text form; ValueError names what is wrong."""
        matched = _TEXT_FORM.fullmatch(text) if isinstance(text, str) else None
        if matched is not None:  # the well-formed case, in one step
            return cls(int(matched[1]), int(matched[2]), matched[3])
        parts = text.split("-", 2) if isinstance(text, str) else []
        if len(parts) != 3:
            raise ValueError("hlc must look like '<13 digits>-<4 digits>-<node>'")
        wall, counter, _node = parts
        if len(wall) != _WALL_DIGITS or not _DIGITS.fullmatch(wall):
            raise ValueError("hlc wall time must be 13 digits of epoch milliseconds")
        if len(counter) != 4 or not _DIGITS.fullmatch(counter):
            raise ValueError("hlc counter must be 4 digits")
        raise ValueError("hlc node must not be empty")


# The text form, as a JSON-schema pattern too (the OpenAPI document names it).
TEXT_PATTERN = r"^([0-9]{13})-([0-9]{4})-(.+)$"
_TEXT_FORM = re.compile(TEXT_PATTERN, re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")


class Clock:
    """A node's hybrid logical clock; `send` stamps local events, `recv` merges a remote one."""

    def __init__(self, now_ms: Callable[[], int], node: str, last: Timestamp | None = None) -> None:
        if not node:
            raise ValueError("node must not be empty")
        self._now_ms = now_ms
        self.node = node
        self.last = last if last is not None else Timestamp(0, 0, node)
        self.drift_refused = 0  # remote readings not adopted because too far ahead

    def send(self) -> Timestamp:
        """Stamp a local event: never earlier than any timestamp seen before."""
        return self._advance(self._now_ms(), None)

    def recv(self, remote: Timestamp) -> Timestamp:
        """Merge a remote timestamp (bounded by MAX_DRIFT_MS) and stamp the receipt."""
        now = self._now_ms()
        limit = now + MAX_DRIFT_MS
        if remote.wall_ms > limit:
            self.drift_refused += 1
            remote = Timestamp(limit, 0, remote.node)
        return self._advance(now, remote)

    def _advance(self, now: int, remote: Timestamp | None) -> Timestamp:
        wall = max(now, self.last.wall_ms, remote.wall_ms if remote else 0)
        counter = 0
        if wall == self.last.wall_ms:
            counter = self.last.counter + 1
        if remote is not None and wall == remote.wall_ms:
            counter = max(counter, remote.counter + 1)
        if counter > MAX_COUNTER:
            wall, counter = wall + 1, 0
        self.last = Timestamp(wall, counter, self.node)
        return self.last
