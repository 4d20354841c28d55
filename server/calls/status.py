"""A call's status from its status facts: taps that withdraw an earlier tap, the furthest
state among the taps that stand, taps out of lifecycle order, and who may withdraw what.

A withdrawal is itself a fact (it names the tap it `withdraws`); the withdrawn tap stays in
the record. Pure functions (no Flask, no database): the call feature's rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from sync.merge import LIFECYCLE

# How long the person who tapped a status may withdraw it. A mis-tap is noticed within a
# minute or two (the screen changes, the call leaves the list); five minutes covers a crew
# that put the tablet down to drive off, and is short enough that a response-time figure
# read once a call is closed does not change under its reader.
STATUS_UNDO_MINUTES = 5
STATUS_UNDO_WINDOW = timedelta(minutes=STATUS_UNDO_MINUTES)

_RANK = {status: rank for rank, status in enumerate(LIFECYCLE)}


class StatusFact(NamedTuple):
    """One status fact as the rules need it: times are corrected (server clock)."""

    id: str
    status: str
    author_id: int | str | None  # a person's id as the push's Actor names them
    at: datetime
    uncertain: bool
    withdraws: str | None = None


class Refusal(NamedTuple):
    field: str
    message: str


def withdrawn_ids(facts: Iterable[StatusFact]) -> set[str]:
    return {f.withdraws for f in facts if f.withdraws is not None}


def standing(facts: Iterable[StatusFact]) -> list[StatusFact]:
    """The taps that count: neither withdrawn nor themselves withdrawals."""
    facts = list(facts)
    gone = withdrawn_ids(facts)
    return [f for f in facts if f.withdraws is None and f.id not in gone]


def current_status(base: str, facts: Iterable[StatusFact]) -> str:
    """The furthest state among `base` (what dispatch set) and the standing taps."""
    best = base
    for fact in standing(facts):
        if _RANK[fact.status] > _RANK[best]:
            best = fact.status
    return best


def reached_before(facts: Iterable[StatusFact], status: str, at: datetime) -> str | None:
    """The furthest later state a standing tap had reached by `at`, if any: a tap of `status`
    at `at` is then out of order (kept as a fact, not the call's current status). A late
    tap that happened before the later state (pushed after a long time offline) is not."""
    later = [f.status for f in standing(facts)
             if _RANK[f.status] > _RANK[status] and f.at <= at]
    return max(later, key=_RANK.__getitem__) if later else None


def withdrawal_refusal(facts: Iterable[StatusFact], target_id: str, status: str,
                       author_id: int | str | None, at: datetime, uncertain: bool) -> Refusal | None:
    """Why a withdrawal of tap `target_id` (among the call's facts), by `author_id` at `at`,
    may not stand; None when it may. The window is measured on trusted times only."""
    facts = list(facts)
    target = next((f for f in facts if f.id == target_id), None)
    if target is None:
        return Refusal("data.withdraws", "no status tap with this id on this call")
    if target.withdraws is not None:
        return Refusal("data.withdraws", "this is a withdrawal itself: tap the status again")
    if target_id in withdrawn_ids(facts):
        return Refusal("data.withdraws", "this tap was already withdrawn")
    if target.status != status:
        return Refusal("data.status", f"must be the status of the tap it withdraws ({target.status})")
    if author_id is None or target.author_id != author_id:
        return Refusal("author_id", "only the person who tapped a status may withdraw it")
    if uncertain or target.uncertain:
        return Refusal("device_time", "the time of the tap or of its withdrawal is uncertain: "
                                      "the undo window cannot be checked")
    if not timedelta(0) <= at - target.at <= STATUS_UNDO_WINDOW:
        return Refusal("device_time", f"a tap may be withdrawn within {STATUS_UNDO_MINUTES} "
                                      "minutes of it")
    return None
