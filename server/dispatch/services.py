"""Triage against the database: the rules read from the eligibility table, the service areas
and hours; the units as dispatch sees them now (on shift, crew roles, busy or not, last
position); a call's recommendation written on it; and the dispatcher's acts on the queue
(assign or override with a reason, resolve by phone, decline with a reason code)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import User
from server.calls.models import Call, CallStatus, CallType, CallTypeEligibility
from server.calls.services import call_to_dict, update_call
from server.dispatch.models import ProgramServiceRow, ServiceAreaRow
from server.dispatch.rules import (
    Fallback,
    ProgramService,
    ReasonCode,
    Recommendation,
    ServiceArea,
    ServiceHours,
    TriageCall,
    TriageRules,
    UnitIndex,
    UnitSnapshot,
    UnitStatus,
    index_units,
    triage,
)
from server.errors import DomainError, field_error, not_found
from server.locations.services import unit_positions
from server.stream.audience import Audience
from server.stream.services import publish
from server.units.models import Program, Shift, ShiftMember, Unit

# A program with no row in program_services takes calls at all hours, everywhere: a new
# department starts open and narrows the service as its data says.
EVERYWHERE = ServiceArea("everywhere", ((-180.0, -90.0), (180.0, -90.0), (180.0, 90.0),
                                        (-180.0, 90.0)))
ALWAYS = ProgramService(ServiceHours(frozenset(range(7)), time(0), time(0), "UTC"),
                        frozenset({EVERYWHERE.id}))
# Calls still waiting for or holding a unit: what the queue shows and what makes a unit busy.
LIVE_STATUSES = (CallStatus.RECEIVED, CallStatus.DISPATCHED, CallStatus.EN_ROUTE,
                 CallStatus.ON_SCENE, CallStatus.TRANSPORTING)
# Reason codes a person records on a call HEART does not serve (the triage gives the others).
DECLINE_CODES = tuple(c.value for c in ReasonCode if c is not ReasonCode.RESOLVED_BY_PHONE)
# Who hears of the queue's changes on the live stream.
QUEUE_AUDIENCE = Audience.of(roles=["dispatcher", "diversion_clinician", "supervisor"])


def load_rules(session: Session) -> TriageRules:
    """The rules as the database holds them now."""
    table: dict[str, list[Program]] = {}
    for code, program in session.execute(
            sa.select(CallType.code, CallTypeEligibility.program)
            .join(CallTypeEligibility, CallTypeEligibility.call_type_id == CallType.id)
            .order_by(CallType.code, CallTypeEligibility.rank)):
        table.setdefault(code, []).append(program)
    areas = {r.id: ServiceArea(r.id, tuple((p[0], p[1]) for p in r.ring))
             for r in session.scalars(sa.select(ServiceAreaRow))}
    areas[EVERYWHERE.id] = EVERYWHERE
    services = dict.fromkeys(Program, ALWAYS)
    for row in session.scalars(sa.select(ProgramServiceRow)):
        services[row.program] = ProgramService(
            ServiceHours(frozenset(row.weekdays), row.starts, row.ends, row.timezone),
            frozenset(row.area_ids))
    ems = frozenset(session.scalars(sa.select(CallType.code).where(CallType.fallback == "ems")))
    return TriageRules(table, services, areas, ems)


def unit_snapshots(session: Session, now: datetime) -> list[UnitSnapshot]:
    """Every active unit: on shift or not, its crew's roles, busy when it holds a live call."""
    crews: dict[int, list[str]] = {}
    for unit_id, role in session.execute(
            sa.select(Shift.unit_id, User.role).join(ShiftMember, ShiftMember.shift_id == Shift.id)
            .join(User, User.id == ShiftMember.user_id)
            .where(Shift.starts_at <= now, Shift.ends_at > now, User.active)):
        crews.setdefault(unit_id, []).append(str(role))
    shift_areas: dict[int, str | None] = dict(session.execute(
        sa.select(Shift.unit_id, Shift.service_area_id).where(Shift.starts_at <= now,
                                                               Shift.ends_at > now)).all())
    on_shift = set(shift_areas)
    busy = set(session.scalars(sa.select(Call.unit_id).where(
        Call.unit_id.is_not(None), Call.deleted_at.is_(None), Call.status.in_(LIVE_STATUSES[1:]))))
    positions = {p["unit_id"]: p for p in unit_positions(session)}
    return [UnitSnapshot(u.id, u.call_sign, u.program,
                         UnitStatus.BUSY if u.id in busy else UnitStatus.AVAILABLE,
                         u.id in on_shift, tuple(crews.get(u.id, ())),
                         positions.get(u.id, {}).get("lat"), positions.get(u.id, {}).get("lon"),
                         shift_areas.get(u.id) or u.service_area_id)
            for u in session.scalars(sa.select(Unit).where(Unit.active))]


def current_units(session: Session, now: datetime) -> UnitIndex:
    return index_units(unit_snapshots(session, now))


def write_triage(call: Call, found: Recommendation) -> None:
    """The triage's answer on the call: eligibility, recommendation, reason (code and words)."""
    call.eligible = found.eligibility.eligible
    call.eligible_programs = [p.value for p in found.eligibility.programs]
    call.recommended_response = str(found.response)
    call.recommended_unit_id = found.unit.unit_id if found.unit else None
    call.recommended_distance_m = found.distance_m
    call.recommendation_reason = found.reason
    call.reason_code = found.reason_code.value if found.reason_code else None
    if call.unit_id is None and call.eligible and found.unit is None:
        call.unserved_reason = call.reason_code


def triage_call(session: Session, call: Call, now: datetime, rules: TriageRules | None = None,
                units: UnitIndex | None = None) -> Recommendation:
    """Triage the call as stored (its CAD flags, its premise's position) and write it."""
    session.flush()
    facts = _facts(call)
    found = triage(facts, rules or load_rules(session), units or current_units(session, now))
    write_triage(call, found)
    return found


def _facts(call: Call) -> TriageCall:
    """A stored call read as the triage's facts."""
    received = call.received_at
    if received.tzinfo is None:  # SQLite hands back naive UTC
        received = received.replace(tzinfo=UTC)
    return TriageCall(call.call_type.code, call.weapon or call.call_type.weapon_involved,
                  call.violence, received, call.premise.lat, call.premise.lon)


# --- the queue ------------------------------------------------------------------------------

def queue(session: Session) -> list[Call]:
    """Calls not cleared, newest first."""
    return list(session.scalars(
        sa.select(Call).where(Call.deleted_at.is_(None), Call.status.in_(LIVE_STATUSES))
        .order_by(Call.received_at.desc(), Call.id)))


def queue_item(session: Session, call: Call) -> dict[str, Any]:
    unit_signs = {row.id: row.call_sign for row in session.execute(sa.select(Unit.id, Unit.call_sign))}
    recommendation = None
    if call.recommended_response is not None:
        recommendation = {"response": call.recommended_response,
                          "unit_id": call.recommended_unit_id,
                          "call_sign": unit_signs.get(call.recommended_unit_id or 0),
                          "distance_m": call.recommended_distance_m,
                          "reason_code": call.reason_code, "reason": call.recommendation_reason}
    return {**call_to_dict(call), "lat": call.premise.lat, "lon": call.premise.lon,
            "call_sign": unit_signs.get(call.unit_id or 0), "source": call.source,
            "eligible": call.eligible, "eligible_programs": call.eligible_programs,
            "unmapped": call.cad_call_type is not None and call.call_type.code == UNMAPPED_CODE,
            "recommendation": recommendation, "unserved_reason": call.unserved_reason,
            "override_reason": call.override_reason}


UNMAPPED_CODE = "unmapped"


def announce(session: Session, type: str, call: Call) -> None:
    publish(session, type, {"id": str(call.id), "cad_number": call.cad_number}, QUEUE_AUDIENCE,
            subject=f"call:{call.id}")


def assign(session: Session, actor: User, device_id: uuid.UUID | None, call: Call,
           unit_id: int, override_reason: str | None) -> Call:
    """Send a unit: the recommended one, or another with the reason the recommendation was
    overridden (the override is what the program reviews)."""
    if call.deleted_at is not None or call.status not in LIVE_STATUSES:
        raise DomainError(409, "This call is closed.")
    if session.get(Unit, unit_id) is None:
        raise field_error("unit_id", "no such unit")
    overriding = unit_id != call.recommended_unit_id
    if overriding and not (override_reason or "").strip():
        raise field_error("override_reason", "Say why another unit than the recommended one "
                                             "goes.")
    call.override_reason = override_reason.strip() if overriding and override_reason else None
    call.unserved_reason = None
    update_call(session, actor, device_id, call, {"unit_id": unit_id})
    announce(session, "call.assigned", call)
    return call


def resolve_by_phone(session: Session, actor: User, device_id: uuid.UUID | None, call: Call,
                     note: str, now: datetime) -> Call:
    """A diversion clinician resolved the call on the phone: nobody is sent, and the call is
    cleared with the code the program counts."""
    _unassigned(call)
    before = {"status": call.status.value}
    call.status, call.unserved_reason = CallStatus.CLEARED, ReasonCode.RESOLVED_BY_PHONE.value
    call.disposition = f"Resolved by phone: {note}"
    call.version += 1
    call.updated_at, call.updated_by_id = now, actor.id
    record_audit(session, actor=actor, device_id=device_id, entity="call", entity_id=call.id,
                 action="resolve_by_phone", before=before, after={"status": call.status.value})
    announce(session, "call.resolved", call)
    return call


def decline(session: Session, actor: User, device_id: uuid.UUID | None, call: Call,
            reason_code: str, note: str | None, now: datetime) -> Call:
    """HEART does not take the call (the team declined, safety...): it goes to the
    recommendation's fallback, and the code is kept for the count of unserved calls."""
    _unassigned(call)
    call.unserved_reason = reason_code
    fallback = (Fallback.EMS if call.recommended_response == Fallback.EMS else Fallback.POLICE)
    call.status, call.disposition = CallStatus.CLEARED, f"Referred to {fallback.value}" + (
        f": {note}" if note else "")
    call.version += 1
    call.updated_at, call.updated_by_id = now, actor.id
    record_audit(session, actor=actor, device_id=device_id, entity="call", entity_id=call.id,
                 action="decline", before=None,
                 after={"unserved_reason": reason_code, "note": note})
    announce(session, "call.resolved", call)
    return call


def _unassigned(call: Call) -> None:
    if call.deleted_at is not None or call.status not in LIVE_STATUSES:
        raise DomainError(409, "This call is closed.")
    if call.unit_id is not None:
        raise DomainError(409, "A unit is on this call: it clears the call from the tablet.")


def get_live_call(session: Session, call_id: uuid.UUID) -> Call:
    call = session.get(Call, call_id)
    if call is None or call.deleted_at is not None:
        raise not_found("call")
    return call
