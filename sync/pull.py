"""The pull engine: an opaque cursor in, one page of changes and the next cursor out.

Pure logic over an injected PullStore. A device without a cursor first pages
through a snapshot of its scope (ordered by a key the store defines, as of
feed position `upto`), then follows the change feed from `upto`: anything
that changed while the snapshot was paged arrives again from the feed, so
nothing is missed. The store's `visible_upto` is the highest position below
which every change is committed; the engine never serves past it, which is
what keeps a feed from skipping rows that commit out of order (on
PostgreSQL a store derives it from the snapshot xmin or a commit-time lock).
Cursors are signed with a key the caller passes (sync.cursor); one that cannot
be read (damaged, edited, from another server or an older layout) means the
device resyncs from scratch, as a changed scope does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sync.cursor import Cursor, Snapshot, decode_cursor, encode_cursor


@dataclass(frozen=True)
class Change:
    """One entry of a pull page; `position` and `key` stay on the server."""

    kind: str
    id: str
    op: str  # put | delete | remove
    version: int | None  # None for delete and remove
    data: dict[str, Any] | None
    position: int = 0
    key: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "op": self.op, "version": self.version, "data": self.data}


class PullStore(Protocol):
    def visible_upto(self) -> int:
        """The feed position at or below which every change is committed and visible."""
        ...

    def tombstone_floor(self) -> int:
        """Changes at or below this position may have been purged (tombstone retention)."""
        ...

    def snapshot(self, scope: str, upto: int, after_key: str, limit: int) -> list[Change]:
        """Live records of the scope after `after_key` in key order (each with its key)."""
        ...

    def count(self, scope: str) -> int:
        """How many records a fresh snapshot of the scope holds (for progress)."""
        ...

    def changes(self, scope: str, after: int, upto: int, limit: int) -> list[Change]:
        """Changes of the scope with after < position <= upto, in position order.

        Several changes may share a position (one feed entry standing for several
        records); a store returns such a group whole. It may stop before `upto` only
        after at least `limit` changes, and only at the end of a position group.
        """
        ...


@dataclass(frozen=True)
class PullPage:
    """`total`: the changes still to come, this page's included (for progress); on a feed
    page the engine leaves it to the store's caller (None), which can count the feed."""

    changes: list[Change]
    cursor: str
    has_more: bool
    total: int | None


class ResyncRequiredError(Exception):
    """HTTP 410 with action "resync": drop the cursor and pull from scratch. The first
    argument is the reason (one of a few fixed phrases), a second one the detail."""


# What the device is told when its cursor cannot be read (the cursor module says why).
UNREADABLE_CURSOR = "the cursor cannot be read"


def read_cursor(cursor_text: str, key: bytes) -> Cursor:
    """The cursor a device sent; ResyncRequiredError when it cannot be read."""
    try:
        return decode_cursor(cursor_text, key)
    except ValueError as exc:
        raise ResyncRequiredError(UNREADABLE_CURSOR, str(exc)) from None


def serve_pull(store: PullStore, scope: str, cursor_text: str | None, limit: int,
               key: bytes) -> PullPage:
    """One page for a device whose scope fingerprint is `scope`, cursors signed with `key`;
    ResyncRequiredError for a cursor that cannot be read or no longer serves, ValueError for
    a limit below 1."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if not cursor_text:
        upto = store.visible_upto()
        return _snapshot_page(store, Cursor(0, scope, Snapshot(upto, "", store.count(scope))),
                              limit, key)
    cursor = read_cursor(cursor_text, key)
    if cursor.scope != scope:
        raise ResyncRequiredError("what this device may see has changed")
    if cursor.snapshot is not None:
        return _snapshot_page(store, cursor, limit, key)
    if cursor.position < store.tombstone_floor():
        raise ResyncRequiredError("the cursor is older than the tombstone retention")
    return _feed_page(store, cursor, limit, key)


def _snapshot_page(store: PullStore, cursor: Cursor, limit: int, key: bytes) -> PullPage:
    assert cursor.snapshot is not None
    upto, after, left = cursor.snapshot.upto, cursor.snapshot.after, cursor.snapshot.left
    rows = store.snapshot(cursor.scope, upto, after, limit + 1)
    page = rows[:limit]
    if len(rows) > limit:
        rest = Snapshot(upto, page[-1].key, max(0, left - len(page)))
        return PullPage(page, encode_cursor(Cursor(0, cursor.scope, rest), key), True, left)
    # Snapshot done: follow the feed from the position it was taken at.
    has_more = store.visible_upto() > upto
    return PullPage(page, encode_cursor(Cursor(upto, cursor.scope), key), has_more,
                    max(left, len(page)))


def _feed_page(store: PullStore, cursor: Cursor, limit: int, key: bytes) -> PullPage:
    upto = store.visible_upto()
    rows = store.changes(cursor.scope, cursor.position, upto, limit + 1)
    if len(rows) <= limit:
        position = max(upto, cursor.position)
        return PullPage(rows, encode_cursor(Cursor(position, cursor.scope), key), False, None)
    page = rows[:_whole_groups(rows, limit)]
    return PullPage(page, encode_cursor(Cursor(page[-1].position, cursor.scope), key), True,
                    None)


def _whole_groups(rows: list[Change], limit: int) -> int:
    """How many rows to serve: at most `limit`, cut at a position boundary (the cursor is a
    position, so a group cut in two would lose its tail); a first group larger than the
    limit is served whole."""
    cut = limit
    boundary = rows[cut - 1].position
    if rows[cut].position != boundary:
        return cut
    while cut > 0 and rows[cut - 1].position == boundary:
        cut -= 1
    if cut > 0:
        return cut
    cut = limit
    while cut < len(rows) and rows[cut].position == boundary:
        cut += 1
    return cut
