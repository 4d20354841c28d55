"""Every program indicator for a year of a 50-unit city on PostgreSQL: 200,000 calls and
1,000,000 status events, with the surveys, debriefs and harm-reduction entries a year brings.

The rows go in by COPY (calls over a year of the department's calendar, 90% with a unit of
one of 50 units, the rest eligible and unserved with a reason or resolved by phone; taps for
dispatched, en route, on scene, transporting and cleared, some from a second tablet, some
flagged time_uncertain, some withdrawn, some calls never on scene); each call's first trusted
time per state is then filled from its taps, as migration 0021 does (COPY bypasses the status
writer). Timed: the app's
`compute_indicator` for all eight indicators by week over the whole year, in process (median
of --runs), against, in the same run, a plain COUNT(*) GROUP BY over the same rows (calls by
unit and status events by status). Checked first: the first trusted time per state the
indicators read equals `status_times` on a sample of calls, and the responses add up
to the calls with a unit.

Usage: .venv/bin/python bench/indicators.py [--calls 200000] [--events 1000000] [--runs 5]
Last line: {"bench": "indicators", "seconds": ..., "baseline_seconds": ..., ...}
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import app_for, bench_database, dsn, emit

ZONE = ZoneInfo("America/New_York")
YEAR_START, YEAR_END = date(2025, 1, 1), date(2025, 12, 31)
# 50 units: mostly community response teams, then co-response, diversion and navigation.
UNITS = {"community_response": 30, "co_response": 12, "crisis_call_diversion": 4,
         "care_navigation": 4}
PREMISES = 5000
SHARE_WITH_UNIT = 0.9
SHARE_DELETED = 0.01
SHARE_NO_ON_SCENE = 0.03  # cleared before arriving (cancelled on the way)
SHARE_UNCERTAIN = 0.02  # a tap's time clamped or its tablet's clocks disagreeing
SHARE_WITHDRAWN = 0.01  # an en route tapped by mistake and withdrawn
SHARE_TRANSPORTED = 0.15
SHARE_SURVEYED = 0.6
SHARE_DEBRIEF = 0.03
HARM_REDUCTION_ENTRIES = 40_000
SAMPLE_CHECKED = 300
UNSERVED = ("no_unit_on_shift", "all_busy", "outside_service_area", "outside_hours", "safety",
            "declined_by_team", "resolved_by_phone")
DESTINATIONS = ("Duke Regional ED", "Durham VA ED", "Recovery Response Center",
                "Freedom House", "Urban Ministries shelter")
BASELINE_SQL = ("SELECT unit_id, count(*) FROM calls GROUP BY unit_id",
                "SELECT status, count(*) FROM call_status_events GROUP BY status")
CALL_COLUMNS = ("id, cad_number, call_type_id, priority, premise_id, narrative, received_at, "
                "dispatched_at, unit_id, status, transport_destination, version, field_versions, "
                "updated_at, deleted_at, source, weapon, violence, cad_fields, eligible, "
                "eligible_programs, recommendation_reason, unserved_reason")
EVENT_COLUMNS = ("id, call_id, status, device_id, device_time, corrected_time, time_source, "
                 "time_uncertain, received_at, withdraws_id")
FACT_COLUMNS = "device_time, corrected_time, time_source, time_uncertain, received_at, unit_id"


def seed_reference(app: Any) -> tuple[list[tuple[int, str]], list[int], list[uuid.UUID]]:
    """Call types (the seed eligibility table), 50 units and the premises; their ids."""
    from server.calls.models import CallType, Premise
    from server.demo import seed_call_types
    from server.extensions import db
    from server.units.models import Program, Unit

    with app.app_context():
        session = db.session
        seed_call_types(session)
        n = 0
        for program, count in UNITS.items():
            for _ in range(count):
                n += 1
                session.add(Unit(call_sign=f"B-{n:02d}", program=Program(program)))
        premises = [Premise(address=f"{k} Bench St, Durham NC", lat=35.99, lon=-78.9)
                    for k in range(PREMISES)]
        session.add_all(premises)
        session.commit()
        units = [(u.id, str(u.program)) for u in session.query(Unit).order_by(Unit.id)]
        types = [t.id for t in session.query(CallType).order_by(CallType.id)]
        return units, types, [p.id for p in premises]


class Load:
    """The rows to COPY, made in one pass over the calls."""

    def __init__(self, calls: int, events: int, units: list[tuple[int, str]], types: list[int],
                 premises: list[uuid.UUID]) -> None:
        self.rng = random.Random(2025)
        self.units, self.types, self.premises = units, types, premises
        self.calls: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.responses: list[tuple[uuid.UUID, int, datetime]] = []
        start = datetime.combine(YEAR_START, datetime.min.time(), tzinfo=ZONE).astimezone(UTC)
        end = datetime.combine(YEAR_END + timedelta(days=1), datetime.min.time(),
                               tzinfo=ZONE).astimezone(UTC)
        step = (end - start) / calls
        for i in range(calls):
            self._call(i, start + step * i + timedelta(seconds=self.rng.random() * 60))
        self._pad_events(events)

    def _tap(self, call_id: uuid.UUID, status: str, at: datetime, device: uuid.UUID,
             uncertain: bool = False, withdraws: uuid.UUID | None = None) -> uuid.UUID:
        event_id = uuid.uuid4()
        self.events.append((event_id, call_id, status, device, at, at, "device_clock",
                            uncertain, at, withdraws))
        return event_id

    def _call(self, i: int, received: datetime) -> None:
        rng = self.rng
        call_id = uuid.uuid4()
        with_unit = rng.random() < SHARE_WITH_UNIT
        unit = rng.choice(self.units) if with_unit else None
        dispatched = received + timedelta(seconds=rng.randint(20, 600)) if unit else None
        destination = rng.choice(DESTINATIONS) if unit and rng.random() < SHARE_TRANSPORTED else None
        deleted = received + timedelta(hours=1) if rng.random() < SHARE_DELETED else None
        unserved = None if unit else rng.choice(UNSERVED)
        self.calls.append((call_id, f"B{i:07d}", rng.choice(self.types), 3,
                           rng.choice(self.premises), "", received, dispatched,
                           unit[0] if unit else None, "cleared", destination, 1, "{}",
                           received, deleted, "cad", False, False, "{}", True,
                           json.dumps([unit[1]] if unit else ["community_response"]), "",
                           unserved))
        if unit is None or dispatched is None:
            return
        self.responses.append((call_id, unit[0], dispatched))
        device = uuid.uuid4()
        at = dispatched
        self._tap(call_id, "dispatched", at, device)
        if rng.random() < SHARE_WITHDRAWN:
            mistap = self._tap(call_id, "en_route", at + timedelta(seconds=5), device)
            self._tap(call_id, "en_route", at + timedelta(seconds=30), device, withdraws=mistap)
        at += timedelta(seconds=rng.randint(30, 300))
        self._tap(call_id, "en_route", at, device, rng.random() < SHARE_UNCERTAIN)
        if rng.random() >= SHARE_NO_ON_SCENE:
            at += timedelta(seconds=rng.randint(180, 1500))
            self._tap(call_id, "on_scene", at, device, rng.random() < SHARE_UNCERTAIN)
        if destination:
            at += timedelta(minutes=rng.randint(10, 40))
            self._tap(call_id, "transporting", at, device)
        self._tap(call_id, "cleared", at + timedelta(minutes=rng.randint(10, 60)), device)

    def _pad_events(self, target: int) -> None:
        """A second tablet of the crew taps en route or on scene again, later: as many as
        bring the events to `target`."""
        missing = target - len(self.events)
        order = self.rng.sample(self.responses, len(self.responses))
        for k in range(max(missing, 0)):
            call_id, _, dispatched = order[k % len(order)]
            status = "en_route" if k % 2 else "on_scene"
            self._tap(call_id, status, dispatched + timedelta(minutes=30 + k % 7), uuid.uuid4())
        del self.events[target:]

    def surveys(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        rng = self.rng
        surveys, debriefs = [], []
        for call_id, unit_id, dispatched in self.responses:
            if rng.random() >= SHARE_SURVEYED:
                continue
            for _ in range(rng.choice((1, 2))):
                survey_id = uuid.uuid4()
                at = dispatched + timedelta(hours=1)
                surveys.append((survey_id, call_id, "yes" if rng.random() < 0.99 else "no",
                                "yes" if rng.random() < 0.03 else "no",
                                "yes" if rng.random() < SHARE_DEBRIEF else "no",
                                at, at, "device_clock", False, at, unit_id))
                if surveys[-1][4] == "yes":
                    debriefs.append((uuid.uuid4(), survey_id, call_id, unit_id, at, "open"))
        return surveys, debriefs

    def harm_reduction(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        rows = []
        for _ in range(HARM_REDUCTION_ENTRIES):
            call_id, unit_id, dispatched = rng.choice(self.responses)
            category = rng.choice(("naloxone_administered", "naloxone_kit", "naloxone_kit",
                                   "safer_sex_kit", "wound_care"))
            at = dispatched + timedelta(minutes=20)
            rows.append((uuid.uuid4(), call_id if rng.random() < 0.8 else None, category,
                         rng.randint(1, 3), "intranasal" if category == "naloxone_administered"
                         else None, "breathing_restored" if category == "naloxone_administered"
                         else None, at, at, "device_clock", False, at, unit_id))
        return rows


def copy_rows(db: str, load: Load) -> tuple[float, dict[str, int]]:
    surveys, debriefs = load.surveys()
    harm = load.harm_reduction()
    tables = [
        (f"COPY calls ({CALL_COLUMNS}) FROM STDIN", load.calls),
        (f"COPY call_status_events ({EVENT_COLUMNS}) FROM STDIN", load.events),
        ("COPY post_call_surveys (id, call_id, felt_safe, police_requested, debrief_wanted, "
         f"{FACT_COLUMNS}) FROM STDIN", surveys),
        ("COPY debrief_requests (id, survey_id, call_id, unit_id, asked_at, state) FROM STDIN",
         debriefs),
        ("COPY harm_reduction_entries (id, call_id, category, quantity, route, response, "
         f"{FACT_COLUMNS}) FROM STDIN", harm),
    ]
    t0 = time.perf_counter()
    with psycopg.connect(dsn(db)) as conn:
        with conn.cursor() as cur:
            for statement, rows in tables:
                with cur.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    counts = {"calls": len(load.calls), "status_events": len(load.events),
              "surveys": len(surveys), "debrief_requests": len(debriefs),
              "harm_reduction_entries": len(harm)}
    return time.perf_counter() - t0, counts


def fill_stage_times(app: Any, database: str) -> float:
    """The calls' first trusted times from their copied taps, as migration 0021 fills them
    for the calls a database already holds (COPY bypasses the status writer); its seconds."""
    from server.calls.models import refresh_stage_times
    from server.extensions import db

    t0 = time.perf_counter()
    with app.app_context():
        session = db.session()
        refresh_stage_times(session, None)
        session.commit()
    with psycopg.connect(dsn(database), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE calls")
    return time.perf_counter() - t0


def check(app: Any, load: Load) -> None:
    """The indicators' first times equal status_times' on a sample; responses add up."""
    import sqlalchemy as sa

    from server.calls.models import Call
    from server.calls.services import status_times
    from server.extensions import db
    from server.indicators import services

    filters = _filters()
    rng = random.Random(7)
    sample = [c for c, _, _ in rng.sample(load.responses, SAMPLE_CHECKED)]
    with app.app_context():
        session = db.session()
        first = services.first_state_times(session, filters)
        rows = {r.call_id: r for r in session.execute(
            first.select().where(first.c.call_id.in_(sample)))}
        for call in session.scalars(sa.select(Call).where(Call.id.in_(sample),
                                                          Call.deleted_at.is_(None))):
            times = status_times(call.status_events)
            trusted = {s: t for s, t in times.times.items() if s not in times.uncertain}
            for state in ("dispatched", "en_route", "on_scene"):
                found = getattr(rows[call.id], f"{state}_at")
                if found != trusted.get(state):
                    raise SystemExit(f"{call.id} {state}: SQL {found}, status_times "
                                     f"{trusted.get(state)}")
        answer = services.compute_indicator(session, "responses", filters, {}, 43)
        total = sum(r["values"]["responses"] for r in answer["rows"])
        expected = session.scalar(sa.select(sa.func.count()).select_from(Call).where(
            Call.unit_id.is_not(None), Call.deleted_at.is_(None)))
        if total != expected:
            raise SystemExit(f"responses add up to {total}, calls with a unit are {expected}")
        session.rollback()
    print(f"checked: first times of {SAMPLE_CHECKED} calls equal status_times'; "
          f"{total:,} responses", flush=True)


def _filters() -> Any:
    from server.indicators.services import Filters

    return Filters("week", YEAR_START, YEAR_END, ZONE)


def time_indicators(app: Any, runs: int) -> dict[str, list[float]]:
    from server.extensions import db
    from server.indicators import services
    from server.indicators.definitions import INDICATOR_IDS

    times: dict[str, list[float]] = {i: [] for i in INDICATOR_IDS}
    with app.app_context():
        session = db.session()
        for i in INDICATOR_IDS:  # each statement compiled once, as in a worker
            services.compute_indicator(session, i, _filters(), {}, 43)
        session.rollback()
        for _ in range(runs):
            for i in INDICATOR_IDS:
                t0 = time.perf_counter()
                services.compute_indicator(session, i, _filters(), {}, 43)
                times[i].append(time.perf_counter() - t0)
                session.rollback()
    return times


def time_baseline(db: str, runs: int) -> list[float]:
    times = []
    with psycopg.connect(dsn(db)) as conn:
        for _ in range(runs):
            t0 = time.perf_counter()
            for statement in BASELINE_SQL:
                conn.execute(statement).fetchall()
            times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs; medians count")
    args = parser.parse_args()

    with bench_database("indicators") as db:
        app = app_for(db)
        units, types, premises = seed_reference(app)
        t0 = time.perf_counter()
        load = Load(args.calls, args.events, units, types, premises)
        print(f"rows made in {time.perf_counter() - t0:.1f} s", flush=True)
        copied, counts = copy_rows(db, load)
        print(f"copied in {copied:.1f} s (with VACUUM ANALYZE): "
              + ", ".join(f"{n:,} {name}" for name, n in counts.items()), flush=True)
        print(f"stage times filled on every call in {fill_stage_times(app, db):.1f} s "
              "(as migration 0021 does, with VACUUM ANALYZE)", flush=True)
        check(app, load)
        per_indicator = time_indicators(app, args.runs)
        baseline = time_baseline(db, args.runs)

    medians = {i: statistics.median(t) for i, t in per_indicator.items()}
    totals = [sum(run) for run in zip(*per_indicator.values(), strict=True)]
    seconds, baseline_seconds = statistics.median(totals), statistics.median(baseline)
    for i, m in medians.items():
        print(f"{i}: median {m * 1000:.0f} ms")
    print(f"all {len(medians)} indicators, a year by week: median {seconds:.2f} s "
          f"(min {min(totals):.2f}, max {max(totals):.2f}) over {args.runs} runs")
    print(f"baseline, COUNT(*) GROUP BY over the calls and the status events: median "
          f"{baseline_seconds * 1000:.0f} ms")
    emit({"bench": "indicators", "seconds": round(seconds, 3),
          "baseline_seconds": round(baseline_seconds, 3),
          "ratio": round(seconds / baseline_seconds, 1), "calls": counts["calls"],
          "status_events": counts["status_events"],
          "per_indicator_ms": {i: round(m * 1000) for i, m in medians.items()}})


if __name__ == "__main__":
    main()
