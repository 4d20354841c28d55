"""A believable demo city: units of every program on shift, a login per role, about 500
calls over 30 days with premises, hazards and status history, stocked supplies, and care
navigation's community resources, referrals and follow-ups."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.auth.models import Role, User
from server.auth.services import create_user
from server.cad.models import CadIntegration
from server.cad.services import hash_key
from server.calls.models import (
    Call,
    CallNote,
    CallStatus,
    CallStatusEvent,
    CallType,
    CallTypeEligibility,
    Premise,
    PremiseHazard,
)
from server.calls.seed import CALL_TYPES
from server.calls.services import note_call_changed
from server.care.hsds import Resource
from server.care.models import CareResource, FollowUp, Referral, ReferralEvent, ReferralStatus
from server.care.services import store_resources
from server.config import Config
from server.dispositions.seed import seed_dispositions
from server.models_base import utcnow
from server.supplies.models import (
    LedgerReason,
    LocationKind,
    ParLevel,
    StockLocation,
    SupplyCategory,
    SupplyItem,
    SupplyLot,
)
from server.supplies.services import (
    NewEntry,
    compute_alerts,
    fefo_lots,
    post_entries,
    receive_transfer,
    send_transfer,
)
from server.units.models import Program, Shift, ShiftMember, Unit

DEMO_PASSWORD = "heart-demo-2026"  # noqa: S105 - printed by `make run` for the demo only
# The demo CAD's key (X-CAD-Key), printed with the logins: a demo city takes calls by curl.
DEMO_CAD_KEY = "cad_demo-city-key-not-for-production"
DEMO_DAYS = 30
DEMO_CALLS = 500
DEMO_PREMISES = 160
# Roughly one premise in twelve carries a hazard flag, as in a city's CAD premise file.
HAZARD_SHARE = 12
# A shift is 12 hours (HEART runs 7 days, 12 hours a day); demo shifts start 2 hours ago.
SHIFT_HOURS = 12

UNITS = [
    ("HEART-1", Program.COMMUNITY_RESPONSE),
    ("HEART-2", Program.COMMUNITY_RESPONSE),
    ("HEART-3", Program.COMMUNITY_RESPONSE),
    ("CORE-1", Program.CO_RESPONSE),
    ("DIVERT-1", Program.CRISIS_CALL_DIVERSION),
    ("NAV-1", Program.CARE_NAVIGATION),
]

# username, full name, role, unit call sign (None = not on a unit)
PEOPLE: list[tuple[str, str, Role, str | None]] = [
    ("clinician1", "Ana Morales, LCSW", Role.RESPONDER_CLINICIAN, "HEART-1"),
    ("peer1", "Marcus Bell", Role.RESPONDER_PEER, "HEART-1"),
    ("emt1", "Jordan Price, EMT", Role.RESPONDER_EMT, "HEART-1"),
    ("clinician2", "Priya Shah, LCSW", Role.RESPONDER_CLINICIAN, "HEART-2"),
    ("peer2", "Dee Walker", Role.RESPONDER_PEER, "HEART-2"),
    ("emt2", "Sam Ortiz, EMT", Role.RESPONDER_EMT, "HEART-2"),
    ("clinician3", "Lee Chen, LCSW", Role.RESPONDER_CLINICIAN, "HEART-3"),
    ("emt3", "Riley Green, EMT", Role.RESPONDER_EMT, "HEART-3"),
    ("coclinician", "Tasha Reed, LCSW", Role.RESPONDER_CLINICIAN, "CORE-1"),
    ("citofficer", "Officer Dan Hughes", Role.CIT_OFFICER, "CORE-1"),
    ("diversion", "Maria Lopez, LCSW", Role.DIVERSION_CLINICIAN, "DIVERT-1"),
    ("navigator", "Chris Young", Role.CARE_NAVIGATOR, "NAV-1"),
    ("dispatcher", "Pat Kim", Role.DISPATCHER, None),
    ("supervisor", "Alex Rivera", Role.SUPERVISOR, None),
    ("supplies", "Jamie Fox", Role.SUPPLY_MANAGER, None),
    ("lead", "Dr. Robin Hart", Role.PROGRAM_LEAD, None),
    ("admin", "Sys Admin", Role.ADMIN, None),
]

STREETS = ["Main St", "Fayetteville St", "Roxboro St", "Alston Ave", "Holloway St", "Chapel Hill Rd",
           "Hillsborough Rd", "Guess Rd", "Duke St", "Mangum St", "Angier Ave", "Club Blvd"]
HAZARDS = [("weapons", "Resident known to keep a firearm"), ("dog", "Aggressive dog on premises"),
           ("violence", "History of assault on responders"), ("biohazard", "Needles found on site")]
# What a caller tells 911, by call type (a weapon variant adds WEAPON_NARRATIVE): the demo's
# narratives match their calls.
NARRATIVES = {
    "mental_health_crisis": "Caller's brother has stopped taking his medication and is shouting at "
                            "people who are not there.",
    "nonviolent_mental_health_crisis": "Caller reports a neighbor talking to himself and pacing in "
                                       "the street; no threats made.",
    "suicide_threat": "Caller says her roommate texted that she wants to end her life tonight.",
    "attempted_suicide": "Caller found his father after he took a large number of pills; "
                         "father is awake and talking.",
    "trespass": "Store manager reports a man sleeping in the entrance who will not leave.",
    "intoxicated_person": "Person appears intoxicated, stumbling near traffic on the corner.",
    "lost_person_assist": "Older man at the bus station cannot say where he lives.",
    "custody_issue_assist": "Parents arguing over a child handover in a parking lot.",
    "panhandling_nuisance": "Man asking drivers for money at the intersection, walking between cars.",
    "indecency_lewdness": "Caller reports a man undressing in the park near the playground.",
    "prostitution": "Resident reports a young woman approaching cars late at night.",
    "welfare_check": "Welfare check requested on an elderly resident not seen for days.",
    "physical_disturbance": "Two people pushing each other outside the laundromat.",
    "verbal_disturbance": "Loud argument in the apartment upstairs, going on for an hour.",
    "disturbance": "Group fighting in the parking lot behind the bar.",
    "harassment": "Caller says an ex-partner keeps coming to her door and will not leave.",
    "threat": "Man outside the clinic says he will hurt the staff if he is not seen.",
    "reckless_activity": "Person lying down in the road and getting up when cars stop.",
    "abuse": "Neighbor hears a child crying and an adult yelling for a long time.",
    "domestic_violence": "Caller's sister says her husband hit her and she is afraid to go home.",
    "drugs": "Caller found a man unresponsive in the restroom, needle nearby.",
    "involuntary_commitment": "Family has a magistrate's order for their son, who refuses to go.",
}
WEAPON_NARRATIVE = " Caller saw a weapon."
DISPOSITIONS = ["Resolved on scene", "Referred to community care", "Transported to crisis center",
                "Declined services", "Connected with shelter"]
# The catalog: (sku, name, category, unit of measure, units in a pack, GTIN without its
# check digit, par per vehicle kit). GTINs are the demo's own company prefix.
SUPPLIES = [
    ("NARCAN-4MG", "Naloxone nasal spray 4 mg", SupplyCategory.NALOXONE, "device", 2,
     "0036990100010", 8),
    ("NLX-KIT", "Naloxone kit (2 sprays, gloves, face shield)", SupplyCategory.NALOXONE_KIT,
     "kit", 12, "0036990100020", 4),
    ("FTS", "Fentanyl test strip", SupplyCategory.FENTANYL_TEST_STRIPS, "strip", 100,
     "0036990100030", 40),
    ("SSK", "Safer-sex kit", SupplyCategory.SAFER_SEX_KIT, "kit", 50, "0036990100040", 10),
    ("WCK", "Wound care kit", SupplyCategory.WOUND_CARE, "kit", 20, "0036990100050", 5),
    ("HYG", "Hygiene kit", SupplyCategory.HYGIENE_KIT, "kit", 25, "0036990100060", 6),
    ("SYR-1ML", "Syringe 1 mL", SupplyCategory.SYRINGES, "syringe", 100, "0036990100070", 50),
    ("SHARPS-1Q", "Sharps container 1 qt", SupplyCategory.OTHER, "container", 12,
     "0036990100080", 2),
]
# Items whose lots never expire.
NO_EXPIRY = {"SHARPS-1Q"}
# The demo's lots to alert on: a naloxone lot near expiry in the kits, a wound care lot
# past it in the warehouse (days from today).
NEAR_EXPIRY_LOT = ("NARCAN-4MG", 12)
EXPIRED_LOT = ("WCK", -5)
# The warehouse keeps this many kits' worth of each item.
WAREHOUSE_PAR_KITS = 6
# Durham, NC downtown; premises scatter within about 6 km.
CITY_LAT, CITY_LON, SPREAD = 35.994, -78.8986, 0.05


@dataclass
class DemoSummary:
    users: list[tuple[str, str]]
    calls: int
    premises: int


def narrative_for(code: str) -> str:
    """The demo narrative of a call type: its own, or its base type's with the weapon seen."""
    base = code.removesuffix("_weapon")
    text = NARRATIVES.get(code) or NARRATIVES.get(base) or NARRATIVES["welfare_check"]
    return text + (WEAPON_NARRATIVE if code.endswith("_weapon") else "")


def seed_call_types(session: Session) -> None:
    """Insert the seed eligibility table (skips types that exist, so edits are kept)."""
    existing = set(session.scalars(sa.select(CallType.code)))
    for code, name, weapon, priority, programs in CALL_TYPES:
        if code in existing:
            continue
        session.add(CallType(
            code=code, name=name, weapon_involved=weapon, default_priority=priority,
            eligibility=[CallTypeEligibility(program=p, rank=i + 1) for i, p in enumerate(programs)],
        ))
    session.flush()


def _people_and_units(session: Session, now: datetime) -> tuple[dict[str, Unit], list[User]]:
    units = {sign: Unit(call_sign=sign, program=program) for sign, program in UNITS}
    session.add_all(units.values())
    session.flush()
    shifts = {
        sign: Shift(unit_id=u.id, starts_at=now - timedelta(hours=2),
                    ends_at=now + timedelta(hours=SHIFT_HOURS - 2))
        for sign, u in units.items()
    }
    session.add_all(shifts.values())
    users = []
    for username, name, role, sign in PEOPLE:
        user = create_user(session, username=username, full_name=name, role=role, password=DEMO_PASSWORD)
        users.append(user)
        if sign:
            shifts[sign].members.append(ShiftMember(user_id=user.id))
    session.flush()
    return units, users


def _premises(session: Session, rng: random.Random) -> list[Premise]:
    premises = []
    addresses: set[str] = set()
    while len(addresses) < DEMO_PREMISES:
        addresses.add(f"{100 + rng.randrange(2900)} {rng.choice(STREETS)}, Durham NC")
    for n, address in enumerate(sorted(addresses)):
        premise = Premise(
            address=address,
            lat=CITY_LAT + rng.uniform(-SPREAD, SPREAD), lon=CITY_LON + rng.uniform(-SPREAD, SPREAD))
        if n % HAZARD_SHARE == 0:
            kind, text = rng.choice(HAZARDS)
            premise.hazards.append(PremiseHazard(kind=kind, description=text))
        premises.append(premise)
    session.add_all(premises)
    session.flush()
    return premises


def _calls(session: Session, rng: random.Random, now: datetime, units: dict[str, Unit],
           premises: list[Premise], dispatcher: User, responders: dict[int, list[User]]) -> int:
    codes = [c[0] for c in CALL_TYPES]
    types = list(session.scalars(sa.select(CallType).where(CallType.code.in_(codes))))
    field_units = [u for u in units.values()
                   if u.program in (Program.COMMUNITY_RESPONSE, Program.CO_RESPONSE)]
    for n in range(DEMO_CALLS):
        open_call = n < 24  # the newest calls are still open, spread over the units on shift
        received = now - (timedelta(minutes=rng.randrange(5, 90)) if open_call
                          else timedelta(minutes=rng.randrange(120, DEMO_DAYS * 24 * 60)))
        call_type = rng.choice(types)
        unit = rng.choice(field_units)
        call = Call(cad_number=f"D{received:%y%m%d}-{n:05d}", call_type=call_type,
                    priority=call_type.default_priority, premise=rng.choice(premises),
                    narrative=narrative_for(call_type.code), received_at=received,
                    dispatched_at=received + timedelta(minutes=rng.randrange(1, 6)),
                    unit_id=unit.id, status=CallStatus.DISPATCHED, updated_by_id=dispatcher.id)
        session.add(call)
        crew = responders.get(unit.id) or [dispatcher]
        steps = [CallStatus.EN_ROUTE, CallStatus.ON_SCENE]
        if not open_call:
            steps += ([CallStatus.TRANSPORTING] if rng.random() < 0.15 else []) + [CallStatus.CLEARED]
            call.disposition = rng.choice(DISPOSITIONS)
        elif n % 3:
            steps = steps[: n % 3]
        else:
            steps = []
        at = call.dispatched_at or received
        for status in steps:
            at += timedelta(minutes=rng.randrange(2, 25))
            call.status_events.append(CallStatusEvent(
                id=uuid.uuid4(), status=status, user_id=rng.choice(crew).id,
                device_time=at, corrected_time=at, received_at=at))
            call.status = status
        if not open_call and rng.random() < 0.5:
            call.notes.append(CallNote(id=uuid.uuid4(), body="Neighbor engaged, accepted water and "
                                       "a ride to the shelter.", user_id=rng.choice(crew).id,
                                       device_time=at, corrected_time=at, received_at=at))
        call.updated_at = at
        session.flush()
        note_call_changed(session, call)
    return DEMO_CALLS


# Community resources as an HSDS import would give them (positions around downtown Durham).
CARE_RESOURCES = [
    Resource(service_id="demo-food-pantry", location_id="demo-loc-1", name="Emergency food pantry",
             organization="Durham Community Food Bank", description="Groceries for a week, no ID needed.",
             categories=("Food pantries",), address="400 Main St, Durham NC", lat=35.9952,
             lon=-78.9003, phone="919-555-0101", languages=("English", "Spanish"),
             language_codes=("en", "es"), hours=("Mon-Fri 09:00-17:00", "Sat 10:00-13:00")),
    Resource(service_id="demo-shelter", location_id="demo-loc-2", name="Night shelter",
             organization="Urban Ministries of Durham", description="Beds for adults, intake from 5 pm.",
             categories=("Emergency shelter",), address="1201 Holloway St, Durham NC", lat=35.9821,
             lon=-78.8870, phone="919-555-0202", languages=("English",), language_codes=("en",),
             hours=("Mon-Sun 17:00-08:00 · intake from 5 pm",)),
    Resource(service_id="demo-detox", location_id="demo-loc-3", name="Walk-in detox and recovery",
             organization="Durham Recovery Center", description="Same-day assessment, peer support.",
             categories=("Substance use treatment", "Peer support"), address="309 Crutchfield St, Durham NC",
             lat=36.0089, lon=-78.9114, phone="919-555-0303", languages=("English", "Spanish"),
             language_codes=("en", "es"), hours=("Mon-Fri 08:00-20:00",)),
    Resource(service_id="demo-crisis-line", location_id="", name="Crisis line",
             organization="Alliance Health", description="Call or text, day and night.",
             categories=("Crisis intervention",), phone="988",
             languages=("English", "Spanish", "Vietnamese"), language_codes=("en", "es", "vi"),
             hours=("Day and night, every day",)),
]


def _care(session: Session, now: datetime, navigator: User, responder: User) -> None:
    """Referrals of three recent calls of the community response units (made, accepted,
    connected) and the navigator's follow-ups on them: one overdue, one due today, one later."""
    store_resources(session, CARE_RESOURCES, "demo", now)
    resources = {r.hsds_service_id: r for r in session.scalars(sa.select(CareResource))}
    calls = list(session.scalars(
        sa.select(Call).join(Unit, Unit.id == Call.unit_id)
        .where(Unit.program == Program.COMMUNITY_RESPONSE, Call.status == CallStatus.CLEARED)
        .order_by(Call.received_at.desc()).limit(3)))
    courses = [("demo-food-pantry", "food", [ReferralStatus.ACCEPTED]),
               ("demo-shelter", "housing", [ReferralStatus.ACCEPTED, ReferralStatus.CONNECTED]),
               (None, "care navigation", [])]
    for n, (call, (service, need, course)) in enumerate(zip(calls, courses, strict=False)):
        made = call.received_at + timedelta(hours=1)
        referral = Referral(call_id=call.id, resource_id=resources[service].id if service else None,
                            need=need, note="Asked for help with " + need, created_by_id=responder.id,
                            created_at=made, updated_at=made)
        session.add(referral)
        session.flush()
        events = [ReferralEvent(referral_id=referral.id, status=ReferralStatus.MADE, at=made,
                                actor_id=responder.id)]
        for step, status in enumerate(course, start=1):
            events.append(ReferralEvent(referral_id=referral.id, status=status,
                                        at=made + timedelta(hours=4 * step), actor_id=navigator.id))
        session.add_all(events)
        referral.status, referral.updated_at = events[-1].status, events[-1].at
        session.add(FollowUp(call_id=call.id, referral_id=referral.id,
                             due_at=now + timedelta(hours=(-20, 3, 72)[n]), assigned_to_id=navigator.id,
                             note=("Check the pantry visit happened", "Confirm the shelter bed",
                                   "First call: what help is wanted")[n],
                             created_by_id=navigator.id, created_at=made))
    session.flush()


def gtin_with_check_digit(body: str) -> str:
    """A GTIN-14 from its first 13 digits: the GS1 check digit appended (weights 3 and 1
    from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def _lot_expiry(sku: str, lot_n: int, today: date, rng: random.Random) -> date | None:
    if sku in NO_EXPIRY:
        return None
    for special_sku, days in (NEAR_EXPIRY_LOT, EXPIRED_LOT):
        if sku == special_sku and lot_n == 0:
            return today + timedelta(days=days)
    return today + timedelta(days=rng.randrange(120, 700))


def _supplies(session: Session, rng: random.Random, now: datetime, units: dict[str, Unit],
              manager: User) -> None:
    """A warehouse and a vehicle kit per field unit, stocked through the ledger: receipts
    at the warehouse a month ago, transfers received by the kits (one still on its way),
    some handed out, par levels, and the alerts they raise."""
    warehouse = StockLocation(kind=LocationKind.WAREHOUSE, name="Central warehouse")
    kits = [StockLocation(kind=LocationKind.VEHICLE_KIT, name=f"{u.call_sign} vehicle kit", unit_id=u.id)
            for u in units.values() if u.program in (Program.COMMUNITY_RESPONSE, Program.CO_RESPONSE)]
    session.add_all([warehouse, *kits])
    session.flush()
    today = now.date()
    month_ago = now - timedelta(days=DEMO_DAYS)
    for sku, name, category, measure, pack, gtin, par in SUPPLIES:
        item = SupplyItem(sku=sku, name=name, category=category, unit_of_measure=measure,
                          pack_size=pack, gtin=gtin_with_check_digit(gtin), low_stock_threshold=par)
        session.add(item)
        session.flush()
        for lot_n in range(2):
            lot = SupplyLot(item_id=item.id, lot_number=f"{sku}-L{lot_n + 1}{rng.randrange(1000, 9999)}",
                            expires_on=_lot_expiry(sku, lot_n, today, rng))
            session.add(lot)
            session.flush()
            packs = max(1, par * len(kits) * 2 // pack)
            post_entries(session, [NewEntry(warehouse.id, lot.id, packs * pack, LedgerReason.RECEIVE,
                                            at=month_ago)], manager)
        for level in [ParLevel(location_id=kit.id, item_id=item.id, par=par) for kit in kits]:
            session.add(level)
        session.add(ParLevel(location_id=warehouse.id, item_id=item.id,
                             par=par * WAREHOUSE_PAR_KITS))
        session.flush()
        for n, kit in enumerate(kits):
            if sku == EXPIRED_LOT[0] and n == 0:
                continue  # that kit runs short of wound care: low stock
            transfer = send_transfer(session, manager, warehouse.id, kit.id,
                                     [{"item_id": item.id, "quantity": par}])
            if not (sku == "SSK" and n == len(kits) - 1):  # one transfer still on its way
                receive_transfer(session, manager, transfer.id)
                _hand_out(session, rng, kit, item.id)
    compute_alerts(session, now, Config.SUPPLY_NEAR_EXPIRY_DAYS)
    session.flush()


def _hand_out(session: Session, rng: random.Random, kit: StockLocation, item_id: int) -> None:
    """Some of the kit's first lot to expire handed out (never more than it holds)."""
    lots = fefo_lots(session, kit.id, item_id)
    if lots and (given := rng.randrange(0, lots[0].on_hand // 2 + 1)):
        post_entries(session, [NewEntry(kit.id, lots[0].lot.id, -given, LedgerReason.DISTRIBUTE)],
                     None)


def build_demo_city(session: Session, seed: int = 2026) -> DemoSummary:
    """Fill an empty database; refuses one that already has users."""
    if session.scalar(sa.select(sa.func.count()).select_from(User)):
        raise RuntimeError("The database already has data; demo data goes into an empty one.")
    rng = random.Random(seed)  # noqa: S311 - demo data wants repeatable, not secret, numbers
    now = utcnow()
    seed_call_types(session)
    seed_dispositions(session)
    units, users = _people_and_units(session, now)
    by_name = {u.username: u for u in users}
    responders: dict[int, list[User]] = {}
    for username, _name, _role, sign in PEOPLE:
        if sign and by_name[username].is_field_responder:
            responders.setdefault(units[sign].id, []).append(by_name[username])
    premises = _premises(session, rng)
    calls = _calls(session, rng, now, units, premises, by_name["dispatcher"], responders)
    _supplies(session, rng, now, units, by_name["supplies"])
    _care(session, now, by_name["navigator"], by_name["clinician1"])
    ensure_demo_cad(session)
    return DemoSummary(users=demo_logins(session), calls=calls, premises=len(premises))


def ensure_demo_cad(session: Session) -> None:
    """The demo CAD integration (its key is DEMO_CAD_KEY), unless it exists."""
    if session.scalar(sa.select(CadIntegration.id).where(CadIntegration.name == "demo CAD")):
        return
    session.add(CadIntegration(name="demo CAD", key_hash=hash_key(DEMO_CAD_KEY)))
    session.flush()


def put_demo_units_on_shift(session: Session) -> int:
    """Move the demo units' shifts to cover now (a demo database opened again days later
    would otherwise have nobody on shift); returns how many shifts moved."""
    now = utcnow()
    moved = 0
    signs = [sign for sign, _program in UNITS]
    shifts = session.scalars(sa.select(Shift).join(Unit).where(Unit.call_sign.in_(signs)))
    for shift in shifts:
        if not shift.starts_at <= now < shift.ends_at:
            shift.starts_at = now - timedelta(hours=2)
            shift.ends_at = now + timedelta(hours=SHIFT_HOURS - 2)
            moved += 1
    session.flush()
    return moved


def demo_logins(session: Session) -> list[tuple[str, str]]:
    """The demo people that exist in this database, with their role and unit."""
    present = set(session.scalars(sa.select(User.username)))
    return [(name, role.value + (f" on {sign}" if sign else ""))
            for name, _full, role, sign in PEOPLE if name in present]
