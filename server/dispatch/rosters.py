"""The shifts a supervisor builds: a unit, its hours and its crew, with the crew rules
dispatch uses (a community response team is 2 or 3 with a clinician, never one person; a
co-response unit pairs a clinician with a CIT officer). A crew that breaks them is refused
with the reason, as is a person already on another unit's shift at those hours. A shift may
name the service area the unit covers while it lasts (dispatch reads it over the unit's own)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import User
from server.dispatch.models import ServiceAreaRow
from server.dispatch.rules import crew_is_valid
from server.errors import DomainError, field_error, not_found
from server.units.models import Program, Shift, ShiftMember, Unit

CREW_RULES = {
    Program.COMMUNITY_RESPONSE: "A community response team is 2 or 3 people with a clinician, "
                                "never one person.",
    Program.CO_RESPONSE: "A co-response unit is a clinician with a CIT officer.",
    Program.CRISIS_CALL_DIVERSION: "A diversion shift needs a diversion clinician.",
}


def create_shift(session: Session, actor: User, device_id: uuid.UUID | None,
                 data: dict[str, Any]) -> Shift:
    unit = session.get(Unit, data["unit_id"])
    if unit is None or not unit.active:
        raise field_error("unit_id", "no such active unit")
    area = data.get("service_area_id")
    if area is not None and session.get(ServiceAreaRow, area) is None:
        raise field_error("service_area_id", "no such service area")
    starts, ends = data["starts_at"], data["ends_at"]
    if ends <= starts:
        raise field_error("ends_at", "a shift ends after it starts")
    ids = list(dict.fromkeys(data["member_ids"]))
    people = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(ids)))}
    if missing := [i for i in ids if i not in people or not people[i].active]:
        raise field_error("member_ids", f"no such active person: {missing}")
    if not crew_is_valid(unit.program, [str(people[i].role) for i in ids]):
        raise field_error("member_ids", CREW_RULES.get(unit.program,
                                                       "This program's units take no calls."))
    busy = session.scalars(
        sa.select(ShiftMember.user_id).join(Shift, Shift.id == ShiftMember.shift_id)
        .where(ShiftMember.user_id.in_(ids), Shift.starts_at < ends, Shift.ends_at > starts,
               Shift.unit_id != unit.id)).all()
    if busy:
        names = ", ".join(people[i].full_name for i in sorted(set(busy)))
        raise DomainError(409, f"Already on another unit's shift then: {names}",
                          {"json": {"member_ids": ["already on another unit's shift then"]}})
    shift = Shift(unit_id=unit.id, starts_at=starts, ends_at=ends, service_area_id=area,
                  members=[ShiftMember(user_id=i) for i in ids])
    session.add(shift)
    session.flush()
    record_audit(session, actor=actor, device_id=device_id, entity="shift", entity_id=shift.id,
                 action="create", before=None, after=_audited(session, shift))
    return shift


def list_service_areas(session: Session) -> list[ServiceAreaRow]:
    return list(session.scalars(sa.select(ServiceAreaRow).order_by(ServiceAreaRow.name)))


def list_shifts(session: Session, starts_after: datetime | None,
                ends_before: datetime | None) -> list[Shift]:
    """Shifts overlapping the window, earliest first."""
    stmt = sa.select(Shift).order_by(Shift.starts_at, Shift.id)
    if starts_after is not None:
        stmt = stmt.where(Shift.ends_at > starts_after)
    if ends_before is not None:
        stmt = stmt.where(Shift.starts_at < ends_before)
    return list(session.scalars(stmt))


def delete_shift(session: Session, actor: User, device_id: uuid.UUID | None,
                 shift_id: int, now: datetime) -> None:
    """A shift not started yet is removed; one under way or past is the record of who was on."""
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise not_found("shift")
    if shift.starts_at <= now:
        raise DomainError(409, "This shift has started: it stays as the record of who was on.")
    before = _audited(session, shift)
    session.delete(shift)
    record_audit(session, actor=actor, device_id=device_id, entity="shift", entity_id=shift_id,
                 action="delete", before=before, after=None)


def _audited(session: Session, shift: Shift) -> dict[str, Any]:
    found = shift_to_dict(session, shift)
    return {**found, "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat()}


def shift_to_dict(session: Session, shift: Shift) -> dict[str, Any]:
    unit = session.get(Unit, shift.unit_id)
    ids = [m.user_id for m in shift.members]
    people = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(ids)))}
    return {"id": shift.id, "unit_id": shift.unit_id, "call_sign": unit.call_sign if unit else "",
            "program": unit.program.value if unit else "",
            "starts_at": shift.starts_at, "ends_at": shift.ends_at,
            "service_area_id": shift.service_area_id,
            "members": [{"user_id": i, "name": people[i].full_name, "role": str(people[i].role)}
                        for i in ids if i in people]}
