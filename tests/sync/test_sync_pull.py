"""The pull engine over the in-memory store: snapshot, then feed, never a skipped change."""

from __future__ import annotations

import inspect

import pytest

from sync.cursor import Cursor, decode_cursor, encode_cursor
from sync.memory_store import MemoryStore
from sync.pull import Change, PullPage, PullStore, ResyncRequiredError, serve_pull

SCOPE = "unit-1"
KEY = b"the server's cursor key"


class LaggingStore(MemoryStore):
    """Positions above `committed` belong to transactions still running."""

    committed: int | None = None

    def visible_upto(self) -> int:
        return self.position if self.committed is None else self.committed


def pull_all(store: MemoryStore, cursor: str | None, limit: int = 2) -> tuple[list[str], str]:
    """Follow has_more to the end; returns 'op kind:id' per change and the last cursor."""
    seen: list[str] = []
    while True:
        page = serve_pull(store, SCOPE, cursor, limit, KEY)
        seen += [f"{c.op} {c.kind}:{c.id}" for c in page.changes]
        cursor = page.cursor
        if not page.has_more:
            return seen, cursor


def test_fresh_pull_pages_a_snapshot_in_key_order_with_a_total() -> None:
    store = MemoryStore()
    for record_id in ("c", "a", "b"):
        store.put("call", record_id, {})
    store.put("premise", "p", {})
    first = serve_pull(store, SCOPE, None, 2, KEY)
    assert (first.total, first.has_more) == (4, True)
    assert [c.id for c in first.changes] == ["a", "b"]
    seen, _ = pull_all(store, first.cursor)
    assert seen == ["put call:c", "put premise:p"]


def test_fresh_pull_leaves_out_tombstones_and_removed_records() -> None:
    store = MemoryStore()
    store.put("call", "gone", {})
    store.put("call", "elsewhere", {})
    store.put("call", "mine", {})
    store.delete("call", "gone")
    store.remove_from_scope("call", "elsewhere")
    assert pull_all(store, None)[0] == ["put call:mine"]


def test_changes_made_while_a_snapshot_is_paged_arrive_from_the_feed() -> None:
    store = MemoryStore()
    for record_id in "abcd":
        store.put("call", record_id, {"n": 0})
    first = serve_pull(store, SCOPE, None, 2, KEY)
    store.put("call", "a", {"n": 1})  # already sent in the first page
    store.delete("call", "d")  # not sent yet
    seen, _ = pull_all(store, first.cursor)
    assert seen == ["put call:c", "put call:a", "delete call:d"]


def test_feed_never_serves_past_uncommitted_positions_so_nothing_is_skipped() -> None:
    store = LaggingStore()
    store.put("call", "a", {})
    _, cursor = pull_all(store, None)
    store.committed = store.position  # writer 1 takes the next position, not committed yet
    store.put("call", "slow", {})
    store.put("call", "fast", {})  # writer 2 commits a later position first
    store.committed = store.position - 2
    assert pull_all(store, cursor)[0] == []
    store.committed = store.position  # writer 1 commits
    assert pull_all(store, cursor)[0] == ["put call:slow", "put call:fast"]


def test_empty_feed_page_moves_the_cursor_to_the_visible_position() -> None:
    store = MemoryStore()
    store.put("call", "a", {})
    _, cursor = pull_all(store, None)
    store.put("supply_item", "x", {})
    _, cursor = pull_all(store, cursor)
    page = serve_pull(store, SCOPE, cursor, 10, KEY)
    assert page == PullPage([], cursor, False, None)
    assert decode_cursor(cursor, KEY).position == store.position


def test_cursor_older_than_tombstone_retention_asks_for_resync() -> None:
    store = MemoryStore()
    store.put("call", "a", {})
    _, cursor = pull_all(store, None)
    store.delete("call", "a")
    store.purged_upto = store.position
    with pytest.raises(ResyncRequiredError, match=r"^the cursor is older than the tombstone retention$"):
        serve_pull(store, SCOPE, cursor, 10, KEY)


def test_cursor_from_another_scope_asks_for_resync() -> None:
    cursor = encode_cursor(Cursor(0, "unit-2"), KEY)
    with pytest.raises(ResyncRequiredError, match=r"^what this device may see has changed$"):
        serve_pull(MemoryStore(), SCOPE, cursor, 10, KEY)


def test_a_limit_below_one_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^limit must be at least 1$"):
        serve_pull(MemoryStore(), SCOPE, None, 0, KEY)


def test_a_cursor_that_cannot_be_read_asks_for_resync() -> None:
    with pytest.raises(ResyncRequiredError, match="cannot be read"):
        serve_pull(MemoryStore(), SCOPE, "garbage!", 10, KEY)


def test_a_cursor_signed_with_another_key_asks_for_resync() -> None:
    store = MemoryStore()
    store.put("call", "a", {})
    _, cursor = pull_all(store, None)
    with pytest.raises(ResyncRequiredError, match="cannot be read"):
        serve_pull(store, SCOPE, cursor, 10, b"another server's key")


def test_memory_store_has_every_pull_store_method_with_the_same_signature() -> None:
    for name, member in inspect.getmembers(PullStore, inspect.isfunction):
        if not name.startswith("_"):
            assert inspect.signature(getattr(MemoryStore, name)) == inspect.signature(member)


class GroupedStore(MemoryStore):
    """A feed whose entries may stand for several records sharing one position (like the
    server's location batches): position -> ids; changes() returns whole groups only."""

    def __init__(self, groups: dict[int, list[str]]) -> None:
        super().__init__()
        self.groups = groups
        self.position = max(groups)

    def changes(self, scope: str, after: int, upto: int, limit: int) -> list[Change]:
        out: list[Change] = []
        for position in sorted(p for p in self.groups if after < p <= upto):
            if len(out) >= limit:
                break  # only after `limit` changes, at a group's end
            out += [Change("location_point", i, "put", 1, {}, position) for i in self.groups[position]]
        return out


def _feed_pages(store: MemoryStore, limit: int) -> list[list[str]]:
    cursor = encode_cursor(Cursor(0, SCOPE), KEY)
    pages = []
    while True:
        page = serve_pull(store, SCOPE, cursor, limit, KEY)
        pages.append([c.id for c in page.changes])
        cursor = page.cursor
        if not page.has_more:
            return pages


def test_a_feed_page_is_cut_at_a_position_boundary_never_inside_a_group() -> None:
    store = GroupedStore({1: ["a", "b"], 2: ["c", "d", "e"], 3: ["f"], 4: ["g", "h"]})

    pages = _feed_pages(store, limit=4)

    assert pages == [["a", "b"], ["c", "d", "e", "f"], ["g", "h"]]


def test_a_group_larger_than_the_limit_is_served_whole_and_nothing_is_skipped() -> None:
    store = GroupedStore({1: ["a"], 2: ["b", "c", "d", "e", "f"], 3: ["g"], 5: ["h", "i"]})

    pages = _feed_pages(store, limit=2)

    assert pages == [["a"], ["b", "c", "d", "e", "f"], ["g"], ["h", "i"]]
    flat = [i for page in pages for i in page]
    assert sorted(flat) == list("abcdefghi")
    assert len(flat) == len(set(flat))


class WholeFeedStore(GroupedStore):
    """A store that hands the engine every change up to `upto` at once (the protocol lets a
    store stop early, never obliges it to): the engine alone cuts the page."""

    def changes(self, scope: str, after: int, upto: int, limit: int) -> list[Change]:
        return super().changes(scope, after, upto, 10**6)


def test_a_group_larger_than_the_limit_is_served_alone_even_when_another_group_follows() -> None:
    store = WholeFeedStore({1: ["a", "b", "c"], 2: ["d"], 3: ["e", "f"]})

    pages = _feed_pages(store, limit=2)

    assert pages == [["a", "b", "c"], ["d"], ["e", "f"]]


def test_a_page_ends_at_the_last_whole_group_that_fits() -> None:
    store = WholeFeedStore({1: ["a"], 2: ["b"], 3: ["c", "d"], 4: ["e"]})

    pages = _feed_pages(store, limit=3)

    assert pages == [["a", "b"], ["c", "d", "e"]]


class TwoUnitsStore(MemoryStore):
    """Records of two units in one feed; a record's unit is its data's `unit`."""

    def snapshot(self, scope: str, upto: int, after_key: str, limit: int) -> list[Change]:
        return [c for c in super().snapshot(scope, upto, after_key, 10**6) if self._of(c, scope)][:limit]

    def count(self, scope: str) -> int:
        return len(self.snapshot(scope, self.position, "", 10**6))

    def changes(self, scope: str, after: int, upto: int, limit: int) -> list[Change]:
        return [c for c in super().changes(scope, after, upto, 10**6) if self._of(c, scope)][:limit]

    def _of(self, change: Change, scope: str) -> bool:
        return self.records[(change.kind, change.id)].data.get("unit") == scope


def test_a_device_is_served_its_own_scope_in_the_snapshot_and_in_the_feed() -> None:
    store = TwoUnitsStore()
    for record_id, unit in (("a", SCOPE), ("b", "unit-2"), ("c", SCOPE)):
        store.put("call", record_id, {"unit": unit})
    first = serve_pull(store, SCOPE, None, 1, KEY)
    assert first.total == 2
    seen, cursor = pull_all(store, first.cursor, limit=1)
    assert [c.id for c in first.changes] + seen == ["a", "put call:c"]
    store.put("call", "d", {"unit": "unit-2"})
    store.put("call", "e", {"unit": SCOPE})
    assert pull_all(store, cursor, limit=1)[0] == ["put call:e"]


class AskedStore(MemoryStore):
    """Records what the engine asks of it: (method, upto, limit)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, int, int]] = []

    def snapshot(self, scope: str, upto: int, after_key: str, limit: int) -> list[Change]:
        self.asked.append(("snapshot", upto, limit))
        return [c for c in super().snapshot(scope, upto, after_key, limit) if c.position <= upto]

    def changes(self, scope: str, after: int, upto: int, limit: int) -> list[Change]:
        self.asked.append(("changes", upto, limit))
        return super().changes(scope, after, upto, limit)


def test_the_engine_asks_a_store_for_one_row_more_than_a_page_as_of_the_snapshot() -> None:
    store = AskedStore()
    for record_id in "abc":
        store.put("call", record_id, {})
    first = serve_pull(store, SCOPE, None, 2, KEY)
    store.put("call", "d", {})  # after the snapshot's position: comes from the feed
    seen, _ = pull_all(store, first.cursor, limit=2)
    assert [c.id for c in first.changes] + seen == ["a", "b", "put call:c", "put call:d"]
    assert store.asked == [("snapshot", 3, 3), ("snapshot", 3, 3), ("changes", 4, 3)]


def test_a_snapshot_of_exactly_one_page_ends_with_that_page() -> None:
    store = MemoryStore()
    for record_id in "ab":
        store.put("call", record_id, {})
    page = serve_pull(store, SCOPE, None, 2, KEY)
    assert ([c.id for c in page.changes], page.has_more) == (["a", "b"], False)
    assert decode_cursor(page.cursor, KEY) == Cursor(store.position, SCOPE)


def test_a_fresh_snapshot_starts_before_the_first_key_whatever_the_keys_look_like() -> None:
    store = MemoryStore()
    for kind in ("Alert", "0-priority", "call"):
        store.put(kind, "a", {})
    seen, _ = pull_all(store, None, limit=5)
    assert seen == ["put 0-priority:a", "put Alert:a", "put call:a"]


def test_an_unreadable_cursor_asks_for_resync_with_the_reason_it_could_not_be_read() -> None:
    with pytest.raises(ResyncRequiredError) as caught:
        serve_pull(MemoryStore(), SCOPE, "garbage!", 10, KEY)
    assert caught.value.args == ("the cursor cannot be read",
                                 "invalid cursor: not a cursor this server issued")


def test_every_snapshot_page_says_how_many_changes_are_still_to_come() -> None:
    store = MemoryStore()
    for record_id in "abcde":
        store.put("call", record_id, {})
    totals, cursor = [], None
    while True:
        page = serve_pull(store, SCOPE, cursor, 2, KEY)
        totals.append(page.total)
        cursor = page.cursor
        if not page.has_more:
            break
    assert totals == [5, 3, 1]
