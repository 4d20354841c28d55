"""CAD intake: a call the CAD sent (its interface or a file) stored once by incident number.
A resend changes nothing; an update to an open call is applied (and reaches the tablet as an
updated call); a closed call is left as it was. An unknown CAD call type is kept, the call
marked unmapped, until an admin maps the code. Every new call is triaged."""

from __future__ import annotations

import enum
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from server.audit.services import record_audit
from server.auth.models import User
from server.auth.services import LAST_SEEN_RESOLUTION
from server.cad.models import CadCallTypeMap, CadIntegration
from server.cad.records import CadCall
from server.calls.kinds import MAX_NARRATIVE_LENGTH
from server.calls.models import Call, CallStatus, CallType, Premise
from server.calls.services import note_call_changed
from server.dispatch import services as dispatch
from server.dispatch.rules import (
    ReasonCode,
    TriageCall,
    TriageRules,
    UnitIndex,
    index_units,
    triage,
)
from server.errors import DomainError, field_error
from sync.storable import text_problem, value_problems

# A key long enough that guessing one is hopeless (256 bits), with a prefix that says what it
# is when it turns up in a log or a password manager.
KEY_PREFIX = "cad_"
KEY_BYTES = 32
# What the columns hold: a longer value from a CAD file is an error on its row, not a failed
# import (the interface's schema refuses the same lengths).
MAX_LENGTHS = {"incident_number": 32, "call_type": 80, "address": 200,
               "narrative": MAX_NARRATIVE_LENGTH}
# Reasons a historical call's triage gives that speak of units then: not known for an old
# export, so not recorded (hours, areas, no position and safety are facts of the call).
UNKNOWN_THEN = frozenset({ReasonCode.NO_UNIT_ON_SHIFT, ReasonCode.ALL_BUSY,
                          ReasonCode.INVALID_CREW})


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CLOSED = "closed"  # the call is cleared or cancelled: the CAD's change is not applied


@dataclass
class Intake:
    """What an intake run keeps between calls: the rules and units (read once per run, not per
    call), the call-type maps already read."""

    rules: TriageRules
    units: UnitIndex
    source: str
    historical: bool = False
    maps: dict[str, CadCallTypeMap] = field(default_factory=dict)
    types: dict[int, CallType] = field(default_factory=dict)
    unmapped: set[str] = field(default_factory=set)
    placeholder: CallType | None = None


def start_intake(session: Session, now: datetime, source: str, historical: bool = False) -> Intake:
    """`historical`: calls from an old export, triaged for eligibility, hours and area only
    (which units were free then is not known, so no unit is recommended)."""
    units = index_units([]) if historical else dispatch.current_units(session, now)
    return Intake(dispatch.load_rules(session), units, source, historical)


def problems_of(cad: CadCall) -> list[tuple[str, str]]:
    """(field, why) for each value of a CAD call the database cannot hold."""
    found = [(name, f"longer than {limit} characters") for name, limit in MAX_LENGTHS.items()
             if len(getattr(cad, name)) > limit]
    for name in ("incident_number", "call_type", "address", "narrative"):
        if why := text_problem(getattr(cad, name)):
            found.append((name, why))
    for name, value in cad_fields_of(cad).items():
        found += [(f"{name}.{path}" if path else name, why[0])
                  for path, why in value_problems(value).items()]
    return found


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_integration(session: Session, name: str) -> tuple[CadIntegration, str]:
    """A new integration and its key (shown once; only its hash is kept)."""
    if session.scalar(sa.select(CadIntegration.id).where(CadIntegration.name == name)):
        raise field_error("name", "an integration with this name exists", 409)
    key = KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    integration = CadIntegration(name=name, key_hash=hash_key(key))
    session.add(integration)
    session.flush()
    return integration, key


def integration_for_key(session: Session, key: str | None) -> CadIntegration | None:
    if not key:
        return None
    return session.scalar(sa.select(CadIntegration).where(
        CadIntegration.key_hash == hash_key(key), CadIntegration.active))


def mark_used(integration: CadIntegration, now: datetime) -> bool:
    """Note the integration used `now` when its last mark is a minute old or more."""
    last = integration.last_used_at
    if last is not None and now - last < LAST_SEEN_RESOLUTION:
        return False
    integration.last_used_at = now
    return True


def call_type_for(session: Session, intake: Intake, code: str, now: datetime) -> CallType:
    """Our call type for the CAD's code: its map, else a call type of that code (mapped on
    first sight), else the unmapped placeholder (the code waits on the review list)."""
    row = intake.maps.get(code)
    if row is None:
        row = session.scalar(sa.select(CadCallTypeMap).where(CadCallTypeMap.cad_code == code))
        if row is None:
            same = session.scalar(sa.select(CallType).where(
                sa.func.lower(CallType.code) == code.lower()))
            row = CadCallTypeMap(cad_code=code, call_type_id=same.id if same else None,
                                 first_seen_at=now, last_seen_at=now, calls_seen=0)
            session.add(row)
            session.flush()
        intake.maps[code] = row
    row.last_seen_at = now
    row.calls_seen += 1
    if row.call_type_id is None:
        intake.unmapped.add(code)
        if intake.placeholder is None:
            intake.placeholder = unmapped_type(session)
        return intake.placeholder
    found = intake.types.get(row.call_type_id)
    if found is None:
        found = session.get(CallType, row.call_type_id)
        assert found is not None
        intake.types[row.call_type_id] = found
    return found


def unmapped_type(session: Session) -> CallType:
    found = session.scalar(sa.select(CallType).where(CallType.code == dispatch.UNMAPPED_CODE))
    if found is None:
        found = CallType(code=dispatch.UNMAPPED_CODE, name="CAD call type not mapped yet",
                         default_priority=3)
        session.add(found)
        session.flush()
    return found


def cad_fields_of(cad: CadCall) -> dict[str, Any]:
    return {"reasons": list(cad.reasons), "caller_answers": dict(cad.caller_answers),
            "extra": dict(cad.extra)}


def ingest(session: Session, intake: Intake, cad: CadCall, now: datetime,
           audit: bool = True) -> tuple[Call, Outcome]:
    """Store one CAD call (create, update, or leave), triaging what it creates."""
    return ingest_many(session, intake, [cad], now, audit)[0]


def ingest_many(session: Session, intake: Intake, cads: list[CadCall], now: datetime,
                audit: bool = True) -> list[tuple[Call, Outcome]]:
    """Store a batch of CAD calls with a few queries for all of them (the calls and premises
    they name read at once); an incident twice in the batch is its own update."""
    numbers = {c.incident_number for c in cads}
    calls = {c.cad_number: c for c in session.scalars(
        sa.select(Call).where(Call.cad_number.in_(numbers))
        .options(selectinload(Call.premise), selectinload(Call.call_type)))}
    premises = _premises_for(session, cads)
    done = []
    for cad in cads:
        call_type = call_type_for(session, intake, cad.call_type, now)
        call = calls.get(cad.incident_number)
        if call is None:
            premise = premises.get(cad.address) or Premise(address="", lat=cad.lat, lon=cad.lon)
            call = _create(session, intake, cad, call_type, premise, now)
            calls[cad.incident_number] = call
            done.append((call, Outcome.CREATED))
        else:
            done.append((call, _update(session, intake, call, cad, call_type, premises, now,
                                       audit)))
    session.flush()
    if audit:
        for call, outcome in done:
            if outcome is Outcome.CREATED:
                record_audit(session, actor=None, device_id=None, entity="call",
                             entity_id=call.id, action="cad_create", before=None,
                             after={"cad_number": call.cad_number, "source": call.source})
    return done


def _premises_for(session: Session, cads: list[CadCall]) -> dict[str, Premise]:
    """The premise of each address the batch names: found, or made (with the CAD's position).
    A call with no address gets a premise of its own (no history is shared through "")."""
    addresses = {c.address for c in cads if c.address}
    found = {p.address: p for p in session.scalars(sa.select(Premise).where(
        Premise.address.in_(addresses)).options(selectinload(Premise.hazards)))}
    for cad in cads:
        if cad.address and cad.address not in found:
            found[cad.address] = Premise(address=cad.address, lat=cad.lat, lon=cad.lon)
            session.add(found[cad.address])
    return found


def _facts(cad: CadCall, call_type: CallType) -> TriageCall:
    return TriageCall(call_type.code, cad.weapon or call_type.weapon_involved, cad.violence,
                      cad.received_at, cad.lat, cad.lon)


def _create(session: Session, intake: Intake, cad: CadCall, call_type: CallType,
            premise: Premise, now: datetime) -> Call:
    call = Call(id=uuid.uuid4(), cad_number=cad.incident_number, call_type=call_type,
                priority=cad.priority or call_type.default_priority, premise=premise,
                narrative=cad.narrative, received_at=cad.received_at, status=CallStatus.RECEIVED,
                field_versions={}, source=intake.source, cad_call_type=cad.call_type,
                weapon=cad.weapon, violence=cad.violence, cad_fields=cad_fields_of(cad),
                updated_at=now, version=1)
    session.add(call)
    _triage(intake, call, cad, call_type)
    return call


def _triage(intake: Intake, call: Call, cad: CadCall, call_type: CallType) -> None:
    found = triage(_facts(cad, call_type), intake.rules, intake.units)
    dispatch.write_triage(call, found)
    if intake.historical:  # no unit is recommended for a call long gone
        call.recommended_response, call.recommended_unit_id = None, None
        if found.reason_code in UNKNOWN_THEN:
            call.reason_code = call.unserved_reason = None
        call.recommendation_reason = (
            "Imported from a CAD export: " + ("eligible" if call.eligible else "not eligible")
            + (f"; {found.reason}" if call.reason_code else ""))


def _update(session: Session, intake: Intake, call: Call, cad: CadCall, call_type: CallType,
            premises: dict[str, Premise], now: datetime, audit: bool) -> Outcome:
    """Apply what the CAD changed on an open call (its unit's tablet is fed the change)."""
    if call.deleted_at is not None or call.status is CallStatus.CLEARED:
        return Outcome.CLOSED
    incoming: dict[str, Any] = {
        "priority": cad.priority or call_type.default_priority, "narrative": cad.narrative,
        "weapon": cad.weapon, "violence": cad.violence, "cad_fields": cad_fields_of(cad),
        "cad_call_type": cad.call_type}
    if call.call_type_id != call_type.id:
        incoming["call_type"] = call_type
    if cad.address and cad.address != call.premise.address:
        incoming["premise"] = premises[cad.address]
    changes = {k: v for k, v in incoming.items() if getattr(call, k) != v}
    if not changes:
        return Outcome.UNCHANGED
    before = {k: _plain(getattr(call, k)) for k in changes}
    call.version += 1
    versions = dict(call.field_versions or {})
    for key, value in changes.items():
        setattr(call, key, value)
        versions[key] = call.version
    call.field_versions = versions
    call.cad_updated_at = call.updated_at = now
    if call.unit_id is None:
        _triage(intake, call, cad, call_type)
    session.flush()
    if audit:
        record_audit(session, actor=None, device_id=None, entity="call", entity_id=call.id,
                     action="cad_update", before=before,
                     after={k: _plain(getattr(call, k)) for k in changes})
    note_call_changed(session, call)
    return Outcome.UPDATED


def _plain(value: Any) -> Any:
    if isinstance(value, (CallType, Premise)):
        return value.code if isinstance(value, CallType) else value.address
    return value if isinstance(value, (str, int, float, bool, dict, list, type(None))) else str(value)


# --- the review list of unmapped call types --------------------------------------------------

def unmapped_codes(session: Session) -> list[CadCallTypeMap]:
    return list(session.scalars(sa.select(CadCallTypeMap).where(CadCallTypeMap.call_type_id.is_(None))
                                .order_by(CadCallTypeMap.calls_seen.desc(), CadCallTypeMap.cad_code)))


def map_code(session: Session, actor: User, map_id: int, call_type_code: str,
             now: datetime) -> tuple[CadCallTypeMap, int]:
    """Map a CAD code to one of our call types; its calls still open are re-triaged. Returns
    the map and how many calls moved off the placeholder."""
    row = session.get(CadCallTypeMap, map_id)
    if row is None:
        raise DomainError(404, "No such CAD call type.")
    call_type = session.scalar(sa.select(CallType).where(CallType.code == call_type_code,
                                                         CallType.code != dispatch.UNMAPPED_CODE))
    if call_type is None:
        raise field_error("call_type", "unknown call type code")
    before = {"call_type_id": row.call_type_id}
    row.call_type_id, row.mapped_by_id, row.mapped_at = call_type.id, actor.id, now
    calls = list(session.scalars(sa.select(Call).where(Call.cad_call_type == row.cad_code,
                                                       Call.call_type_id != call_type.id)))
    intake = start_intake(session, now, "cad")
    for call in calls:
        call.call_type_id = call_type.id
        session.flush()
        session.expire(call, ["call_type"])
        if call.unit_id is None and call.status is not CallStatus.CLEARED:
            dispatch.triage_call(session, call, now, intake.rules, intake.units)
    record_audit(session, actor=actor, device_id=None, entity="cad_call_type_map",
                 entity_id=row.id, action="map", before=before,
                 after={"call_type_id": call_type.id, "calls": len(calls)})
    return row, len(calls)
