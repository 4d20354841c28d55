"""The status rules as pure functions: withdrawn taps stand for nothing, a tap is out of order
only when a later state had been reached before it, and only its author withdraws it in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from server.calls.status import (
    STATUS_UNDO_WINDOW,
    StatusFact,
    current_status,
    reached_before,
    standing,
    withdrawal_refusal,
)

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ALICE, BOB = 1, 2


def tap(id_: str, status: str, minutes: float = 0, author: int = ALICE, *,
        withdraws: str | None = None, uncertain: bool = False) -> StatusFact:
    return StatusFact(id_, status, author, T0 + timedelta(minutes=minutes), uncertain, withdraws)


def test_a_withdrawn_tap_and_its_withdrawal_do_not_stand() -> None:
    facts = [tap("a", "en_route"), tap("b", "cleared", 1), tap("c", "cleared", 2, withdraws="b")]
    assert [f.id for f in standing(facts)] == ["a"]
    assert current_status("dispatched", facts) == "en_route"


def test_with_every_tap_withdrawn_the_status_is_what_dispatch_set() -> None:
    facts = [tap("b", "cleared", 1), tap("c", "cleared", 2, withdraws="b")]
    assert current_status("dispatched", facts) == "dispatched"


@pytest.mark.parametrize(("status", "minutes", "expected"), [
    ("en_route", 5, "cleared"),      # after cleared: out of order
    ("en_route", 1, "on_scene"),     # after on scene, before cleared
    ("en_route", -1, None),          # before every later state: a late push, in order
    ("cleared", 9, None),            # nothing is later than cleared
])
def test_a_tap_is_out_of_order_only_after_a_later_state_was_reached(
        status: str, minutes: float, expected: str | None) -> None:
    facts = [tap("a", "on_scene", 0), tap("b", "cleared", 2)]
    assert reached_before(facts, status, T0 + timedelta(minutes=minutes)) == expected


def test_a_withdrawn_later_state_does_not_make_a_tap_out_of_order() -> None:
    facts = [tap("b", "cleared", 0), tap("c", "cleared", 1, withdraws="b")]
    assert reached_before(facts, "on_scene", T0 + timedelta(minutes=2)) is None


FACTS = [tap("a", "on_scene", 0), tap("b", "cleared", 1), tap("x", "on_scene", 2, BOB),
         tap("y", "on_scene", 3, BOB, uncertain=True), tap("w", "on_scene", 3, withdraws="a")]


@pytest.mark.parametrize(("target", "status", "author", "after", "uncertain", "field"), [
    ("b", "cleared", ALICE, timedelta(minutes=1), False, None),
    ("b", "cleared", ALICE, STATUS_UNDO_WINDOW, False, None),
    ("b", "cleared", ALICE, STATUS_UNDO_WINDOW + timedelta(seconds=1), False, "device_time"),
    ("b", "cleared", ALICE, timedelta(seconds=-1), False, "device_time"),
    ("b", "cleared", ALICE, timedelta(minutes=1), True, "device_time"),
    ("y", "on_scene", BOB, timedelta(minutes=1), False, "device_time"),
    ("b", "cleared", BOB, timedelta(minutes=1), False, "author_id"),
    ("b", "cleared", None, timedelta(minutes=1), False, "author_id"),
    ("b", "on_scene", ALICE, timedelta(minutes=1), False, "data.status"),
    ("a", "on_scene", ALICE, timedelta(minutes=1), False, "data.withdraws"),
    ("w", "on_scene", ALICE, timedelta(minutes=1), False, "data.withdraws"),
    ("zz", "cleared", ALICE, timedelta(minutes=1), False, "data.withdraws"),
])
def test_who_may_withdraw_which_tap_and_when(target: str, status: str, author: int | None,
                                             after: timedelta, uncertain: bool,
                                             field: str | None) -> None:
    target_at = next(f.at for f in FACTS if f.id == target) if target != "zz" else T0
    refusal = withdrawal_refusal(FACTS, target, status, author, target_at + after, uncertain)
    assert (refusal.field if refusal else None) == field
