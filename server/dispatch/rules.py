"""Triage of a CAD call as pure functions, with no Flask and no database: whether its call type
is eligible for a HEART program, and which unit or other response to recommend, with a reason
code and a sentence a dispatcher can read.

The rules are data (`TriageRules`): the eligibility table (call type -> programs in order of
preference), each program's service hours and areas, and the call types whose usual response
without HEART is EMS rather than police. Every eligible call is flagged as eligible whether or
not a unit is on shift, so the eligible calls HEART could not take are counted with a reason.

A weapon or violence flag on an eligible call sends it to co-response only. For each of the
call's programs in turn, the recommendation is the nearest available unit on shift, with a
valid crew, serving the call's area, inside the program's hours; failing every program, the
next most appropriate response (police or EMS). `index_units` prepares one snapshot of the
units for many calls; distances are ranked on a sphere first and measured by geopy's geodesic.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from geopy.distance import geodesic

from server.auth.models import Role
from server.units.models import Program

# "Community response teams are always dispatched with 2 or 3 members, never alone."
COMMUNITY_CREW_SIZES = range(2, 4)
# A weapon or violence on scene: "otherwise, a co-response team is dispatched".
SAFETY_PROGRAMS: tuple[Program, ...] = (Program.CO_RESPONSE,)
# Diversion clinicians answer from the 911 center: they take the call by phone, so where they
# are is not asked and no distance is given.
PHONE_PROGRAMS = frozenset({Program.CRISIS_CALL_DIVERSION})
# Ranking on a sphere is within 0.6% of the ellipsoid at any latitude; every unit within 2% of
# the nearest on the sphere is measured on the ellipsoid, so the nearest by geodesic is among them.
SPHERE_MARGIN = 0.02
# The mean Earth radius (IUGG), in metres: the sphere of that ranking.
EARTH_RADIUS_M = 6_371_008.8
# A reason names at most this many units of a kind ("all units busy (A, B, C +2 more)"): a
# dispatcher reads it at a glance.
MAX_NAMED_UNITS = 3

PROGRAM_LABELS = {
    Program.COMMUNITY_RESPONSE: "community response",
    Program.CO_RESPONSE: "co-response",
    Program.CRISIS_CALL_DIVERSION: "crisis call diversion",
    Program.CARE_NAVIGATION: "care navigation",
}
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_GEODESIC = geodesic()


class UnitStatus(enum.StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"


class Fallback(enum.StrEnum):
    """The next most appropriate response when no HEART program takes an eligible call, and
    the usual response to a call that is not eligible."""

    POLICE = "police"
    EMS = "ems"


class ReasonCode(enum.StrEnum):
    """Why an eligible call's first program did not take it. The triage gives all but the last
    two, which people record afterwards (the team declined; diversion resolved it by phone)."""

    NO_UNIT_ON_SHIFT = "no_unit_on_shift"
    ALL_BUSY = "all_busy"
    OUTSIDE_SERVICE_AREA = "outside_service_area"
    OUTSIDE_HOURS = "outside_hours"
    SAFETY = "safety"  # weapon or violence flagged and no co-response team can go
    INVALID_CREW = "invalid_crew"
    NO_LOCATION = "no_location"  # the CAD gave no position: no area to check, no distance
    DECLINED_BY_TEAM = "declined_by_team"
    RESOLVED_BY_PHONE = "resolved_by_phone"


# --- the rules as data ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ServiceHours:
    """When a program takes calls: on `weekdays` (0 Monday .. 6 Sunday) from `start` to `end`,
    local time in `timezone`. An end at or before the start runs past midnight into the next
    day (the window belongs to the day it starts on); start equal to end is 24 hours."""

    weekdays: frozenset[int]
    start: time
    end: time
    timezone: str
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), not {sorted(self.weekdays)}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("start and end are local times of the zone, without a tzinfo")
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))

    def covers(self, at: datetime) -> bool:
        if at.tzinfo is None:
            raise ValueError("a call's received time must be timezone-aware")
        local = at.astimezone(self._zone)
        day, clock = local.weekday(), local.time()
        if self.start < self.end:
            return day in self.weekdays and self.start <= clock < self.end
        if clock >= self.start:
            return day in self.weekdays
        return (day - 1) % 7 in self.weekdays and clock < self.end

    def describe(self) -> str:
        days = ("every day" if len(self.weekdays) == 7
                else ", ".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays)))
        return f"{self.start:%H:%M}-{self.end:%H:%M} {days}"


@dataclass(frozen=True, slots=True)
class ServiceArea:
    """An area units serve: a polygon ring of (lon, lat) vertices, in GeoJSON's order (closed
    or not). Its bounding box turns most points outside away before the ray casting."""

    id: str
    ring: tuple[tuple[float, float], ...]
    _bbox: tuple[float, float, float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.ring) < 3:
            raise ValueError(f"service area {self.id!r}: a polygon needs at least 3 vertices")
        lons, lats = [p[0] for p in self.ring], [p[1] for p in self.ring]
        object.__setattr__(self, "_bbox", (min(lons), min(lats), max(lons), max(lats)))

    def contains(self, lat: float, lon: float) -> bool:
        min_lon, min_lat, max_lon, max_lat = self._bbox
        if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            return False
        return point_in_ring(lon, lat, self.ring)


def point_in_ring(x: float, y: float, ring: Sequence[tuple[float, float]]) -> bool:
    """Ray casting: a ray from (x, y) towards +x crosses the ring's edges an odd number of times
    when the point is inside. A point exactly on an edge may fall either way."""
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        x1, y1 = x2, y2
    return inside


@dataclass(frozen=True, slots=True)
class ProgramService:
    """Where and when a program takes calls."""

    hours: ServiceHours
    area_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class TriageRules:
    """The eligibility table (call type code -> programs, most preferred first), each listed
    program's hours and areas, the areas, and the call types whose response without HEART is
    EMS (police otherwise, and always with a weapon or violence)."""

    eligibility: Mapping[str, Sequence[Program]]
    services: Mapping[Program, ProgramService]
    areas: Mapping[str, ServiceArea]
    ems_call_types: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        table = {code: tuple(programs) for code, programs in self.eligibility.items()}
        if empty := sorted(code for code, programs in table.items() if not programs):
            raise ValueError(f"call types with no program: {', '.join(empty)}")
        needed = {p for programs in table.values() for p in programs}
        if table:
            needed.update(SAFETY_PROGRAMS)
        if missing := sorted(needed - set(self.services)):
            raise ValueError(f"programs with no service hours and areas: {', '.join(missing)}")
        unknown = {a for s in self.services.values() for a in s.area_ids} - set(self.areas)
        if unknown:
            raise ValueError(f"unknown service areas: {', '.join(sorted(unknown))}")
        object.__setattr__(self, "eligibility", table)

    def areas_containing(self, lat: float, lon: float) -> frozenset[str]:
        return frozenset(a.id for a in self.areas.values() if a.contains(lat, lon))


# --- calls and units -----------------------------------------------------------------------

class CallFacts(Protocol):
    """What triage reads of a CAD call: a call read by the CAD intake passes as it is."""

    @property
    def call_type(self) -> str: ...
    @property
    def weapon(self) -> bool: ...
    @property
    def violence(self) -> bool: ...
    @property
    def received_at(self) -> datetime: ...  # timezone-aware
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...


class TriageCall(NamedTuple):
    """Those facts on their own, for callers that have no CAD call at hand."""

    call_type: str
    weapon: bool
    violence: bool
    received_at: datetime
    lat: float | None
    lon: float | None


class UnitSnapshot(NamedTuple):
    """A unit as dispatch sees it now. `crew` holds the roles of the people on its shift;
    `service_area_id` None means every area of its program."""

    unit_id: int
    call_sign: str
    program: Program
    status: UnitStatus
    on_shift: bool
    crew: tuple[str, ...]
    lat: float | None
    lon: float | None
    service_area_id: str | None


def crew_is_valid(program: Program, crew: Sequence[str]) -> bool:
    """A community response team is 2 or 3 people including a clinician; a co-response team
    pairs a clinician with a CIT-trained officer; diversion needs a diversion clinician. Care
    navigation follows people up afterwards and takes no calls."""
    if program == Program.COMMUNITY_RESPONSE:
        return len(crew) in COMMUNITY_CREW_SIZES and Role.RESPONDER_CLINICIAN in crew
    if program == Program.CO_RESPONSE:
        return Role.RESPONDER_CLINICIAN in crew and Role.CIT_OFFICER in crew
    if program == Program.CRISIS_CALL_DIVERSION:
        return Role.DIVERSION_CLINICIAN in crew
    return False


class _Ready(NamedTuple):
    """A unit on shift with a valid crew; its position in radians for the sphere ranking."""

    unit: UnitSnapshot
    available: bool
    phi: float
    lam: float
    cos_phi: float
    located: bool


@dataclass(frozen=True, slots=True)
class UnitIndex:
    """One snapshot of the units, by program, prepared for many calls: how many are on shift,
    those on shift with a valid crew (in call sign order), and the call signs of those without."""

    on_shift: Mapping[Program, int]
    ready: Mapping[Program, tuple[_Ready, ...]]
    invalid_crews: Mapping[Program, tuple[str, ...]]


def index_units(units: Iterable[UnitSnapshot]) -> UnitIndex:
    on_shift: dict[Program, int] = {}
    ready: dict[Program, list[_Ready]] = {}
    invalid: dict[Program, list[str]] = {}
    for unit in sorted(units, key=_call_sign_order):
        if not unit.on_shift:
            continue
        on_shift[unit.program] = on_shift.get(unit.program, 0) + 1
        if not crew_is_valid(unit.program, unit.crew):
            invalid.setdefault(unit.program, []).append(unit.call_sign)
            continue
        located = unit.lat is not None and unit.lon is not None
        phi = math.radians(unit.lat) if unit.lat is not None else 0.0
        lam = math.radians(unit.lon) if unit.lon is not None else 0.0
        ready.setdefault(unit.program, []).append(
            _Ready(unit, unit.status == UnitStatus.AVAILABLE, phi, lam, math.cos(phi), located))
    return UnitIndex(on_shift, {p: tuple(r) for p, r in ready.items()},
                     {p: tuple(s) for p, s in invalid.items()})


def _call_sign_order(unit: UnitSnapshot) -> tuple[tuple[str, int], ...]:
    """HEART-2 before HEART-10: a call sign's numbers compare as numbers."""
    return tuple((text, int(number or 0)) for text, number in re.findall(r"(\D*)(\d*)", unit.call_sign))


# --- eligibility and recommendation --------------------------------------------------------

class Eligibility(NamedTuple):
    """Whether the call type is HEART's, and the programs that may take it, most preferred
    first (co-response only when a weapon or violence is flagged)."""

    eligible: bool
    programs: tuple[Program, ...]
    safety: bool


class ProgramMiss(NamedTuple):
    """A program the call went past, with why and the detail a dispatcher reads."""

    program: Program
    code: ReasonCode
    detail: str


class Recommendation(NamedTuple):
    """What to send. `response` is the program of `unit`, or police or EMS. `reason_code` says
    why the call's first program does not take it (None when it does, or the call is not
    eligible); an eligible call with no unit is an unserved eligible call counted under it."""

    eligibility: Eligibility
    response: Program | Fallback
    unit: UnitSnapshot | None
    distance_m: float | None
    reason_code: ReasonCode | None
    passed_over: tuple[ProgramMiss, ...]
    reason: str

    @property
    def served(self) -> bool:
        return self.unit is not None


def classify(call: CallFacts, rules: TriageRules) -> Eligibility:
    ranked = rules.eligibility.get(call.call_type)
    safety = call.weapon or call.violence
    if not ranked:
        return Eligibility(False, (), safety)
    return Eligibility(True, SAFETY_PROGRAMS if safety else tuple(ranked), safety)


def recommend(call: CallFacts, eligibility: Eligibility, rules: TriageRules,
              units: UnitIndex) -> Recommendation:
    """The first of the call's programs that can go, with its nearest valid unit; else the
    next most appropriate response, with the reason of each program passed over."""
    if not eligibility.eligible:
        fallback = _fallback(call, rules, eligibility.safety)
        return Recommendation(eligibility, fallback, None, None, None, (),
                              f"Not a HEART call type: {_label(fallback)}")
    misses: list[ProgramMiss] = []
    lat, lon = call.lat, call.lon
    point = (lat, lon) if lat is not None and lon is not None else None
    call_areas: frozenset[str] | None = None
    for program in eligibility.programs:
        service = rules.services[program]
        if not service.hours.covers(call.received_at):
            misses.append(ProgramMiss(program, ReasonCode.OUTSIDE_HOURS,
                                      f"outside its hours ({service.hours.describe()})"))
            continue
        if point is None:
            if program not in PHONE_PROGRAMS:
                misses.append(ProgramMiss(program, ReasonCode.NO_LOCATION, "the call has no location"))
                continue
            areas = service.area_ids  # by phone, a call with no position is still taken
        else:
            if call_areas is None:
                call_areas = rules.areas_containing(*point)
            areas = call_areas
            if not service.area_ids & areas:
                misses.append(ProgramMiss(program, ReasonCode.OUTSIDE_SERVICE_AREA,
                                          "call outside its service area"))
                continue
        chosen = _choose_unit(point, program, areas, units, misses)
        if chosen is not None:
            ready, distance_m, busy = chosen
            return _served(eligibility, ready.unit, distance_m, busy, misses)
    fallback = _fallback(call, rules, eligibility.safety)
    code = ReasonCode.SAFETY if eligibility.safety else misses[0].code
    why = "; ".join(f"{_label(m.program)}: {m.detail}" for m in misses)
    if eligibility.safety:
        why = f"weapon or violence flagged and no co-response team can go ({why})"
    return Recommendation(eligibility, fallback, None, None, code, tuple(misses),
                          f"{_label(fallback)}: {why}")


def triage(call: CallFacts, rules: TriageRules, units: UnitIndex) -> Recommendation:
    return recommend(call, classify(call, rules), rules, units)


def _choose_unit(point: tuple[float, float] | None, program: Program, call_areas: frozenset[str],
                 units: UnitIndex, misses: list[ProgramMiss]
                 ) -> tuple[_Ready, float | None, list[str]] | None:
    """The program's nearest available unit to the call's point, its distance and the call signs
    of its busy units serving the call's areas; or None, with the miss recorded."""
    if not units.on_shift.get(program):
        misses.append(ProgramMiss(program, ReasonCode.NO_UNIT_ON_SHIFT, "no unit on shift"))
        return None
    ready = units.ready.get(program, ())
    if not ready:
        signs = _names(units.invalid_crews.get(program, ()))
        misses.append(ProgramMiss(program, ReasonCode.INVALID_CREW,
                                  f"no unit on shift with a valid crew ({signs})"))
        return None
    available: list[_Ready] = []
    busy: list[str] = []
    for r in ready:
        area = r.unit.service_area_id
        if area is None or area in call_areas:
            if r.available:
                available.append(r)
            else:
                busy.append(r.unit.call_sign)
    if not available:
        if busy:
            misses.append(ProgramMiss(program, ReasonCode.ALL_BUSY, f"all units busy ({_names(busy)})"))
        else:
            misses.append(ProgramMiss(program, ReasonCode.OUTSIDE_SERVICE_AREA,
                                      "no unit on shift serves the call's area"))
        return None
    if program in PHONE_PROGRAMS or point is None:
        return available[0], None, busy
    nearest, distance_m = _nearest(*point, available)
    return nearest, distance_m, busy


def _nearest(lat: float, lon: float, candidates: list[_Ready]) -> tuple[_Ready, float | None]:
    """The nearest located candidate by geodesic distance (metres), ties by call sign; the
    first by call sign, with no distance, when none has a last position."""
    phi, lam = math.radians(lat), math.radians(lon)
    cos_phi = math.cos(phi)
    scored: list[tuple[float, _Ready]] = []
    for r in candidates:
        if r.located:
            h = (math.sin((r.phi - phi) / 2) ** 2
                 + cos_phi * r.cos_phi * math.sin((r.lam - lam) / 2) ** 2)
            scored.append((2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0))), r))
    if not scored:
        return candidates[0], None
    bound = min(s for s, _ in scored) * (1 + SPHERE_MARGIN)
    measured = [(_GEODESIC.measure((lat, lon), (r.unit.lat, r.unit.lon)) * 1000, r)  # km to m
                for s, r in scored if s <= bound]
    # Candidates come by call sign and min keeps the first of equals: ties go by call sign.
    distance_m, nearest = min(measured, key=lambda m: m[0])
    return nearest, distance_m


def _served(eligibility: Eligibility, unit: UnitSnapshot, distance_m: float | None, busy: list[str],
            misses: list[ProgramMiss]) -> Recommendation:
    if unit.program in PHONE_PROGRAMS:
        where = "by phone from the 911 center"
    elif distance_m is None:
        where = "available, no last position"
    else:
        where = f"{distance_m / 1000:.1f} km, nearest available"
    parts = [f"{unit.call_sign} ({_label(unit.program)}), {where}"]
    if busy:
        parts.append(f"{_names(busy)} busy")
    parts.extend(f"{_label(m.program)}: {m.detail}" for m in misses)
    if eligibility.safety:
        parts.append("weapon or violence flagged")
    code = misses[0].code if misses else None
    return Recommendation(eligibility, unit.program, unit, distance_m, code, tuple(misses),
                          "; ".join(parts))


def _fallback(call: CallFacts, rules: TriageRules, safety: bool) -> Fallback:
    if not safety and call.call_type in rules.ems_call_types:
        return Fallback.EMS
    return Fallback.POLICE


def _label(response: Program | Fallback) -> str:
    if response == Fallback.EMS:
        return "EMS"
    if response == Fallback.POLICE:
        return "Police"
    return PROGRAM_LABELS[response]


def _names(signs: Sequence[str]) -> str:
    shown = ", ".join(signs[:MAX_NAMED_UNITS])
    more = len(signs) - MAX_NAMED_UNITS
    return f"{shown} +{more} more" if more > 0 else shown
