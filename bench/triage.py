"""Triage of synthetic CAD calls with the pure rules (server/dispatch/rules.py): 100,000 calls
classified and given a recommendation against 50 units, in process (no database, no server).

The rules: the seeded eligibility table, community response and co-response 7 days 07:00-19:00
America/New_York, diversion around the clock, three service areas (north, central, south) making
up a rough outline of the city. The units: 24 community response (8 an area), 12 co-response
(4 an area), 6 diversion desks, 8 care navigation; some off shift, some busy, a few with an
invalid crew or no last position.

Two mixes of calls: "mixed" (70% of the seeded call types, 30% other types, 5% with a weapon,
5% with violence, received any time in one week, 1 in 8 just outside the city) and
"dispatchable" (every call a seeded type, inside the city, in hours, no flag: every call
takes the recommendation's full path, a distance measured on the ellipsoid for most).
Timed: `triage` (eligibility and recommendation) for each mix, median of --runs; the
baseline in the same run is eligibility only (`classify`) on the mixed calls. A sample of
each mix is checked against measuring every candidate unit with geopy.

Usage: .venv/bin/python bench/triage.py [--calls 100000] [--runs 3] [--check 2000]
Last line: {"bench": "triage", "calls_per_s": ..., "dispatchable_calls_per_s": ...,
            "baseline_calls_per_s": ..., "ratio": ..., "mismatches": ...}
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

from geopy.distance import geodesic

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import emit

from server.auth.models import Role
from server.calls.seed import CALL_TYPES
from server.dispatch.rules import (
    ProgramService,
    Recommendation,
    ServiceArea,
    ServiceHours,
    TriageCall,
    TriageRules,
    UnitIndex,
    UnitSnapshot,
    UnitStatus,
    classify,
    crew_is_valid,
    index_units,
    triage,
)
from server.units.models import Program

CRT, COR, CCD, NAV = (Program.COMMUNITY_RESPONSE, Program.CO_RESPONSE,
                      Program.CRISIS_CALL_DIVERSION, Program.CARE_NAVIGATION)
CLIN, PEER, EMT, CIT = Role.RESPONDER_CLINICIAN, Role.RESPONDER_PEER, Role.RESPONDER_EMT, Role.CIT_OFFICER

# A rough outline of the city in three bands, (lon, lat) rings sharing their edges.
AREAS = {
    "north": ServiceArea("north", ((-78.99, 36.03), (-78.80, 36.03), (-78.82, 36.08), (-78.88, 36.11),
                                   (-78.95, 36.10), (-79.00, 36.07))),
    "central": ServiceArea("central", ((-79.01, 35.96), (-78.78, 35.96), (-78.80, 36.03),
                                       (-78.99, 36.03))),
    "south": ServiceArea("south", ((-79.01, 35.96), (-78.78, 35.96), (-78.82, 35.90), (-78.87, 35.87),
                                   (-78.95, 35.88), (-79.00, 35.92))),
}
BANDS = {"north": (36.03, 36.10), "central": (35.96, 36.03), "south": (35.88, 35.96)}
CITY_WEST, CITY_EAST = -78.98, -78.81  # inside every band's outline
DAYTIME = ServiceHours(frozenset(range(7)), clock(7), clock(19), "America/New_York")
ALL_DAY = ServiceHours(frozenset(range(7)), clock(0), clock(0), "America/New_York")
OTHER_TYPES = ["burglary", "larceny", "traffic_collision", "assault", "shots_fired", "fire_alarm",
               "medical_emergency", "noise_complaint", "suspicious_vehicle", "robbery"]
WEEK_START = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # Monday 00:00 in New York
OFF_SHIFT, BUSY, INVALID_CREW, NO_POSITION = 0.15, 0.45, 0.08, 0.05


def make_rules() -> TriageRules:
    everywhere = frozenset(AREAS)
    table = {code: programs for code, _name, _weapon, _priority, programs in CALL_TYPES}
    return TriageRules(table, {CRT: ProgramService(DAYTIME, everywhere),
                               COR: ProgramService(DAYTIME, everywhere),
                               CCD: ProgramService(ALL_DAY, everywhere)},
                       AREAS, ems_call_types=frozenset({"attempted_suicide", "intoxicated_person"}))


def make_units(rng: random.Random) -> list[UnitSnapshot]:
    plan = ([(CRT, "HEART", area) for area in BANDS for _ in range(8)]
            + [(COR, "CORE", area) for area in BANDS for _ in range(4)]
            + [(CCD, "DIVERT", None)] * 6 + [(NAV, "NAV", None)] * 8)
    units, numbers = [], Counter[str]()
    for n, (program, prefix, area) in enumerate(plan, start=1):
        numbers[prefix] += 1
        crew: tuple[str, ...] = {CRT: (CLIN, PEER, EMT), COR: (CLIN, CIT),
                                 CCD: (Role.DIVERSION_CLINICIAN,), NAV: (Role.CARE_NAVIGATOR,)}[program]
        if program in (CRT, COR) and rng.random() < INVALID_CREW:
            crew = rng.choice([(CLIN,), (PEER, EMT), (CIT, PEER)])
        lat: float | None = None
        lon: float | None = None
        if area is not None and rng.random() >= NO_POSITION:
            lat, lon = rng.uniform(*BANDS[area]), rng.uniform(CITY_WEST, CITY_EAST)
        units.append(UnitSnapshot(n, f"{prefix}-{numbers[prefix]}", program,
                                  UnitStatus.BUSY if rng.random() < BUSY else UnitStatus.AVAILABLE,
                                  rng.random() >= OFF_SHIFT, crew, lat, lon, area))
    return units


def mixed_calls(rng: random.Random, n: int) -> list[TriageCall]:
    seeded = [row[0] for row in CALL_TYPES]
    calls: list[TriageCall] = []
    for _ in range(n):
        code = rng.choice(seeded) if rng.random() < 0.7 else rng.choice(OTHER_TYPES)
        at = WEEK_START + timedelta(seconds=rng.uniform(0, 7 * 86_400))
        if rng.random() < 1 / 8:  # just outside the outline
            lat, lon = rng.choice([(36.13, -78.9), (35.85, -78.9), (36.0, -79.05), (36.0, -78.74)])
        else:
            band = rng.choice(list(BANDS.values()))
            lat, lon = rng.uniform(*band), rng.uniform(CITY_WEST, CITY_EAST)
        calls.append(TriageCall(code, rng.random() < 0.05, rng.random() < 0.05, at, lat, lon))
    return calls


def dispatchable_calls(rng: random.Random, n: int, rules: TriageRules) -> list[TriageCall]:
    seeded = [row[0] for row in CALL_TYPES]
    calls: list[TriageCall] = []
    while len(calls) < n:
        band = rng.choice(list(BANDS.values()))
        lat, lon = rng.uniform(*band), rng.uniform(CITY_WEST, CITY_EAST)
        if rules.areas_containing(lat, lon):
            at = WEEK_START + timedelta(days=rng.randrange(7), hours=rng.uniform(7.5, 18.5))
            calls.append(TriageCall(rng.choice(seeded), False, False, at, lat, lon))
    return calls


def timed(fn: Callable[[], object], runs: int) -> float:
    """Median seconds of `runs` calls of fn."""
    seconds = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


def mismatches(calls: Sequence[TriageCall], results: Sequence[Recommendation], fleet: list[UnitSnapshot],
               rules: TriageRules) -> int:
    """Calls whose recommended unit is not the nearest, by geopy over every candidate of its
    program (on shift, valid crew, available, serving the call's area, located)."""
    wrong = 0
    for call, result in zip(calls, results, strict=True):
        if result.unit is None or result.distance_m is None or call.lat is None or call.lon is None:
            continue
        inside = rules.areas_containing(call.lat, call.lon)
        candidates = [u for u in fleet if u.program == result.unit.program and u.on_shift
                      and u.status == UnitStatus.AVAILABLE and crew_is_valid(u.program, u.crew)
                      and (u.service_area_id is None or u.service_area_id in inside)
                      and u.lat is not None]
        here = (call.lat, call.lon)
        best = min(geodesic(here, (u.lat, u.lon)).m for u in candidates)
        chosen = geodesic(here, (result.unit.lat, result.unit.lon)).m
        wrong += chosen != best or abs(chosen - result.distance_m) > 1e-6
    return wrong


def summary(results: Sequence[Recommendation]) -> str:
    eligible = [r for r in results if r.eligibility.eligible]
    served = Counter(str(r.response) for r in eligible if r.served)
    unserved = Counter(str(r.reason_code) for r in eligible if not r.served)
    passed = Counter(str(r.reason_code) for r in eligible if r.served and r.reason_code)
    return (f"eligible {len(eligible):,} of {len(results):,}; served {dict(served)}; "
            f"unserved by reason {dict(unserved)}; served after passing the first program {dict(passed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", type=int, default=2_000, help="calls of each mix checked against geopy")
    args = parser.parse_args()
    rng = random.Random(2026)
    rules = make_rules()
    fleet = make_units(rng)
    t0 = time.perf_counter()
    units: UnitIndex = index_units(fleet)
    index_ms = (time.perf_counter() - t0) * 1000
    mixed, dispatchable = mixed_calls(rng, args.calls), dispatchable_calls(rng, args.calls, rules)
    ready = sum(len(r) for r in units.ready.values())
    print(f"{len(fleet)} units ({sum(u.on_shift for u in fleet)} on shift, {ready} on shift with a "
          f"valid crew), indexed in {index_ms:.2f} ms; {args.calls:,} calls per mix")

    baseline_s = timed(lambda: [classify(c, rules) for c in mixed], args.runs)
    mixed_s = timed(lambda: [triage(c, rules, units) for c in mixed], args.runs)
    dispatchable_s = timed(lambda: [triage(c, rules, units) for c in dispatchable], args.runs)
    mixed_results = [triage(c, rules, units) for c in mixed]
    dispatchable_results = [triage(c, rules, units) for c in dispatchable]

    print(f"mixed:        {summary(mixed_results)}")
    print(f"dispatchable: {summary(dispatchable_results)}")
    for label, results in (("mixed", mixed_results), ("dispatchable", dispatchable_results)):
        served = [r for r in results if r.served]
        example = next((r for r in served if r.passed_over), served[0])
        print(f"  {label}, a reason: {example.reason}")
    wrong = (mismatches(mixed[:args.check], mixed_results[:args.check], fleet, rules)
             + mismatches(dispatchable[:args.check], dispatchable_results[:args.check], fleet, rules))
    print(f"checked against geopy over every candidate: {2 * args.check:,} calls, {wrong} not the nearest")

    calls_per_s = args.calls / mixed_s
    dispatchable_per_s = args.calls / dispatchable_s
    baseline_per_s = args.calls / baseline_s
    print(f"eligibility only (baseline): {baseline_s:.3f} s, {baseline_per_s:,.0f} calls/s")
    print(f"triage, mixed:               {mixed_s:.3f} s, {calls_per_s:,.0f} calls/s "
          f"({mixed_s / args.calls * 1e6:.1f} us a call)")
    print(f"triage, dispatchable:        {dispatchable_s:.3f} s, {dispatchable_per_s:,.0f} calls/s "
          f"({dispatchable_s / args.calls * 1e6:.1f} us a call)")
    emit({"bench": "triage", "calls_per_s": round(calls_per_s),
          "dispatchable_calls_per_s": round(dispatchable_per_s),
          "baseline_calls_per_s": round(baseline_per_s),
          "ratio": round(calls_per_s / baseline_per_s, 3), "mismatches": wrong})


if __name__ == "__main__":
    main()
