"""Rules for call types, calls and premises: dispatch edits, derived status, serialization."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from server.audit.services import record_audit
from server.auth.models import User
from server.calls.kinds import CALL
from server.calls.models import (
    Call,
    CallNote,
    CallStatus,
    CallStatusEvent,
    CallType,
    CallTypeEligibility,
    Premise,
)
from server.calls.status import StatusFact, current_status, standing
from server.changes import note_change, unit_scope
from server.dispositions.services import UNKNOWN_CODE, unknown_code
from server.errors import DomainError, field_error, not_found
from server.locking import lock_row
from server.models_base import utcnow
from server.sync.conflicts import escalate_conflicts
from server.units.models import Unit

LIFECYCLE = list(CallStatus)
LIFECYCLE_ORDER = [status.value for status in LIFECYCLE]
# Clinical fields (the call kind's): every change is audited.
CLINICAL_FIELDS = CALL.clinical
# How many earlier calls at a premise the responder sees: enough for a pattern, small offline.
PREMISE_HISTORY_LIMIT = 10
# The premise summary counts calls of the last week: recent enough to say what a crew may meet
# today, long enough to catch a pattern (a weapon call on Monday matters on Friday).
PREMISE_SUMMARY_DAYS = 7
# Earlier calls this near a premise count as its history too: a neighbour's door, the corner
# of the block (Durham's address points are about 30 m apart on a residential street).
PREMISE_HISTORY_RADIUS_M = 100.0
# A degree of latitude, and the mean Earth radius (IUGG), in metres.
METRES_PER_DEGREE = 111_195.0
EARTH_RADIUS_M = 6_371_008.8
# Near the poles a degree of longitude shrinks to nothing: the box stops widening here.
MIN_COS_LATITUDE = 0.01


def furthest(a: CallStatus, b: CallStatus) -> CallStatus:
    return a if LIFECYCLE.index(a) >= LIFECYCLE.index(b) else b


# --- call types -----------------------------------------------------------------------

def list_call_types(session: Session) -> list[CallType]:
    stmt = sa.select(CallType).options(selectinload(CallType.eligibility)).order_by(CallType.name)
    return list(session.scalars(stmt))


def get_call_type(session: Session, call_type_id: int) -> CallType:
    found = session.get(CallType, call_type_id)
    if found is None:
        raise not_found("call type")
    return found


def _set_eligibility(call_type: CallType, rows: list[dict[str, Any]]) -> None:
    programs = [row["program"] for row in rows]
    if len(set(programs)) != len(programs):
        raise field_error("eligibility", "each program may appear once")
    # Keep the rows of programs that stay: replacing them would insert a duplicate
    # (call_type_id, program) before the old row is deleted.
    existing = {row.program: row for row in call_type.eligibility}
    kept = []
    for r in rows:
        row = existing.get(r["program"]) or CallTypeEligibility(program=r["program"])
        row.rank = r["rank"]
        kept.append(row)
    call_type.eligibility = kept


def create_call_type(session: Session, actor: User, data: dict[str, Any]) -> CallType:
    if session.scalar(sa.select(CallType.id).where(CallType.code == data["code"])):
        raise field_error("code", "a call type with this code exists", 409)
    rows = data.pop("eligibility")
    call_type = CallType(**data)
    _set_eligibility(call_type, rows)
    session.add(call_type)
    session.flush()
    return call_type


def update_call_type(session: Session, actor: User, call_type: CallType,
                     data: dict[str, Any]) -> CallType:
    if "eligibility" in data:
        _set_eligibility(call_type, data.pop("eligibility"))
    for key, value in data.items():
        setattr(call_type, key, value)
    session.flush()
    return call_type


# --- calls ----------------------------------------------------------------------------

def list_calls(session: Session, filters: dict[str, Any]) -> sa.Select[Call]:
    stmt = (
        sa.select(Call)
        .where(Call.deleted_at.is_(None))
        .options(selectinload(Call.call_type), selectinload(Call.premise).selectinload(Premise.hazards),
                 selectinload(Call.status_events))
        .order_by(Call.priority, Call.received_at.desc())
    )
    if "status" in filters:
        stmt = stmt.where(Call.status == filters["status"])
    if "unit_id" in filters:
        stmt = stmt.where(Call.unit_id == filters["unit_id"])
    return stmt


def get_call_for(session: Session, actor: User, unit_id: int | None, call_id: uuid.UUID,
                 *, for_update: bool = False) -> Call:
    """Load a call the actor may read; field responders only their unit's. Raises 404/403.
    `for_update`: locked until the transaction ends (the actor is about to change it, and a
    push or another edit must not change it in between; see server.locking)."""
    call = lock_row(session, Call, call_id) if for_update else session.get(Call, call_id)
    if call is None or call.deleted_at is not None:
        raise not_found("call")
    if actor.is_field_responder and (unit_id is None or call.unit_id != unit_id):
        raise DomainError(403, "This call is not assigned to your unit.")
    return call


def find_or_create_premise(session: Session, address: str, lat: float | None,
                           lon: float | None) -> Premise:
    premise = session.scalar(sa.select(Premise).where(Premise.address == address))
    if premise is None:
        premise = Premise(address=address, lat=lat, lon=lon)
        session.add(premise)
        session.flush()
    return premise


def _call_type_by_code(session: Session, code: str) -> CallType:
    found = session.scalar(sa.select(CallType).where(CallType.code == code))
    if found is None:
        raise field_error("call_type", "unknown call type code")
    return found


def _unit(session: Session, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise field_error("unit_id", "no such unit")
    return unit


def note_call_changed(session: Session, call: Call, previous_unit_id: int | None = None,
                      op: str = "put") -> None:
    """Feed rows for a call: put (or delete) for its unit, remove for a unit it left."""
    if call.unit_id is not None:
        note_change(session, "call", call.id, [unit_scope(call.unit_id)], op)
    if previous_unit_id is not None and previous_unit_id != call.unit_id:
        note_change(session, "call", call.id, [unit_scope(previous_unit_id)], "remove")


def create_call(session: Session, actor: User, data: dict[str, Any],
                device_id: uuid.UUID | None = None) -> Call:
    if session.scalar(sa.select(Call.id).where(Call.cad_number == data["cad_number"])):
        raise field_error("cad_number", "a call with this CAD number exists", 409)
    call_type = _call_type_by_code(session, data["call_type"])
    unit = _unit(session, data.get("unit_id"))
    now = utcnow()
    call = Call(
        cad_number=data["cad_number"],
        call_type=call_type,
        priority=data.get("priority") or call_type.default_priority,
        premise=find_or_create_premise(session, data["address"], data["lat"], data["lon"]),
        narrative=data.get("narrative") or "",
        received_at=data.get("received_at") or now,
        unit_id=unit.id if unit else None,
        dispatched_at=now if unit else None,
        status=CallStatus.DISPATCHED if unit else CallStatus.RECEIVED,
        updated_by_id=actor.id,
        field_versions={},
    )
    session.add(call)
    session.flush()
    record_audit(session, actor=actor, device_id=device_id, entity="call", entity_id=call.id,
                 action="create", before=None, after=clinical_snapshot(call))
    note_call_changed(session, call)
    return call


def clinical_snapshot(call: Call) -> dict[str, Any]:
    return {name: getattr(call, name) for name in CLINICAL_FIELDS}


def update_call(session: Session, actor: User, device_id: uuid.UUID | None, call: Call,
                changes: dict[str, Any]) -> Call:
    """Apply edits to a call; audits clinical fields, bumps the version, feeds every change."""
    if call.deleted_at is not None:
        raise not_found("call")
    if unknown_code(session, changes):
        raise field_error("disposition_code", UNKNOWN_CODE)
    before = clinical_snapshot(call)
    previous_unit = call.unit_id
    if "unit_id" in changes:
        unit = _unit(session, changes.pop("unit_id"))
        call.unit_id = unit.id if unit else None
        if unit is not None and call.dispatched_at is None:
            call.dispatched_at = utcnow()
            call.status = furthest(call.status, CallStatus.DISPATCHED)
    call.version += 1
    versions = dict(call.field_versions or {})
    for key, value in changes.items():
        if getattr(call, key) != value:
            versions[key] = call.version
        setattr(call, key, value)
    call.field_versions = versions
    call.updated_at = utcnow()
    call.updated_by_id = actor.id
    after = clinical_snapshot(call)
    if after != before:
        record_audit(session, actor=actor, device_id=device_id, entity="call", entity_id=call.id,
                     action="update", before=before, after=after)
    if previous_unit is not None and call.unit_id != previous_unit:
        escalate_conflicts(session, "call", str(call.id))  # the former unit no longer settles them
    session.flush()
    note_call_changed(session, call, previous_unit)
    return call


def delete_call(session: Session, actor: User, call: Call,
                device_id: uuid.UUID | None = None) -> None:
    """Cancel a call: a tombstone the tablets receive as a delete."""
    if call.deleted_at is not None:
        raise not_found("call")
    call.deleted_at = utcnow()
    call.version += 1
    call.updated_by_id = actor.id
    record_audit(session, actor=actor, device_id=device_id, entity="call", entity_id=call.id,
                 action="delete", before=clinical_snapshot(call), after=None)
    escalate_conflicts(session, "call", str(call.id))  # restoring a cancelled call is a supervisor's choice
    session.flush()
    note_call_changed(session, call, op="delete")


def derive_status(call: Call, statuses: Iterable[CallStatus]) -> None:
    """A call's status is the furthest state among its status facts."""
    for status in statuses:
        call.status = furthest(call.status, status)


def status_fact(event: CallStatusEvent) -> StatusFact:
    return StatusFact(str(event.id), event.status.value, event.user_id, event.corrected_time,
                      event.time_uncertain,
                      str(event.withdraws_id) if event.withdraws_id is not None else None)


def rederive_status(call: Call, facts: Iterable[StatusFact]) -> None:
    """After a withdrawal: the furthest state among the taps that stand, from what dispatch
    set (a withdrawn tap may have been the furthest)."""
    base = CallStatus.DISPATCHED if call.dispatched_at is not None else CallStatus.RECEIVED
    call.status = CallStatus(current_status(base.value, facts))


# --- serialization (API and sync pull share these) ------------------------------------

@dataclass(frozen=True)
class StatusTimes:
    """When each state was first reached (corrected clock), for response-time figures."""

    times: dict[str, datetime]
    # States whose time above is uncertain (no trusted time for them exists).
    uncertain: list[str]
    # Uncertain events passed over because a trusted time for their state exists.
    left_out: int


def status_times(events: Iterable[CallStatusEvent]) -> StatusTimes:
    """The first trusted time of each state; an uncertain one only where no trusted one
    exists (and then named as uncertain). Withdrawn taps and withdrawals count for nothing."""
    events = list(events)
    kept = {fact.id for fact in standing(status_fact(e) for e in events)}
    trusted: dict[str, datetime] = {}
    doubtful: dict[str, datetime] = {}
    doubtful_count: dict[str, int] = {}
    for event in sorted((e for e in events if str(e.id) in kept), key=lambda e: e.corrected_time):
        status = event.status.value
        if event.time_uncertain:
            doubtful.setdefault(status, event.corrected_time)
            doubtful_count[status] = doubtful_count.get(status, 0) + 1
        else:
            trusted.setdefault(status, event.corrected_time)
    only_doubtful = {s: t for s, t in doubtful.items() if s not in trusted}
    left_out = sum(n for s, n in doubtful_count.items() if s in trusted)
    times = dict(sorted({**trusted, **only_doubtful}.items(), key=lambda item: item[1]))
    return StatusTimes(times, sorted(only_doubtful, key=LIFECYCLE_ORDER.index), left_out)


def call_to_dict(call: Call) -> dict[str, Any]:
    times = status_times(call.status_events)
    return {
        "id": call.id,
        "cad_number": call.cad_number,
        "call_type": call.call_type.code,
        "call_type_name": call.call_type.name,
        "priority": call.priority,
        "premise_id": call.premise_id,
        "address": call.premise.address,
        "narrative": call.narrative,
        "received_at": call.received_at,
        "dispatched_at": call.dispatched_at,
        "unit_id": call.unit_id,
        "status": call.status,
        "status_times": times.times,
        "status_times_uncertain": times.uncertain,
        "uncertain_times_left_out": times.left_out,
        "disposition": call.disposition,
        "disposition_code": call.disposition_code,
        "transport_destination": call.transport_destination,
        "hazard_count": sum(1 for h in call.premise.hazards if h.in_force(utcnow())),
        "version": call.version,
        "updated_at": call.updated_at,
        "weapon": call.weapon,
        "violence": call.violence,
        "cad_updated_at": call.cad_updated_at,
    }


def premise_history(session: Session, premise_ids: list[uuid.UUID],
                    radius_m: float = PREMISE_HISTORY_RADIUS_M
                    ) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """Earlier calls at each premise, and at other premises within `radius_m` of it (the
    flat next door, the corner of the block), newest first, PREMISE_HISTORY_LIMIT each, with
    their dispositions; a nearby call carries its address and distance."""
    premises = {p.id: p for p in session.scalars(sa.select(Premise).where(Premise.id.in_(premise_ids)))}
    near = _premises_near(session, list(premises.values()), radius_m)
    wanted = set(premise_ids) | {n for found in near.values() for n in found}
    ranked = (
        sa.select(Call.id, Call.premise_id, Call.cad_number, CallType.code,
                  CallType.name.label("call_type_name"), Call.received_at, Call.status,
                  Call.disposition, Premise.address,
                  sa.func.row_number().over(partition_by=Call.premise_id,
                                            order_by=Call.received_at.desc()).label("n"))
        .join(CallType, CallType.id == Call.call_type_id)
        .join(Premise, Premise.id == Call.premise_id)
        .where(Call.premise_id.in_(wanted), Call.deleted_at.is_(None))
        .subquery()
    )
    by_premise: dict[uuid.UUID, list[Any]] = {}
    for row in session.execute(sa.select(ranked).where(ranked.c.n <= PREMISE_HISTORY_LIMIT)):
        by_premise.setdefault(row.premise_id, []).append(row)
    history: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for pid in premise_ids:
        rows: list[tuple[Any, float | None]] = [(r, None) for r in by_premise.get(pid, [])]
        rows += [(r, distance) for other, distance in near.get(pid, {}).items()
                 for r in by_premise.get(other, [])]
        rows.sort(key=lambda item: item[0].received_at, reverse=True)
        history[pid] = [_history_entry(row, distance) for row, distance in rows[:PREMISE_HISTORY_LIMIT]]
    return history


def _history_entry(row: Any, distance_m: float | None) -> dict[str, Any]:
    entry = {"call_id": row.id, "cad_number": row.cad_number, "call_type": row.code,
             "call_type_name": row.call_type_name, "received_at": row.received_at,
             "status": row.status, "disposition": row.disposition}
    if distance_m is not None:
        entry.update(address=row.address, distance_m=round(distance_m))
    return entry


def _premises_near(session: Session, premises: list[Premise], radius_m: float
                   ) -> dict[uuid.UUID, dict[uuid.UUID, float]]:
    """For each premise with a position, the other premises within radius_m: a box of the
    radius in degrees in SQL, then the distance on the sphere."""
    found: dict[uuid.UUID, dict[uuid.UUID, float]] = {}
    if radius_m <= 0:
        return found
    for premise in premises:
        if premise.lat is None or premise.lon is None:
            continue
        dlat = radius_m / METRES_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(premise.lat)), MIN_COS_LATITUDE)
        rows = session.execute(sa.select(Premise.id, Premise.lat, Premise.lon).where(
            Premise.id != premise.id, Premise.lat.between(premise.lat - dlat, premise.lat + dlat),
            Premise.lon.between(premise.lon - dlon, premise.lon + dlon)))
        for other_id, lat, lon in rows:
            if lat is None or lon is None:
                continue
            distance = great_circle_m(premise.lat, premise.lon, lat, lon)
            if distance <= radius_m:
                found.setdefault(premise.id, {})[other_id] = distance
    return found


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in metres (ample for a block's radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def premise_summaries(session: Session, premise_ids: list[uuid.UUID],
                      now: datetime | None = None) -> dict[uuid.UUID, dict[str, int]]:
    """What each premise's recent calls say, beside the hazards entered by hand: calls in the
    last PREMISE_SUMMARY_DAYS, and how many of them involved a weapon (by call type)."""
    since = (now or utcnow()) - timedelta(days=PREMISE_SUMMARY_DAYS)
    rows = session.execute(
        sa.select(Call.premise_id, sa.func.count(),
                  sa.func.count().filter(CallType.weapon_involved.is_(True)))
        .join(CallType, CallType.id == Call.call_type_id)
        .where(Call.premise_id.in_(premise_ids), Call.deleted_at.is_(None), Call.received_at >= since)
        .group_by(Call.premise_id))
    summaries = {pid: {"days": PREMISE_SUMMARY_DAYS, "calls": 0, "weapon_calls": 0}
                 for pid in premise_ids}
    for premise_id, calls, weapon_calls in rows:
        summaries[premise_id].update(calls=int(calls), weapon_calls=int(weapon_calls))
    return summaries


def premise_to_dict(premise: Premise, history: list[dict[str, Any]],
                    summary: dict[str, int]) -> dict[str, Any]:
    return {
        "id": premise.id,
        "address": premise.address,
        "lat": premise.lat,
        "lon": premise.lon,
        "hazards": [{"kind": h.kind, "description": h.description,
                     "expires_at": h.expires_at}
                    for h in premise.hazards if h.in_force(utcnow())],
        "history": history,
        "summary": summary,
    }


def _author_name(author: User | None) -> str | None:
    return (author.full_name or author.username) if author is not None else None


def status_event_to_dict(event: CallStatusEvent,
                         withdrawn_by: uuid.UUID | None = None) -> dict[str, Any]:
    return {"id": event.id, "call_id": event.call_id, "status": event.status,
            "at": event.corrected_time, "device_time": event.device_time,
            "time_source": event.time_source, "time_uncertain": event.time_uncertain,
            "user_id": event.user_id, "author_name": _author_name(event.author),
            "corrected_by_id": event.corrected_by_id, "withdraws": event.withdraws_id,
            "withdrawn_by": withdrawn_by}


def status_events_to_dicts(events: Iterable[CallStatusEvent],
                           withdrawals: dict[uuid.UUID, uuid.UUID] | None = None
                           ) -> list[dict[str, Any]]:
    """Status events, each withdrawn one naming the tap that withdrew it: from `withdrawals`
    (withdrawn id -> withdrawing id), else from among the events themselves (a call's all)."""
    events = list(events)
    by = withdrawals if withdrawals is not None else {
        e.withdraws_id: e.id for e in events if e.withdraws_id is not None}
    return [status_event_to_dict(e, by.get(e.id)) for e in events]


def withdrawals_of(session: Session, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Withdrawn id -> the id of the tap that withdrew it, for those of `event_ids` withdrawn."""
    if not event_ids:
        return {}
    rows = session.execute(sa.select(CallStatusEvent.withdraws_id, CallStatusEvent.id)
                           .where(CallStatusEvent.withdraws_id.in_(event_ids)))
    return {withdrawn: by for withdrawn, by in rows if withdrawn is not None}


def note_to_dict(note: CallNote) -> dict[str, Any]:
    return {"id": note.id, "call_id": note.call_id, "body": note.body, "at": note.corrected_time,
            "device_time": note.device_time, "time_source": note.time_source,
            "time_uncertain": note.time_uncertain, "user_id": note.user_id,
            "author_name": _author_name(note.author), "corrected_by_id": note.corrected_by_id}


def call_detail(session: Session, call: Call) -> dict[str, Any]:
    history = premise_history(session, [call.premise_id])[call.premise_id]
    summary = premise_summaries(session, [call.premise_id])[call.premise_id]
    return {
        **call_to_dict(call),
        "premise": premise_to_dict(call.premise, history, summary),
        "status_events": status_events_to_dicts(call.status_events),
        "notes": [note_to_dict(n) for n in call.notes],
    }
