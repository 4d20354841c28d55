"""The field logs' rules: which kit stock a harm-reduction entry takes, the supervisor's
debrief queue, and the program's aggregates of surveys and harm reduction. Services take the
session and the actor, flush, and never commit.

The aggregates count; they never list a record, a call or a person served.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import User
from server.auth.permissions import CLINICAL_CONTENT_READERS
from server.changes import note_change, role_scope
from server.errors import DomainError, not_found
from server.fieldlogs.kinds import NALOXONE_ADMINISTERED, SHARPS_COLLECTED
from server.fieldlogs.models import DebriefRequest, DebriefState, HarmReductionEntry, PostCallSurvey
from server.locking import lock_row
from server.models_base import utcnow
from server.supplies.models import LedgerReason, StockLedgerEntry, SupplyCategory, SupplyItem, SupplyLot
from server.supplies.services import NewEntry, fefo_lots, post_entries, unit_kit
from server.units.models import Unit

# The feed kind of a debrief request: supervisors' devices hear of a new one.
DEBRIEF_KIND = "debrief_request"
# Who the debrief queue is for.
DEBRIEF_AUDIENCE = "supervisor"
# The catalog category an entry takes stock of (sharps collected takes none).
SUPPLY_CATEGORY = {NALOXONE_ADMINISTERED: SupplyCategory.NALOXONE,
                   **{c.value: c for c in SupplyCategory if c is not SupplyCategory.OTHER}}


# --- stock a harm-reduction entry takes off the unit's kit ------------------------------------

@dataclass(frozen=True)
class EntryGiven:
    """What a pushed entry gave, as the stock move needs it."""

    entry_id: str
    unit_id: int | None
    category: str
    quantity: int
    item_id: int | None
    lot_id: int | None
    at: datetime
    device_id: uuid.UUID


def take_from_kit(session: Session, actor: User, given: EntryGiven) -> str | None:
    """Post the entry's ledger entries on the unit's vehicle kit (administer for naloxone
    administered, distribute otherwise; nothing for sharps collected): the named lot, else
    the item's lots at the kit first expiry first, what none holds going on the last one
    taken (the kit goes below zero: a discrepancy for the supply manager). Never refuses:
    returns why no stock moved (no kit, no such item or lot) for the entry to keep."""
    if given.category == SHARPS_COLLECTED:
        return None
    kit = unit_kit(session, given.unit_id)
    if kit is None:
        return "no stock moved: the unit has no vehicle kit"
    moves = _lot_moves(session, kit.id, given)
    if isinstance(moves, str):
        return moves
    reason = (LedgerReason.ADMINISTER if given.category == NALOXONE_ADMINISTERED
              else LedgerReason.DISTRIBUTE)
    post_entries(session, [NewEntry(kit.id, lot_id, -quantity, reason, given.at, given.device_id,
                                    "harm_reduction_entry", uuid.UUID(given.entry_id))
                           for lot_id, quantity in moves], actor)
    return None


def _lot_moves(session: Session, kit_id: int, given: EntryGiven) -> list[tuple[int, int]] | str:
    """(lot, quantity taken) for the entry, or why there are none."""
    if given.lot_id is not None:
        lot = session.get(SupplyLot, given.lot_id)
        if lot is None:
            return f"no stock moved: no lot {given.lot_id} in the catalog"
        if given.item_id is not None and lot.item_id != given.item_id:
            return f"no stock moved: lot {lot.id} is not of item {given.item_id}"
        return [(lot.id, given.quantity)]
    item_id = given.item_id if given.item_id is not None else _category_item(session, given)
    if item_id is None or session.get(SupplyItem, item_id) is None:
        what = given.item_id if given.item_id is not None else SUPPLY_CATEGORY[given.category]
        return f"no stock moved: no catalog item {what}"
    moves: list[tuple[int, int]] = []
    left = given.quantity
    for held in fefo_lots(session, kit_id, item_id):
        take = min(left, held.on_hand)
        moves.append((held.lot.id, take))
        left -= take
        if left == 0:
            return moves
    if moves:  # more given than the kit holds: the rest from the last lot taken
        lot_id, take = moves[-1]
        return [*moves[:-1], (lot_id, take + left)]
    last = _last_lot_held(session, kit_id, item_id)
    if last is None:
        return f"no stock moved: the kit never held item {item_id}"
    return [(last, given.quantity)]


def _category_item(session: Session, given: EntryGiven) -> int | None:
    """The catalog's item of the entry's category (the first made, should there be several)."""
    return session.scalar(sa.select(SupplyItem.id).where(
        SupplyItem.category == SUPPLY_CATEGORY[given.category]).order_by(SupplyItem.id).limit(1))


def _last_lot_held(session: Session, kit_id: int, item_id: int) -> int | None:
    """The item's lot that last moved at the kit (all of them are used up)."""
    return session.scalar(
        sa.select(StockLedgerEntry.lot_id).join(SupplyLot, SupplyLot.id == StockLedgerEntry.lot_id)
        .where(StockLedgerEntry.location_id == kit_id, SupplyLot.item_id == item_id)
        .order_by(StockLedgerEntry.at.desc(), StockLedgerEntry.lot_id.desc()).limit(1))


# --- the debrief queue ------------------------------------------------------------------------

def open_debrief(session: Session, survey_id: str, call_id: uuid.UUID, unit_id: int | None,
                 asked_by_id: int, at: datetime) -> dict[str, Any]:
    """The row of a debrief request a survey opens (the push writes it after the survey's
    row), noted for the supervisors' devices."""
    debrief_id = uuid.uuid4()
    note_change(session, DEBRIEF_KIND, debrief_id, [role_scope(DEBRIEF_AUDIENCE)])
    return {"id": debrief_id, "survey_id": survey_id, "call_id": call_id, "unit_id": unit_id,
            "asked_by_id": asked_by_id, "asked_at": at, "state": DebriefState.OPEN.value,
            "done_by_id": None, "done_at": None, "note": None}


def list_debriefs(session: Session, actor: User, state: DebriefState | None) -> list[dict[str, Any]]:
    """The queue, oldest request first: the call, the unit, who asked and when; the survey's
    comment only for a clinical reader (the supervisor)."""
    return _debriefs(session, actor, *([DebriefRequest.state == state] if state else []))


def debrief_to_dict(session: Session, actor: User, debrief: DebriefRequest) -> dict[str, Any]:
    return _debriefs(session, actor, DebriefRequest.id == debrief.id)[0]


def _debriefs(session: Session, actor: User, *where: Any) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(DebriefRequest, PostCallSurvey.comment, Unit.call_sign)
        .join(PostCallSurvey, PostCallSurvey.id == DebriefRequest.survey_id)
        .outerjoin(Unit, Unit.id == DebriefRequest.unit_id)
        .where(*where).order_by(DebriefRequest.asked_at, DebriefRequest.id)).all()
    names = _names(session, {i for r in rows for i in (r[0].asked_by_id, r[0].done_by_id) if i})
    readable = actor.role in CLINICAL_CONTENT_READERS
    return [{"id": d.id, "call_id": d.call_id, "unit_id": d.unit_id, "unit_call_sign": sign,
             "asked_by_id": d.asked_by_id, "asked_by_name": names.get(d.asked_by_id),
             "asked_at": d.asked_at, "state": d.state, "done_by_id": d.done_by_id,
             "done_by_name": names.get(d.done_by_id), "done_at": d.done_at, "note": d.note,
             "comment": comment if readable else None}
            for d, comment, sign in rows]


def finish_debrief(session: Session, actor: User, debrief_id: uuid.UUID,
                   note: str | None) -> DebriefRequest:
    """The supervisor talked the call through: the request is done, once."""
    debrief = lock_row(session, DebriefRequest, debrief_id)
    if debrief is None:
        raise not_found("debrief request")
    if debrief.state is DebriefState.DONE:
        raise DomainError(409, "This debrief is already done.")
    debrief.state, debrief.done_by_id, debrief.done_at = DebriefState.DONE, actor.id, utcnow()
    debrief.note = note
    note_change(session, DEBRIEF_KIND, debrief.id, [role_scope(DEBRIEF_AUDIENCE)])
    session.flush()
    return debrief


def _names(session: Session, ids: set[int]) -> dict[int | None, str]:
    if not ids:
        return {}
    rows = session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids)))
    return {r.id: r.full_name for r in rows}


# --- records kept but flagged ----------------------------------------------------------------

def list_flagged(session: Session) -> list[dict[str, Any]]:
    """Entries and surveys kept though they name a call (or contact) that is not their unit's,
    newest first: what was recorded where, and why it is flagged (never its clinical text)."""
    found: list[dict[str, Any]] = []
    for kind, model in (("harm_reduction_entry", HarmReductionEntry),
                        ("post_call_survey", PostCallSurvey)):
        rows = session.execute(sa.select(model.id, model.call_id, model.unit_id, model.user_id,
                                         model.corrected_time, model.review_reason)
                               .where(model.review_reason.is_not(None)))
        found += [{"kind": kind, "id": r.id, "call_id": r.call_id, "unit_id": r.unit_id,
                   "user_id": r.user_id, "at": r.corrected_time, "reason": r.review_reason}
                  for r in rows]
    names = _names(session, {f["user_id"] for f in found if f["user_id"]})
    return [{**f, "user_name": names.get(f["user_id"])}
            for f in sorted(found, key=lambda f: f["at"], reverse=True)]


# --- the program's aggregates -----------------------------------------------------------------

def _between(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    found = []
    if since is not None:
        found.append(column >= since)
    if until is not None:
        found.append(column < until)
    return found


def _counts(session: Session, column: Any, where: list[Any]) -> dict[str, int]:
    rows = session.execute(sa.select(column, sa.func.count()).where(*where, column.is_not(None))
                           .group_by(column))
    return {str(value): int(n) for value, n in rows}


def survey_summary(session: Session, since: datetime | None, until: datetime | None,
                   unit_id: int | None) -> dict[str, Any]:
    """Counts of answers, skipped surveys by reason, and debriefs asked and done."""
    where = _between(PostCallSurvey.corrected_time, since, until)
    if unit_id is not None:
        where.append(PostCallSurvey.unit_id == unit_id)
    total = int(session.scalar(sa.select(sa.func.count()).select_from(PostCallSurvey)
                               .where(*where)) or 0)
    skipped = _counts(session, PostCallSurvey.skipped_reason, where)
    debriefs = _counts(session, DebriefRequest.state, [DebriefRequest.survey_id.in_(
        sa.select(PostCallSurvey.id).where(*where))])
    return {"surveys": total, "answered": total - sum(skipped.values()),
            "felt_safe": _yes_no(_counts(session, PostCallSurvey.felt_safe, where)),
            "police_requested": _yes_no(_counts(session, PostCallSurvey.police_requested, where)),
            "debrief_wanted": _yes_no(_counts(session, PostCallSurvey.debrief_wanted, where)),
            "debriefs": {s.value: debriefs.get(s.value, 0) for s in DebriefState},
            "skipped": [{"reason": r, "count": n} for r, n in sorted(skipped.items(),
                                                                     key=lambda i: (-i[1], i[0]))]}


def _yes_no(counts: dict[str, int]) -> dict[str, int]:
    return {"yes": counts.get("yes", 0), "no": counts.get("no", 0)}


def harm_reduction_summary(session: Session, since: datetime | None,
                           until: datetime | None) -> dict[str, Any]:
    """Naloxone doses administered and the responses, and what was given by category."""
    entries = HarmReductionEntry
    where = _between(entries.corrected_time, since, until)
    by_category = {str(c): (int(n), int(q)) for c, n, q in session.execute(
        sa.select(entries.category, sa.func.count(), sa.func.sum(entries.quantity))
        .where(*where).group_by(entries.category))}
    naloxone = [*where, entries.category == NALOXONE_ADMINISTERED]
    administrations, doses = by_category.pop(NALOXONE_ADMINISTERED, (0, 0))
    sharps_entries, sharps = by_category.pop(SHARPS_COLLECTED, (0, 0))
    unmoved = int(session.scalar(sa.select(sa.func.count()).select_from(entries).where(
        *where, entries.stock_note.is_not(None))) or 0)
    return {"naloxone_doses_administered": doses, "naloxone_administrations": administrations,
            "responses": _counts(session, entries.response, naloxone),
            "routes": _counts(session, entries.route, naloxone),
            "given": [{"category": c, "entries": n, "quantity": q}
                      for c, (n, q) in sorted(by_category.items())],
            "sharps_collected": sharps, "sharps_entries": sharps_entries,
            "entries_without_stock_move": unmoved}
