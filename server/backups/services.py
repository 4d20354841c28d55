"""Backup requests: raising one (idempotent by the tablet's id), answering, closing, the
escalation sweep that widens the alert tier by tier (each tier fired once across every
process), and the count of people a request reached."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from geopy.distance import distance
from sqlalchemy.orm import Session

from server.audit.services import record_audit
from server.auth.models import FIELD_ROLES, Role, User
from server.auth.permissions import BACKUP_ANSWERERS
from server.auth.services import tapped_by
from server.backups.models import (
    OPEN_STATES,
    BackupEvent,
    BackupRequest,
    BackupState,
    Origin,
    PositionSource,
    Urgency,
)
from server.calls.models import Call, Premise
from server.database import dialect_insert
from server.errors import DomainError, field_error, not_found
from server.locations.services import unit_positions
from server.locking import lock_row
from server.stream.audience import Audience
from server.stream.models import Delivery, DeliveryStatus, StreamEvent
from server.stream.services import publish
from server.units.models import Shift, ShiftMember, Unit

# The stream subject of a request's events: `backup:<id>`.
SUBJECT_PREFIX = "backup:"
# Who every alert reaches besides the units near the request: the people who send help.
ANSWERER_ROLES = sorted(r.value for r in BACKUP_ANSWERERS)
FIRST_TIER_NAME = "alert"
BROADCAST_TIER_NAME = "broadcast"
# Tiers that reach more than the units in the radius, by the name the settings give them.
SUPERVISOR_ON_CALL = "supervisor_on_call"
ALL_UNITS = "all_units"


def subject_of(request_id: uuid.UUID) -> str:
    return f"{SUBJECT_PREFIX}{request_id}"


# --- tiers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tier:
    number: int
    name: str
    timeout: timedelta | None  # None: the broadcast, the last step
    radius_m: float


def tiers(config: Mapping[str, Any]) -> list[Tier]:
    """Tier 0 (the first alert), the BACKUP_ESCALATION tiers, then the broadcast. A tier
    without its own radius keeps the widest one before it: escalation never narrows."""
    radius = float(config["BACKUP_RADIUS_M"])
    found = [Tier(0, FIRST_TIER_NAME, timedelta(seconds=config["BACKUP_ALERT_TIMEOUT_SECONDS"]),
                  radius)]
    for number, step in enumerate(config["BACKUP_ESCALATION"], start=1):
        radius = max(radius, float(step.get("radius_m", radius)))
        found.append(Tier(number, str(step["name"]), timedelta(seconds=step["timeout_seconds"]),
                          radius))
    found.append(Tier(len(found), BROADCAST_TIER_NAME, None, radius))
    return found


def tier_name(number: int, config: Mapping[str, Any]) -> str:
    return tiers(config)[number].name


# --- who hears it ---------------------------------------------------------------------------

def on_shift_now(now: datetime) -> sa.Select[Any]:
    """The active units on a shift now, as a query (to read, or to narrow another by)."""
    return (sa.select(Shift.unit_id).join(Unit, Unit.id == Shift.unit_id)
            .where(Shift.starts_at <= now, Shift.ends_at > now, Unit.active))


def units_on_shift(session: Session, now: datetime) -> set[int]:
    return set(session.scalars(on_shift_now(now)))


def supervisors_on_call(session: Session, now: datetime) -> set[int]:
    """Supervisors on a shift now, else every active supervisor."""
    supervisors = sa.select(User.id).where(User.role == Role.SUPERVISOR, User.active)
    on_shift = set(session.scalars(
        supervisors.join(ShiftMember, ShiftMember.user_id == User.id)
        .join(Shift, Shift.id == ShiftMember.shift_id)
        .where(Shift.starts_at <= now, Shift.ends_at > now)))
    return on_shift or set(session.scalars(supervisors))


def units_within(session: Session, request: BackupRequest, radius_m: float,
                 now: datetime) -> set[int]:
    """Units on shift whose last known position is within the radius of the request's (one
    query: a press's way to its listeners waits on each)."""
    if request.lat is None or request.lon is None:
        return set()
    here = (request.lat, request.lon)
    return {p["unit_id"] for p in unit_positions(session, on_shift_now(now))
            if distance(here, (p["lat"], p["lon"])).m <= radius_m}


def audience_for(session: Session, request: BackupRequest, tier: Tier, now: datetime,
                 config: Mapping[str, Any]) -> Audience:
    """The answerers, the requesting unit, the units on shift within the tier's radius; the
    supervisors on call from their tier on, every unit on shift from its tier on; everyone
    at the broadcast."""
    if tier.name == BROADCAST_TIER_NAME:
        return Audience.of(everyone=True)
    units = {request.unit_id} | units_within(session, request, tier.radius_m, now)
    reached = {t.name for t in tiers(config)[:tier.number + 1]}
    users: set[int] = set()
    if SUPERVISOR_ON_CALL in reached:
        users = supervisors_on_call(session, now)
    if ALL_UNITS in reached:
        units |= units_on_shift(session, now)
    return Audience.of(roles=ANSWERER_ROLES, units=units, users=users)


def current_audience(session: Session, request: BackupRequest, now: datetime,
                     config: Mapping[str, Any]) -> Audience:
    """Who hears of an answer or a close: everyone the request reached so far."""
    return audience_for(session, request, tiers(config)[request.tier], now, config)


# --- the answer's shape ---------------------------------------------------------------------

def _people(session: Session, ids: Iterable[int | None], known: Iterable[User | None] = ()
            ) -> dict[int, dict[str, Any]]:
    """Id and name of each person; those in `known` (the actor, at hand) without a query."""
    found = {u.id: {"id": u.id, "name": u.full_name} for u in known if u is not None}
    wanted = {i for i in ids if i is not None} - found.keys()
    if wanted:
        found.update({r.id: {"id": r.id, "name": r.full_name} for r in session.execute(
            sa.select(User.id, User.full_name).where(User.id.in_(wanted)))})
    return found


def request_to_dict(session: Session, request: BackupRequest, config: Mapping[str, Any],
                    actor: User | None = None) -> dict[str, Any]:
    """The BackupRequest shape every answer and every backup.* payload carries (`actor`: the
    person acting now, whose name needs no query: the press is on its way to the listeners)."""
    people = _people(session, (request.requested_by_id, request.acknowledged_by_id,
                               request.closed_by_id), known=(actor,))
    place = session.execute(  # the unit's call sign and the call's number and address at once
        sa.select(Unit.call_sign, Call.cad_number, Premise.address).select_from(Unit)
        .outerjoin(Call, Call.id == request.call_id).outerjoin(Premise, Premise.id == Call.premise_id)
        .where(Unit.id == request.unit_id)).one_or_none()
    position = None
    if request.lat is not None and request.lon is not None and request.position_at is not None:
        position = {"lat": request.lat, "lon": request.lon, "accuracy_m": request.accuracy_m,
                    "recorded_at": request.position_at.isoformat(),
                    "source": request.position_source.value if request.position_source else None}

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {"id": str(request.id), "call_id": str(request.call_id) if request.call_id else None,
            "cad_number": place.cad_number if place else None,
            "address": place.address if place else None,
            "unit_id": request.unit_id, "call_sign": place.call_sign if place else "",
            "requested_by": people.get(request.requested_by_id or 0),
            "urgency": request.urgency.value, "origin": request.origin.value,
            "position": position, "note": request.note, "state": request.state.value,
            "tier": request.tier, "tier_name": tier_name(request.tier, config),
            "next_escalation_at": when(request.next_escalation_at),
            "broadcast_at": when(request.broadcast_at), "delivered_to": request.delivered_to,
            "acknowledged_by": people.get(request.acknowledged_by_id or 0),
            "acknowledged_at": when(request.acknowledged_at),
            "closed_by": people.get(request.closed_by_id or 0), "closed_at": when(request.closed_at),
            "close_reason": request.close_reason, "requested_at": request.requested_at.isoformat(),
            "received_at": request.received_at.isoformat()}


def events_of(session: Session, request_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = list(session.scalars(sa.select(BackupEvent).where(BackupEvent.request_id == request_id)
                                .order_by(BackupEvent.id)))
    people = _people(session, (r.actor_id for r in rows))
    return [{"at": r.at, "type": r.type, "tier": r.tier, "actor": people.get(r.actor_id or 0),
             "detail": r.detail} for r in rows]


# --- acts -----------------------------------------------------------------------------------

def _log(session: Session, request: BackupRequest, type: str, actor: User | None, at: datetime,
         detail: dict[str, Any] | None = None) -> None:
    session.add(BackupEvent(request_id=request.id, at=at, type=type, tier=request.tier,
                            actor_id=actor.id if actor else None, detail=detail or {}))


def _announce(session: Session, request: BackupRequest, type: str, audience: Audience,
              config: Mapping[str, Any], shape: dict[str, Any] | None = None) -> StreamEvent:
    """Publish the request's shape (`shape` when the caller has it already)."""
    session.flush()
    return publish(session, type, shape or request_to_dict(session, request, config), audience,
                   subject=subject_of(request.id))


def _record(session: Session, actor: User | None, device_id: uuid.UUID | None,
            request: BackupRequest, action: str, before: dict[str, Any] | None,
            audience: Audience, config: Mapping[str, Any]) -> None:
    """A person's act: audited and announced, with the request's shape built once (it is on
    the way from the press to every listener)."""
    session.flush()
    after = request_to_dict(session, request, config, actor)
    record_audit(session, actor=actor, device_id=device_id, entity="backup_request",
                 entity_id=request.id, action=f"backup_{action}", before=before, after=after)
    _announce(session, request, f"backup.{action}", audience, config, after)


def last_known_position(session: Session, unit_id: int) -> dict[str, Any] | None:
    return next(iter(unit_positions(session, [unit_id])), None)


def _check_call(session: Session, call_id: uuid.UUID | None, unit_id: int) -> None:
    if call_id is None:
        return
    call = session.get(Call, call_id)
    if call is None or call.deleted_at is not None or call.unit_id != unit_id:
        raise field_error("call_id", "Not a call of your unit.")


def request_backup(session: Session, actor: User | None, device_id: uuid.UUID | None,
                   unit_id: int | None, data: Mapping[str, Any], config: Mapping[str, Any],
                   now: datetime, origin: Origin = Origin.RESPONDER
                   ) -> tuple[BackupRequest, bool]:
    """Raise a request for the unit (the crew's scope, never the body), or answer the one
    this id already made: (request, created). The same id from another unit is refused.
    Nothing is read before the insert but the call (a press's way to its listeners waits on
    each round trip): one INSERT ... ON CONFLICT DO NOTHING, and a retry or the loser of two
    presses racing, given no row back, reads the one already there. A retry whose call has
    since moved on is answered with its request too."""
    if unit_id is None:
        raise DomainError(403, "You are not on a unit's shift: a backup request needs one.")
    try:
        _check_call(session, data.get("call_id"), unit_id)
    except DomainError:
        if (made := session.get(BackupRequest, data["id"])) is None:
            raise
        return _same_unit(made, unit_id), False
    detail = {"urgency": data["urgency"], "origin": origin.value}
    presser = actor
    if actor is not None and (named := data.get("pressed_by")) is not None:
        presser = tapped_by(session, actor, device_id, unit_id, named, now)
        if presser is None:  # never refused: credited to the sender, the name it gave kept
            presser, detail = actor, {**detail, "pressed_by_not_credited": named}
    request = session.scalars(
        dialect_insert(session, BackupRequest)
        .values(_new_request(session, presser, device_id, unit_id, data, config, now, origin))
        .on_conflict_do_nothing(index_elements=[BackupRequest.id])
        .returning(BackupRequest)).one_or_none()
    if request is not None:
        tier = tiers(config)[0]
        if presser is not actor:
            detail["sent_by"] = actor.id if actor else None
        _log(session, request, "requested", presser, now, detail)
        _record(session, presser, device_id, request, "requested", None,
                audience_for(session, request, tier, now, config), config)
        return request, True
    existing = session.get(BackupRequest, data["id"], populate_existing=True)
    if existing is None:  # neither inserted nor there: nothing else takes an id away
        raise DomainError(409, "This request id could not be recorded; send it again.")
    return _same_unit(existing, unit_id), False


def _same_unit(request: BackupRequest, unit_id: int) -> BackupRequest:
    if request.unit_id != unit_id:
        raise DomainError(409, "This request id belongs to another unit's request.")
    return request


def _new_request(session: Session, actor: User | None, device_id: uuid.UUID | None,
                 unit_id: int, data: Mapping[str, Any], config: Mapping[str, Any],
                 now: datetime, origin: Origin) -> dict[str, Any]:
    """The new request's columns."""
    position = data.get("position")
    source: PositionSource | None = PositionSource.DEVICE
    if position is None:
        known = last_known_position(session, unit_id)
        position = known and {"lat": known["lat"], "lon": known["lon"],
                              "accuracy_m": known["accuracy_m"], "recorded_at": known["at"]}
        source = PositionSource.LAST_KNOWN if known else None
    position = position or {}
    return {
        "id": data["id"], "unit_id": unit_id, "call_id": data.get("call_id"),
        "requested_by_id": actor.id if actor else None, "device_id": device_id,
        "urgency": Urgency(data["urgency"]), "origin": origin, "lat": position.get("lat"),
        "lon": position.get("lon"), "accuracy_m": position.get("accuracy_m"),
        "position_at": position.get("recorded_at"), "position_source": source,
        "note": data.get("note"), "state": BackupState.OPEN, "tier": 0,
        "next_escalation_at": now + timedelta(seconds=config["BACKUP_ALERT_TIMEOUT_SECONDS"]),
        "requested_at": data["device_time"], "received_at": now, "delivered_to": 0}


def readable_request(session: Session, actor: User, unit_id: int | None,
                     request_id: uuid.UUID) -> BackupRequest:
    """The request, for a dispatch reader any; for a field role their unit's only (another
    unit's is answered as missing: its existence is not theirs to learn)."""
    request = session.get(BackupRequest, request_id)
    if request is None or (actor.role in FIELD_ROLES and request.unit_id != unit_id):
        raise not_found("backup request")
    return request


def list_requests(session: Session, actor: User, unit_id: int | None, state: str
                  ) -> list[BackupRequest]:
    stmt = sa.select(BackupRequest).order_by(BackupRequest.received_at.desc(),
                                             BackupRequest.id)
    if state == "open":
        stmt = stmt.where(BackupRequest.state.in_(OPEN_STATES))
    elif state == "closed":
        stmt = stmt.where(BackupRequest.state.not_in(OPEN_STATES))
    if actor.role in FIELD_ROLES:
        stmt = stmt.where(BackupRequest.unit_id == unit_id)
    return list(session.scalars(stmt))


def _locked(session: Session, request_id: uuid.UUID) -> BackupRequest:
    """The request locked for its change, re-read as last committed."""
    locked = lock_row(session, BackupRequest, request_id)
    assert locked is not None
    return locked


def acknowledge(session: Session, actor: User, device_id: uuid.UUID | None,
                request: BackupRequest, config: Mapping[str, Any], now: datetime
                ) -> BackupRequest:
    """The first acknowledgement stands; a later one changes nothing. A closed request
    cannot be acknowledged."""
    request = _locked(session, request.id)
    if request.acknowledged_by_id is not None:
        return request
    if request.state is not BackupState.OPEN:
        raise DomainError(409, f"This request is already {request.state.value}.")
    before = request_to_dict(session, request, config)
    request.state, request.acknowledged_by_id, request.acknowledged_at = (
        BackupState.ACKNOWLEDGED, actor.id, now)
    request.next_escalation_at = None
    _log(session, request, "acknowledged", actor, now)
    _record(session, actor, device_id, request, "acknowledged", before,
            current_audience(session, request, now, config), config)
    return request


def close(session: Session, actor: User, device_id: uuid.UUID | None, unit_id: int | None,
          request: BackupRequest, state: BackupState, reason: str,
          config: Mapping[str, Any], now: datetime) -> BackupRequest:
    """Cancel (the requesting unit's crew or an answerer) or resolve (an answerer), with a
    reason; closing a closed request is refused."""
    if state is BackupState.CANCELLED and actor.role not in BACKUP_ANSWERERS \
            and request.unit_id != unit_id:
        raise not_found("backup request")
    request = _locked(session, request.id)
    if request.state not in OPEN_STATES:
        raise DomainError(409, f"This request is already {request.state.value}.")
    before = request_to_dict(session, request, config)
    request.state, request.closed_by_id, request.closed_at = state, actor.id, now
    request.close_reason, request.next_escalation_at = reason, None
    _log(session, request, state.value, actor, now, {"reason": reason})
    _record(session, actor, device_id, request, state.value, before,
            current_audience(session, request, now, config), config)
    return request


# --- the escalation sweep -------------------------------------------------------------------

def escalate_due(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    """Fire the next tier of every open request whose tier timed out: one conditional UPDATE
    on (id, tier, state) each, so of every process sweeping at once one moves it, and the
    others' updates match nothing. The tier after the last is the broadcast, once."""
    all_tiers = tiers(config)
    due = session.execute(sa.select(BackupRequest.id, BackupRequest.tier).where(
        BackupRequest.state == BackupState.OPEN, BackupRequest.next_escalation_at <= now)
        .order_by(BackupRequest.next_escalation_at)).all()
    fired: list[str] = []  # "<id>:<tier name>", for the job's summary
    for request_id, tier_number in due:
        if tier_number + 1 >= len(all_tiers):
            continue
        step = all_tiers[tier_number + 1]
        next_at = now + step.timeout if step.timeout is not None else None
        values: dict[str, Any] = {"tier": step.number, "next_escalation_at": next_at}
        if step.timeout is None:
            values["broadcast_at"] = now
        moved = session.execute(
            sa.update(BackupRequest).where(BackupRequest.id == request_id,
                                           BackupRequest.tier == tier_number,
                                           BackupRequest.state == BackupState.OPEN)
            .values(**values).execution_options(synchronize_session=False))
        if moved.rowcount != 1:  # type: ignore[attr-defined]  # a DML result
            continue
        request = session.get(BackupRequest, request_id, populate_existing=True)
        assert request is not None
        broadcast = step.timeout is None
        _log(session, request, "broadcast" if broadcast else "escalated", None, now,
             {"tier_name": step.name})
        _announce(session, request, "backup.broadcast" if broadcast else "backup.escalated",
                  audience_for(session, request, step, now, config), config)
        fired.append(f"{request_id}:{step.name}")
    return {"fired": fired}


# --- delivery receipts ----------------------------------------------------------------------

def count_delivered(session: Session, request_id: uuid.UUID) -> int:
    """Distinct people with a delivered receipt for any of the request's events."""
    return int(session.scalar(
        sa.select(sa.func.count(sa.distinct(Delivery.user_id)))
        .join(StreamEvent, StreamEvent.id == Delivery.event_id)
        .where(StreamEvent.subject == subject_of(request_id),
               Delivery.status == DeliveryStatus.DELIVERED, Delivery.user_id.is_not(None))) or 0)


def note_receipts(session: Session, events: Sequence[StreamEvent]) -> None:
    """The receipt hook: for each request whose events got a receipt, recount the people it
    reached and, when the count grew, tell the requesting unit."""
    from flask import current_app

    ids = {uuid.UUID(e.subject[len(SUBJECT_PREFIX):]) for e in events
           if e.subject and e.subject.startswith(SUBJECT_PREFIX)}
    for request_id in sorted(ids):
        request = lock_row(session, BackupRequest, request_id)
        if request is None:
            continue
        count = count_delivered(session, request_id)
        if count > request.delivered_to:
            request.delivered_to = count
            _announce(session, request, "backup.delivered", Audience.of(units=[request.unit_id]),
                      current_app.config)
