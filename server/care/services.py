"""Care navigation's rules: resources stored from HSDS (once each, by HSDS ids), searched by
need and distance; which calls are in care navigation (the only ones a navigator reads);
referrals and their status course; follow-ups due, overdue and done."""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from geopy.distance import geodesic
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import Role, User
from server.auth.services import tapped_by
from server.calls.models import Call, Premise
from server.care.hsds import Resource
from server.care.models import CareResource, FollowUp, Referral, ReferralEvent, ReferralStatus
from server.dispositions.seed import CARE_REFERRAL
from server.errors import DomainError, field_error, not_found
from server.locking import take_writer_lock
from server.units.models import Program, Unit

# Where each status may go next: forward only, and closed from anywhere (a person who
# declines, moves away or cannot be reached). A closed referral stays closed: a new need is a
# new referral.
NEXT_STATUSES: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    ReferralStatus.MADE: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.CONNECTED,
                                    ReferralStatus.CLOSED}),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.CONNECTED, ReferralStatus.CLOSED}),
    ReferralStatus.CONNECTED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.CLOSED: frozenset(),
}
# Metres per degree of latitude (and of longitude at the equator): the bounding box that
# spares measuring resources plainly out of reach.
METRES_PER_DEGREE = 111_320
# Near the poles a degree of longitude shrinks to nothing: the box stops widening past this.
MIN_COSINE = 0.01
# Arbitrary constant naming the lock an import of community resources holds (ASCII "HSDSIMPT").
IMPORT_LOCK_KEY = 0x4853_4453_494D_5054
# The need a responder's "referred to community care" carries when it names none.
CARE_NAVIGATION_NEED = "care navigation"


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


# --- resources ------------------------------------------------------------------------------

def _resource_values(record: Resource, source: str) -> dict[str, Any]:
    values = asdict(record)
    values["categories"] = list(record.categories)
    values["category_codes"] = list(record.category_codes)
    values["hsds_service_id"] = values.pop("service_id")
    values["hsds_location_id"] = values.pop("location_id")
    values["hsds_organization_id"] = values.pop("organization_id")
    values["languages"] = list(record.languages)
    values["hours"] = list(record.hours)
    values["language_text"] = language_key(*record.languages, *values.pop("language_codes"))
    values["search_text"] = " ".join(
        [record.name, record.organization or "", record.description, *record.categories,
         *record.category_codes]).lower()
    values["source"] = source[:200]
    return values


def language_key(*names: str) -> str:
    """The delimited, lowercased names a language filter looks a word up in ("|es|spanish|")."""
    return "|" + "".join(f"{n.strip().lower()}|" for n in names if n.strip())


def store_resources(session: Session, records: Sequence[Resource], source: str,
                    now: datetime) -> list[Outcome]:
    """Each record created, updated or left unchanged, by its HSDS service and location ids
    (so a second import of the same file creates nothing); one outcome per record. Two
    imports at once take turns, a batch at a time: the second reads what the first committed
    and updates it, rather than both inserting the same record."""
    take_writer_lock(session, CareResource.__table__, IMPORT_LOCK_KEY)  # type: ignore[arg-type]
    keys = {(r.service_id, r.location_id) for r in records}
    known = {(row.hsds_service_id, row.hsds_location_id): row for row in session.scalars(
        sa.select(CareResource).where(
            CareResource.hsds_service_id.in_({service for service, _ in keys})))}
    outcomes = []
    for record in records:
        values = _resource_values(record, source)
        row = known.get((record.service_id, record.location_id))
        if row is None:
            row = CareResource(**values, imported_at=now, updated_at=now)
            session.add(row)
            known[(record.service_id, record.location_id)] = row
            outcomes.append(Outcome.CREATED)
            continue
        changed = {k: v for k, v in values.items() if k != "source" and getattr(row, k) != v}
        for key, value in changed.items():
            setattr(row, key, value)
        if changed:
            row.updated_at, row.source = now, values["source"]
        outcomes.append(Outcome.UPDATED if changed else Outcome.UNCHANGED)
    session.flush()
    return outcomes


def _point_of(session: Session, lat: float | None, lon: float | None,
              call_id: uuid.UUID | None) -> tuple[float, float] | None:
    if lat is not None and lon is not None:
        return lat, lon
    if call_id is None:
        return None
    call = get_care_call(session, call_id)
    premise = session.get(Premise, call.premise_id)
    if premise is None or premise.lat is None or premise.lon is None:
        raise field_error("call_id", "the call's premise has no position", status=422)
    return premise.lat, premise.lon


def _literal(text: str) -> str:
    """The text as a LIKE pattern matches it literally (escaped with a backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_resources(session: Session, query: dict[str, Any], page: int, size: int
                     ) -> tuple[list[tuple[CareResource, float | None]], int]:
    """One page of the resources meeting the need (every word of it in a term, the name or
    description) and how many there are: nearest first from the point (or the call's premise)
    within radius_km, measured by geopy; by name without a point (paged in the database)."""
    stmt = sa.select(CareResource)
    if language := (query.get("language") or "").strip().lower():
        stmt = stmt.where(CareResource.language_text.like(f"%|{_literal(language)}|%",
                                                          escape="\\"))
    for word in (query.get("need") or "").lower().split():
        stmt = stmt.where(CareResource.search_text.like(f"%{_literal(word)}%", escape="\\"))
    start = (page - 1) * size
    point = _point_of(session, query.get("lat"), query.get("lon"), query.get("call_id"))
    if point is None:
        total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(stmt.order_by(CareResource.name, CareResource.id)
                               .offset(start).limit(size))
        return [(r, None) for r in rows], total
    radius_m = query["radius_km"] * 1000
    dlat = radius_m / METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(point[0])), MIN_COSINE)
    stmt = stmt.where(CareResource.lat.between(point[0] - dlat, point[0] + dlat),
                      CareResource.lon.between(point[1] - dlon, point[1] + dlon))
    measured = [(r, geodesic(point, (r.lat, r.lon)).meters) for r in session.scalars(stmt)]
    within = sorted(((r, d) for r, d in measured if d <= radius_m), key=lambda m: (m[1], m[0].id))
    return within[start:start + size], len(within)


def resource_to_dict(resource: CareResource, distance_m: float | None = None) -> dict[str, Any]:
    return {"id": resource.id, "hsds_service_id": resource.hsds_service_id,
            "hsds_location_id": resource.hsds_location_id or None,
            "organization": resource.organization, "name": resource.name,
            "description": resource.description, "categories": resource.categories,
            "address": resource.address, "lat": resource.lat, "lon": resource.lon,
            "phone": resource.phone, "url": resource.url, "email": resource.email,
            "languages": resource.languages, "hours": resource.hours,
            "distance_m": None if distance_m is None else round(distance_m)}


# --- which calls care navigation sees -------------------------------------------------------

def in_care_navigation() -> sa.ColumnElement[bool]:
    """A call is in care navigation when someone referred its person (a referral exists, or
    the crew chose "referred to community care" as the disposition) or a care navigation unit
    was sent to it."""
    referred = sa.or_(sa.exists().where(Referral.call_id == Call.id),
                      Call.disposition_code == CARE_REFERRAL)
    navigation_unit = sa.exists().where(Unit.id == Call.unit_id,
                                        Unit.program == Program.CARE_NAVIGATION)
    return sa.and_(Call.deleted_at.is_(None), sa.or_(referred, navigation_unit))


def get_care_call(session: Session, call_id: uuid.UUID) -> Call:
    """A call in care navigation; any other is "no such call" to care navigation's readers."""
    call = session.scalar(sa.select(Call).where(Call.id == call_id, in_care_navigation()))
    if call is None:
        raise not_found("call in care navigation")
    return call


def care_call_to_dict(call: Call, with_narrative: bool) -> dict[str, Any]:
    return {"id": call.id, "cad_number": call.cad_number, "call_type": call.call_type.code,
            "received_at": call.received_at, "address": call.premise.address,
            "lat": call.premise.lat, "lon": call.premise.lon, "status": call.status.value,
            "narrative": call.narrative if with_narrative else None,
            "disposition": call.disposition if with_narrative else None}


# --- referrals ------------------------------------------------------------------------------

def _call_for_referral(session: Session, actor: User, unit_id: int | None,
                       call_id: uuid.UUID) -> Call:
    """A responder refers from their own unit's call; a navigator onward from a call already
    in care navigation. Any other call is not found (its existence is not theirs to learn)."""
    if actor.is_field_responder:
        call = session.get(Call, call_id)
        if call is None or call.deleted_at is not None or unit_id is None or call.unit_id != unit_id:
            raise field_error("call_id", "not a call of your unit", status=404)
        return call
    try:
        return get_care_call(session, call_id)
    except DomainError:
        raise field_error("call_id", "no such call in care navigation", status=404) from None


def _made_before(session: Session, actor: User, unit_id: int | None, device_id: uuid.UUID | None,
                 data: dict[str, Any], now: datetime) -> Referral | None:
    """The referral a tablet's id already made (a retry after a lost answer), if it is this
    call's and its maker's (or a crew mate's on this tablet); another's id is refused."""
    if data.get("id") is None or (made := session.get(Referral, data["id"])) is None:
        return None
    makers = {actor.id}
    if unit_id is not None and made.created_by_id != actor.id:
        tapper = tapped_by(session, actor, device_id, unit_id, made.created_by_id, now)
        makers |= {tapper.id} if tapper else set()
    if made.call_id != data["call_id"] or made.created_by_id not in makers:
        raise DomainError(409, "This referral id belongs to another referral.")
    return made


def create_referral(session: Session, actor: User, unit_id: int | None, device_id: uuid.UUID | None,
                    data: dict[str, Any], now: datetime) -> tuple[Referral, bool]:
    """The referral, and whether it is new: an id the tablet made is sent again after a lost
    answer, or after hours offline, and is the same referral. A tablet the crew shares names
    who made it (`made_by`), credited to them when they may be (`tapped_by`)."""
    if (made := _made_before(session, actor, unit_id, device_id, data, now)) is not None:
        return made, False
    call = _call_for_referral(session, actor, unit_id, data["call_id"])
    resource_id = data.get("resource_id")
    if resource_id is not None and session.get(CareResource, resource_id) is None:
        raise field_error("resource_id", "no such resource")
    maker, named = actor, data.get("made_by")
    if named is not None and unit_id is not None:
        maker = tapped_by(session, actor, device_id, unit_id, named, now) or actor
    referral = Referral(call_id=call.id, resource_id=resource_id,
                        need=data.get("need") or CARE_NAVIGATION_NEED, note=data.get("note") or "",
                        status=ReferralStatus.MADE, created_by_id=maker.id, created_at=now,
                        updated_at=now, **({"id": data["id"]} if data.get("id") else {}))
    try:
        with session.begin_nested():  # two sends of one id at once: the second reads the first
            session.add(referral)
    except sa.exc.IntegrityError:
        if (raced := _made_before(session, actor, unit_id, device_id, data, now)) is None:
            raise
        return raced, False
    session.add(ReferralEvent(referral_id=referral.id, status=ReferralStatus.MADE, at=now,
                              actor_id=maker.id, note=referral.note))
    record_audit(session, actor=maker, device_id=device_id, entity="referral",
                 entity_id=referral.id, action="create", before=None,
                 after={"call_id": str(call.id), "resource_id": resource_id,
                        "need": referral.need, "note": referral.note,
                        **({"sent_by": actor.id} if maker is not actor else {}),
                        **({"made_by_not_credited": named} if named not in (None, maker.id)
                           else {})})
    session.flush()
    return referral, True


def get_referral(session: Session, referral_id: uuid.UUID) -> Referral:
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise not_found("referral")
    return referral


def list_referrals(session: Session, query: dict[str, Any]) -> list[Referral]:
    stmt = sa.select(Referral).order_by(Referral.updated_at.desc(), Referral.id)
    if query.get("status"):
        stmt = stmt.where(Referral.status.in_(query["status"]))
    if query.get("call_id"):
        stmt = stmt.where(Referral.call_id == query["call_id"])
    return list(session.scalars(stmt))


def change_referral_status(session: Session, actor: User, device_id: uuid.UUID | None,
                           referral: Referral, status: ReferralStatus, note: str | None,
                           now: datetime) -> Referral:
    """The referral's next status, kept as an event (the earlier ones stay)."""
    if status not in NEXT_STATUSES[referral.status]:
        allowed = ", ".join(sorted(NEXT_STATUSES[referral.status])) or "none (closed)"
        raise DomainError(409, f"A referral {referral.status.value} cannot become "
                               f"{status.value}; next: {allowed}.",
                          {"json": {"status": [f"from {referral.status.value}: {allowed}"]}})
    before = referral.status.value
    session.add(ReferralEvent(referral_id=referral.id, status=status, at=now, actor_id=actor.id,
                              note=note or ""))
    referral.status, referral.updated_at = status, now
    record_audit(session, actor=actor, device_id=device_id, entity="referral",
                 entity_id=referral.id, action="status", before={"status": before},
                 after={"status": status.value, "note": note or ""})
    session.flush()
    session.refresh(referral, ["events"])
    return referral


def referral_to_dict(session: Session, referral: Referral, with_content: bool) -> dict[str, Any]:
    names = _names(session, {e.actor_id for e in referral.events} | {referral.created_by_id})
    call = session.get(Call, referral.call_id)
    assert call is not None
    return {
        "id": referral.id, "call_id": referral.call_id, "cad_number": call.cad_number,
        "address": call.premise.address if with_content else None,
        "need": referral.need, "status": referral.status.value,
        "note": referral.note if with_content else None,
        "resource": resource_to_dict(referral.resource) if referral.resource else None,
        "created_by": names.get(referral.created_by_id), "created_at": referral.created_at,
        "updated_at": referral.updated_at,
        "events": [{"status": e.status.value, "at": e.at, "by": names.get(e.actor_id),
                    "note": e.note if with_content else None} for e in referral.events],
    }


def _names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    rows = session.execute(sa.select(User.id, User.full_name).where(User.id.in_(ids)))
    return dict(rows.all())


# --- follow-ups -----------------------------------------------------------------------------

def create_follow_up(session: Session, actor: User, data: dict[str, Any], now: datetime) -> FollowUp:
    try:
        call = get_care_call(session, data["call_id"])
    except DomainError:
        raise field_error("call_id", "no such call in care navigation", status=404) from None
    referral_id = data.get("referral_id")
    if referral_id is not None:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.call_id != call.id:
            raise field_error("referral_id", "no referral of this call")
    assignee_id = data.get("assigned_to_id") or actor.id
    assignee = session.get(User, assignee_id)
    if assignee is None or assignee.role is not Role.CARE_NAVIGATOR or not assignee.active:
        raise field_error("assigned_to_id", "not an active care navigator")
    task = FollowUp(call_id=call.id, referral_id=referral_id, due_at=data["due_at"],
                    assigned_to_id=assignee.id, note=data.get("note") or "",
                    created_by_id=actor.id, created_at=now)
    session.add(task)
    session.flush()
    return task


def list_follow_ups(session: Session, reader: User, query: dict[str, Any],
                    now: datetime) -> list[FollowUp]:
    """Open tasks soonest due first (done ones with `include_done`); a navigator's own unless
    they ask for everyone's."""
    stmt = sa.select(FollowUp).order_by(FollowUp.due_at, FollowUp.id)
    if not query.get("include_done"):
        stmt = stmt.where(FollowUp.done_at.is_(None))
    if query.get("overdue"):
        stmt = stmt.where(FollowUp.due_at < now, FollowUp.done_at.is_(None))
    if query.get("due_before"):
        stmt = stmt.where(FollowUp.due_at < query["due_before"])
    if reader.role is Role.CARE_NAVIGATOR and not query.get("everyone"):
        stmt = stmt.where(FollowUp.assigned_to_id == reader.id)
    return list(session.scalars(stmt))


def get_follow_up(session: Session, follow_up_id: int) -> FollowUp:
    task = session.get(FollowUp, follow_up_id)
    if task is None:
        raise not_found("follow-up")
    return task


def complete_follow_up(session: Session, actor: User, task: FollowUp, outcome: str,
                       now: datetime) -> FollowUp:
    if task.done_at is not None:
        raise DomainError(409, "This follow-up is done already.")
    task.done_at, task.done_by_id, task.outcome = now, actor.id, outcome
    session.flush()
    return task


def follow_up_to_dict(session: Session, task: FollowUp, now: datetime,
                      with_content: bool) -> dict[str, Any]:
    names = _names(session, {task.assigned_to_id, task.created_by_id, task.done_by_id or 0})
    call = session.get(Call, task.call_id)
    assert call is not None
    return {"id": task.id, "call_id": task.call_id, "cad_number": call.cad_number,
            "address": call.premise.address if with_content else None,
            "referral_id": task.referral_id,
            "due_at": task.due_at, "overdue": task.done_at is None and task.due_at < now,
            "assigned_to_id": task.assigned_to_id, "assigned_to": names.get(task.assigned_to_id),
            "note": task.note if with_content else None, "done_at": task.done_at,
            "done_by": names.get(task.done_by_id or 0),
            "outcome": task.outcome if with_content else None, "created_at": task.created_at}
