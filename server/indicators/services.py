"""The program's indicators, computed in the database: each is a function taking (session,
filters) that returns rows of counts, shares and times by period and group, never a call, a
person or free text. Every aggregate is SQL (GROUP BY, percentile_cont on PostgreSQL), so a
year of a city's calls is read in one pass per indicator; `to_csv` writes an export with its
small cells suppressed.

Periods are days, weeks (from Monday) or months of the department's calendar. PostgreSQL
buckets with date_trunc in the zone; SQLite, which has no time zones, calls a function
registered on its connection (`_sqlite_period`) doing the same in Python.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from server.calls.models import (
    TIMED_STATES,
    Call,
    CallStatus,
    CallType,
    Premise,
    stage_columns,
)
from server.care.models import Referral, ReferralEvent, ReferralStatus
from server.dispatch.models import ServiceAreaRow
from server.dispatch.rules import Fallback, ReasonCode, ServiceArea
from server.errors import DomainError
from server.fieldlogs.kinds import NALOXONE_ADMINISTERED
from server.fieldlogs.models import DebriefRequest, HarmReductionEntry, PostCallSurvey
from server.indicators.definitions import COMMON, DEFINITIONS, INDICATOR_IDS
from server.locations.services import day_bounds
from server.units.models import Program, Unit

PERIODS: Final = ("day", "week", "month")
# Counts from 1 to this are shown as "<5" in exports: a group that small can point at a
# person (one overdose on one street in one week). 0 is shown: it names nobody.
SUPPRESS_BELOW: Final = 5
SUPPRESSED: Final = "<5"
NALOXONE_KIT: Final = "naloxone_kit"
# Labels for what has no value: a response without a transport, a field log without a unit.
NO_DESTINATION: Final = "none"
NOT_RECORDED: Final = "not_recorded"
UNKNOWN_PROGRAM: Final = "unknown"
# Shares to four places (0.1% of 10,000 responses); times to a tenth of a second.
SHARE_PLACES: Final = 4
SECONDS_PLACES: Final = 1
# The response-time stages: (name, from state, to state).
STAGES: Final = (("received_to_dispatched", "received", "dispatched"),
                 ("dispatched_to_en_route", "dispatched", "en_route"),
                 ("en_route_to_on_scene", "en_route", "on_scene"),
                 ("received_to_on_scene", "received", "on_scene"))
QUANTILES: Final = (("median_seconds", 0.5), ("p90_seconds", 0.9))
# Programs whose teams include a police officer: their calls are not diverted from police.
WITH_POLICE: Final = frozenset({Program.CO_RESPONSE})
SQLITE_PERIOD_FUNCTION: Final = "heart_indicator_period"
# PostgreSQL settings for the indicators' transaction only (SET LOCAL): a year of calls
# grouped per call (the first time of each state) fits in 32 MB of sort and hash memory,
# where the default 4 MB spills to disk; and the just-in-time compiler, which costs about
# 100 ms a query here, saves less than it costs on queries of a second or less.
POSTGRES_SETTINGS: Final = (("work_mem", "32MB"), ("jit", "off"))


@dataclass(frozen=True)
class Filters:
    """What an indicator is asked for: the period size, the local days from `start` to `end`
    (both included), the department's zone, and the optional call type, area and program
    (a program keeps the rows of that program, in the indicators grouped by program)."""

    period: str
    start: date
    end: date
    zone: ZoneInfo
    call_type: str | None = None
    area: str | None = None
    program: str | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants the first day begins and the last day ends."""
        return day_bounds(self.start, self.zone)[0], day_bounds(self.end, self.zone)[1]


@dataclass(frozen=True)
class Measure:
    """A column of an indicator: a count (suppressed in exports from 1 to 4), or a value
    derived from the counts in `base` (left empty in exports when one of them is)."""

    name: str
    description: str
    base: tuple[str, ...] | None = None  # None: a count itself; () : never suppressed


@dataclass
class Indicator:
    """One indicator's answer: its rows, the group columns and measures they carry."""

    id: str
    groups: tuple[str, ...]
    measures: tuple[Measure, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- periods -------------------------------------------------------------------------------

def period_start(day: date, period: str) -> date:
    """The first day of the period holding `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def period_starts(filters: Filters) -> list[str]:
    """Every period from the first day's to the last day's, as YYYY-MM-DD."""
    found: list[str] = []
    day = period_start(filters.start, filters.period)
    while day <= filters.end:
        found.append(day.isoformat())
        day = (day + timedelta(days=32)).replace(day=1) if filters.period == "month" else (
            day + timedelta(days=7 if filters.period == "week" else 1))
    return found


def _sqlite_period(value: str | None, period: str, zone: str) -> str | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value)
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return period_start(at.astimezone(ZoneInfo(zone)).date(), period).isoformat()


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _period_of(session: Session, column: Any, filters: Filters) -> sa.ColumnElement[Any]:
    """The period holding each row's time: on PostgreSQL the local time truncated to it
    (written out by `_label` once grouped), on SQLite YYYY-MM-DD of its first day."""
    zone = str(filters.zone.key)
    if _is_postgres(session):
        return sa.func.date_trunc(filters.period, sa.func.timezone(zone, column))
    raw = session.connection().connection.driver_connection
    raw.create_function(SQLITE_PERIOD_FUNCTION, 3, _sqlite_period, deterministic=True)  # type: ignore[union-attr]
    return sa.func.heart_indicator_period(column, filters.period, zone)


def _label(session: Session, period: Any) -> sa.ColumnElement[str]:
    """A grouped period as YYYY-MM-DD (formatting once per group, not once per row)."""
    if _is_postgres(session):
        return sa.func.to_char(period, "YYYY-MM-DD")
    return sa.cast(period, sa.String)


def _epoch(session: Session, column: Any) -> sa.ColumnElement[Any]:
    """A time as seconds since the epoch (a float), so a stage is one subtraction."""
    if _is_postgres(session):
        return sa.cast(sa.extract("epoch", column), sa.Float)
    return sa.func.julianday(column) * 86400.0


# --- the population ------------------------------------------------------------------------

def _call_type_id(session: Session, code: str) -> int:
    found = session.scalar(sa.select(CallType.id).where(CallType.code == code))
    if found is None:
        raise DomainError(422, "call_type: unknown call type code",
                          {"query": {"call_type": ["unknown call type code"]}})
    return found


def list_areas(session: Session) -> list[ServiceAreaRow]:
    """The service areas an indicator may be filtered by, by name."""
    return list(session.scalars(sa.select(ServiceAreaRow).order_by(ServiceAreaRow.name,
                                                                   ServiceAreaRow.id)))


def premises_in_area(session: Session, area_id: str) -> list[uuid.UUID]:
    """The premises whose position lies in the service area (the polygon the triage checks
    a call's place against); premises without a position lie in none."""
    row = session.get(ServiceAreaRow, area_id)
    if row is None:
        raise DomainError(422, "area: unknown service area",
                          {"query": {"area": ["unknown service area"]}})
    area = ServiceArea(row.id, tuple((p[0], p[1]) for p in row.ring))
    return [pid for pid, lat, lon in session.execute(
        sa.select(Premise.id, Premise.lat, Premise.lon).where(
            Premise.lat.is_not(None), Premise.lon.is_not(None)))
            if lat is not None and lon is not None and area.contains(lat, lon)]


def _calls_in(session: Session, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """Calls received in the filters' days, not cancelled, of the call type if one is asked,
    at a premise in the service area if one is asked."""
    start, end = filters.bounds()
    where = [Call.deleted_at.is_(None), Call.received_at >= start, Call.received_at < end]
    if filters.call_type is not None:
        where.append(Call.call_type_id == _call_type_id(session, filters.call_type))
    if filters.area is not None:
        where.append(Call.premise_id.in_(premises_in_area(session, filters.area)))
    return where


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.count(sa.case((condition, 1)))


# --- the indicators ------------------------------------------------------------------------

def responses(session: Session, filters: Filters,
              programs: frozenset[Program] | None = None) -> Indicator:
    """Responses by program (of `programs` only, when given)."""
    result = Indicator("responses", ("program",),
                       (Measure("responses", "calls with a unit of the program on them"),))
    where = _calls_in(session, filters)
    if programs is not None:
        where.append(Unit.program.in_(programs))
    rows = sa.select(_period_of(session, Call.received_at, filters).label("period"),
                     Unit.program.label("program")).join(Unit, Unit.id == Call.unit_id).where(
        *where).subquery()
    for period, program, n in session.execute(
            sa.select(_label(session, rows.c.period), rows.c.program, sa.func.count())
            .group_by(rows.c.period, rows.c.program).order_by(rows.c.period, rows.c.program)):
        result.rows.append({"period": period, "group": {"program": str(program)},
                            "values": {"responses": int(n)}})
    return result


def transports(session: Session, filters: Filters) -> Indicator:
    result = Indicator("transports", ("program", "destination"), (
        Measure("responses", "the program's responses ending at this destination"),
        Measure("program_responses", "all the program's responses in the period"),
        Measure("share", "responses / program_responses", ("responses", "program_responses"))))
    destination = sa.func.coalesce(sa.func.nullif(sa.func.trim(Call.transport_destination), ""),
                                   NO_DESTINATION)
    rows = sa.select(_period_of(session, Call.received_at, filters).label("period"),
                     Unit.program.label("program"), destination.label("destination")).join(
        Unit, Unit.id == Call.unit_id).where(*_calls_in(session, filters)).subquery()
    found = [(p, str(prog), str(d), int(n)) for p, prog, d, n in session.execute(
        sa.select(_label(session, rows.c.period), rows.c.program, rows.c.destination, sa.func.count())
        .group_by(rows.c.period, rows.c.program, rows.c.destination)
        .order_by(rows.c.period, rows.c.program, rows.c.destination))]
    totals: dict[tuple[str, str], int] = {}
    for period, program, _, n in found:
        totals[period, program] = totals.get((period, program), 0) + n
    for period, program, dest, n in found:
        total = totals[period, program]
        result.rows.append({"period": period, "group": {"program": program, "destination": dest},
                            "values": {"responses": n, "program_responses": total,
                                       "share": round(n / total, SHARE_PLACES)}})
    return result


def eligible_served(session: Session, filters: Filters) -> Indicator:
    result = Indicator("eligible_served", ("outcome", "detail"), (
        Measure("calls", "eligible calls: served by the program in detail, or not served for "
                         "the reason in detail"),))
    served = Call.unit_id.is_not(None)
    outcome = sa.case((served, "served"), else_="not_served")
    detail = sa.case((served, sa.cast(Unit.program, sa.String)),
                     else_=sa.func.coalesce(Call.unserved_reason, NOT_RECORDED))
    rows = sa.select(_period_of(session, Call.received_at, filters).label("period"),
                     outcome.label("outcome"), detail.label("detail")).outerjoin(
        Unit, Unit.id == Call.unit_id).where(*_calls_in(session, filters),
                                             Call.eligible.is_(True)).subquery()
    for period, out, det, n in session.execute(
            sa.select(_label(session, rows.c.period), rows.c.outcome, rows.c.detail, sa.func.count())
            .group_by(rows.c.period, rows.c.outcome, rows.c.detail)
            .order_by(rows.c.period, sa.desc(rows.c.outcome), rows.c.detail)):
        result.rows.append({"period": period, "group": {"outcome": out, "detail": det},
                            "values": {"calls": int(n)}})
    return result


def referrals(session: Session, filters: Filters) -> Indicator:
    """Referrals of the period's calls by the program of the call's unit: made, and how many
    reached accepted and connected (by their status events; a connection implies acceptance)."""
    result = Indicator("referrals", ("program",), (
        Measure("made", "referrals made for the program's calls"),
        Measure("accepted", "of them, accepted by the resource (or connected)"),
        Measure("connected", "of them, the person connected to the resource"),
        Measure("connected_share", "connected / made", ("connected", "made"))))

    def reached(*statuses: ReferralStatus) -> sa.ColumnElement[bool]:
        return sa.exists().where(ReferralEvent.referral_id == Referral.id,
                                 ReferralEvent.status.in_(statuses))

    program = sa.func.coalesce(sa.cast(Unit.program, sa.String), UNKNOWN_PROGRAM)
    rows = sa.select(
        _period_of(session, Call.received_at, filters).label("period"), program.label("program"),
        reached(ReferralStatus.ACCEPTED, ReferralStatus.CONNECTED).label("accepted"),
        reached(ReferralStatus.CONNECTED).label("connected"),
    ).select_from(Referral).join(Call, Call.id == Referral.call_id).outerjoin(
        Unit, Unit.id == Call.unit_id).where(*_calls_in(session, filters)).subquery()
    for period, prog, made, accepted, connected in session.execute(
            sa.select(_label(session, rows.c.period), rows.c.program, sa.func.count(),
                      _count_if(rows.c.accepted), _count_if(rows.c.connected))
            .group_by(rows.c.period, rows.c.program).order_by(rows.c.period, rows.c.program)):
        result.rows.append({"period": period, "group": {"program": str(prog)},
                            "values": {"made": int(made), "accepted": int(accepted),
                                       "connected": int(connected),
                                       "connected_share": round(connected / made, SHARE_PLACES)}})
    return result


def first_state_times(session: Session, filters: Filters) -> Any:
    """One row per response of the period: its unit and period; for each timed state the
    first trusted time (`<state>_at`: kept on the call as its taps land, the rule of
    server.calls.services.status_times: standing taps only, uncertain ones passed over) and
    whether it has uncertain taps (`<state>_doubtful`, 1 or 0); and each state's time in
    epoch seconds (`<state>_s`) for the stages, dispatched falling back to the call's
    dispatched_at."""
    per_call: list[Any] = [Call.id.label("call_id"), Call.unit_id.label("unit_id"),
                           _period_of(session, Call.received_at, filters).label("period"),
                           _epoch(session, Call.received_at).label("received_s"),
                           sa.literal(0).label("received_doubtful")]
    for state in TIMED_STATES:
        first_at, uncertain = stage_columns(state)
        at = getattr(Call, first_at)
        time = sa.func.coalesce(at, Call.dispatched_at) if state == CallStatus.DISPATCHED else at
        per_call += [at.label(f"{state.value}_at"), _epoch(session, time).label(f"{state.value}_s"),
                     sa.case((getattr(Call, uncertain), 1), else_=0)
                     .label(f"{state.value}_doubtful")]
    # Materialized: each time is converted once per call, where a subquery merged into the
    # GROUP BY that reads it would convert it again for every aggregate naming it.
    return (sa.select(*per_call).where(*_calls_in(session, filters), Call.unit_id.is_not(None))
            .cte("state_times").prefix_with("MATERIALIZED", dialect="postgresql"))


def _stage(rows: Any, a: str, b: str) -> tuple[dict[str, sa.ColumnElement[bool]], Any]:
    """A stage's outcomes as conditions on the state times, and its seconds when measured:
    missing (a state with no time at all), uncertain (a state with only uncertain times),
    out_of_order (the later state first), measured."""
    start, end = rows.c[f"{a}_s"], rows.c[f"{b}_s"]
    missing = sa.or_(*(sa.and_(rows.c[f"{s}_s"].is_(None), rows.c[f"{s}_doubtful"] == 0)
                       for s in (a, b)))
    both = sa.and_(start.is_not(None), end.is_not(None))
    measured = sa.and_(both, end >= start)
    outcomes = {"measured": measured, "uncertain": sa.and_(sa.not_(missing), sa.not_(both)),
                "missing": missing, "out_of_order": sa.and_(both, end < start)}
    return outcomes, sa.case((measured, end - start))


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


OUTCOMES: Final = ("measured", "uncertain", "missing", "out_of_order")


def response_times(session: Session, filters: Filters) -> Indicator:
    result = Indicator("response_times", ("program", "stage"), (
        Measure("calls_timed", "responses with both times of the stage"),
        Measure("median_seconds", "median of the stage's seconds", ("calls_timed",)),
        Measure("p90_seconds", "90th percentile of the stage's seconds", ("calls_timed",)),
        Measure("left_out_uncertain", "left out: a state with only uncertain times"),
        Measure("left_out_missing", "left out: a state with no time"),
        Measure("left_out_out_of_order", "left out: the later state's time is earlier")))
    rows = first_state_times(session, filters)
    postgres = _is_postgres(session)
    aggregates: list[Any] = []
    for _, a, b in STAGES:
        outcomes, seconds = _stage(rows, a, b)
        aggregates += [_count_if(outcomes[o]) for o in OUTCOMES]
        if postgres:  # both quantiles from one sort of the stage's seconds
            fractions = postgresql.array([q for _, q in QUANTILES])
            aggregates.append(sa.func.percentile_cont(fractions).within_group(seconds))
    found = session.execute(sa.select(_label(session, rows.c.period), Unit.program, *aggregates)
                            .join(Unit, Unit.id == rows.c.unit_id)
                            .group_by(rows.c.period, Unit.program)
                            .order_by(rows.c.period, Unit.program))
    in_python = {} if postgres else _quantiles_in_python(session, rows)
    width = len(OUTCOMES) + (1 if postgres else 0)
    for period, program, *cells in found:
        for n, (stage, _, _) in enumerate(STAGES):
            timed, uncertain, missing, disorder, *quantiles = cells[n * width:(n + 1) * width]
            qs = (quantiles[0] if postgres else in_python.get((period, program, stage))) or [
                None] * len(QUANTILES)
            values: dict[str, Any] = {"calls_timed": int(timed)}
            for (name, _), value in zip(QUANTILES, qs, strict=True):
                values[name] = None if value is None else round(float(value), SECONDS_PLACES)
            values.update(left_out_uncertain=int(uncertain), left_out_missing=int(missing),
                          left_out_out_of_order=int(disorder))
            result.rows.append({"period": period,
                                "group": {"program": str(program), "stage": stage},
                                "values": values})
    return result


def _quantiles_in_python(session: Session, rows: Any) -> dict[tuple[Any, ...], list[float]]:
    """SQLite has no percentile aggregate: each group's measured seconds, sorted here (the
    embedded store holds one small city's calls)."""
    by_group: dict[tuple[Any, ...], list[float]] = {}
    stages = [stage for stage, _, _ in STAGES]
    for period, program, *seconds in session.execute(
            sa.select(_label(session, rows.c.period), Unit.program,
                      *(_stage(rows, a, b)[1] for _, a, b in STAGES))
            .join(Unit, Unit.id == rows.c.unit_id)):
        for stage, value in zip(stages, seconds, strict=True):
            if value is not None:
                by_group.setdefault((period, program, stage), []).append(float(value))
    return {key: [_percentile(sorted(values), q) for _, q in QUANTILES]
            for key, values in by_group.items()}


def diversion(session: Session, filters: Filters, minutes: dict[str, int],
              default_minutes: int) -> Indicator:
    result = Indicator("diversion", ("call_type",), (
        Measure("calls_diverted", "eligible police calls HEART took without police"),
        Measure("officer_minutes_per_call", "the configured officer minutes of the call type",
                ()),
        Measure("officer_minutes_saved", "calls_diverted x officer_minutes_per_call",
                ("calls_diverted",))))
    sent = sa.and_(Call.unit_id.is_not(None), Unit.program.not_in(WITH_POLICE))
    by_phone = sa.and_(Call.unit_id.is_(None),
                       Call.unserved_reason == ReasonCode.RESOLVED_BY_PHONE.value)
    rows = sa.select(_period_of(session, Call.received_at, filters).label("period"),
                     CallType.code.label("call_type")).join(
        CallType, CallType.id == Call.call_type_id).outerjoin(Unit, Unit.id == Call.unit_id).where(
        *_calls_in(session, filters), Call.eligible.is_(True),
        CallType.fallback == Fallback.POLICE.value, sa.or_(sent, by_phone)).subquery()
    for period, code, n in session.execute(
            sa.select(_label(session, rows.c.period), rows.c.call_type, sa.func.count())
            .group_by(rows.c.period, rows.c.call_type).order_by(rows.c.period, rows.c.call_type)):
        per_call = minutes.get(code, default_minutes)
        result.rows.append({"period": period, "group": {"call_type": code},
                            "values": {"calls_diverted": int(n),
                                       "officer_minutes_per_call": per_call,
                                       "officer_minutes_saved": int(n) * per_call}})
    return result


def responder_safety(session: Session, filters: Filters) -> Indicator:
    result = Indicator("responder_safety", ("program",), (
        Measure("surveys_answered", "surveys answering felt_safe"),
        Measure("felt_safe", "surveys answering felt_safe yes"),
        Measure("felt_safe_share", "felt_safe / surveys_answered",
                ("felt_safe", "surveys_answered")),
        Measure("police_requested_by_team", "calls where a survey says the team requested "
                                            "police"),
        Measure("police_dispatched_with_team", "co-response responses (an officer is on the "
                                               "team)"),
        Measure("debrief_requests", "debriefs the surveys asked for")))
    survey = PostCallSurvey
    # First per call and unit (a reassigned call's two teams each count), so "calls where
    # the team requested police" is a sum, not a count of distinct calls.
    per_call = sa.select(
        survey.call_id, survey.unit_id,
        _count_if(survey.felt_safe.in_(("yes", "no"))).label("answered"),
        _count_if(survey.felt_safe == "yes").label("safe"),
        sa.func.max(sa.case((survey.police_requested == "yes", 1), else_=0)).label("police"),
        sa.func.count(DebriefRequest.id).label("debriefs")).outerjoin(
        DebriefRequest, DebriefRequest.survey_id == survey.id).group_by(
        survey.call_id, survey.unit_id).subquery()
    program = sa.func.coalesce(sa.cast(Unit.program, sa.String), UNKNOWN_PROGRAM)
    rows = sa.select(_period_of(session, Call.received_at, filters).label("period"),
                     program.label("program"), per_call.c.answered, per_call.c.safe,
                     per_call.c.police, per_call.c.debriefs).join(
        Call, Call.id == per_call.c.call_id).outerjoin(Unit, Unit.id == per_call.c.unit_id).where(
        *_calls_in(session, filters)).subquery()
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for period, prog, answered, safe, police, debriefs in session.execute(
            sa.select(_label(session, rows.c.period), rows.c.program,
                      *(sa.func.sum(rows.c[name]) for name in ("answered", "safe", "police",
                                                              "debriefs")))
            .group_by(rows.c.period, rows.c.program)):
        cells[period, str(prog)] = {"surveys_answered": int(answered), "felt_safe": int(safe),
                                    "police_requested_by_team": int(police),
                                    "debrief_requests": int(debriefs)}
    for row in responses(session, filters, WITH_POLICE).rows:
        cell = cells.setdefault((row["period"], row["group"]["program"]), {})
        cell["police_dispatched_with_team"] = row["values"]["responses"]
    for (period, prog), cell in sorted(cells.items()):
        answered = cell.get("surveys_answered", 0)
        result.rows.append({"period": period, "group": {"program": prog}, "values": {
            "surveys_answered": answered, "felt_safe": cell.get("felt_safe", 0),
            "felt_safe_share": round(cell["felt_safe"] / answered, SHARE_PLACES)
            if answered else None,
            "police_requested_by_team": cell.get("police_requested_by_team", 0),
            "police_dispatched_with_team": cell.get("police_dispatched_with_team", 0),
            "debrief_requests": cell.get("debrief_requests", 0)}})
    return result


def naloxone(session: Session, filters: Filters) -> Indicator:
    result = Indicator("naloxone", ("program",), (
        Measure("naloxone_administrations", "entries of naloxone administered"),
        Measure("naloxone_doses", "doses those entries gave"),
        Measure("naloxone_kits_distributed", "naloxone kits given out")))
    entry = HarmReductionEntry
    start, end = filters.bounds()
    where = [entry.corrected_time >= start, entry.corrected_time < end,
             entry.category.in_((NALOXONE_ADMINISTERED, NALOXONE_KIT))]
    if filters.call_type is not None or filters.area is not None:
        where.append(entry.call_id.in_(sa.select(Call.id).where(*_calls_in(session, filters))))
        result.notes.append("With a call type or an area: only entries recorded on calls of "
                            "that type or in that area.")
    program = sa.func.coalesce(sa.cast(Unit.program, sa.String), UNKNOWN_PROGRAM)
    rows = sa.select(_period_of(session, entry.corrected_time, filters).label("period"),
                     program.label("program"), entry.category, entry.quantity).outerjoin(
        Unit, Unit.id == entry.unit_id).where(*where).subquery()
    administered = rows.c.category == NALOXONE_ADMINISTERED
    for period, prog, times, doses, kits in session.execute(
            sa.select(_label(session, rows.c.period), rows.c.program, _count_if(administered),
                      sa.func.coalesce(sa.func.sum(sa.case((administered, rows.c.quantity))), 0),
                      sa.func.coalesce(sa.func.sum(sa.case((rows.c.category == NALOXONE_KIT,
                                                            rows.c.quantity))), 0))
            .group_by(rows.c.period, rows.c.program).order_by(rows.c.period, rows.c.program)):
        result.rows.append({"period": period, "group": {"program": str(prog)}, "values": {
            "naloxone_administrations": int(times), "naloxone_doses": int(doses),
            "naloxone_kits_distributed": int(kits)}})
    return result


# --- one indicator, described and marked for export -----------------------------------------

Computer = Callable[[Session, Filters], Indicator]


def computers(minutes: dict[str, int], default_minutes: int) -> dict[str, Computer]:
    """Each indicator id's function; the diversion one with the officer minutes configured."""
    return {"responses": responses, "transports": transports,
            "eligible_served": eligible_served, "referrals": referrals,
            "response_times": response_times,
            "diversion": lambda s, f: diversion(s, f, minutes, default_minutes),
            "responder_safety": responder_safety, "naloxone": naloxone}


def _small(value: Any) -> bool:
    return isinstance(value, int) and 0 < value < SUPPRESS_BELOW


def _suppressed(indicator: Indicator, values: dict[str, Any]) -> bool:
    return any(_small(values.get(m.name)) for m in indicator.measures if m.base is None)


def describe(indicator_id: str) -> dict[str, Any]:
    return {"id": indicator_id, **DEFINITIONS[indicator_id], "common": COMMON}


def compute_indicator(session: Session, indicator_id: str, filters: Filters,
                      minutes: dict[str, int], default_minutes: int) -> dict[str, Any]:
    """The indicator with its definition, the filters as applied, every period of the range,
    and its rows, each marked when an export suppresses part of it."""
    if indicator_id not in INDICATOR_IDS:
        raise DomainError(404, "No such indicator.")
    if _is_postgres(session):
        for name, value in POSTGRES_SETTINGS:
            session.execute(sa.select(sa.func.set_config(name, value, True)))
    found = computers(minutes, default_minutes)[indicator_id](session, filters)
    notes = list(found.notes)
    by_program = filters.program is not None and "program" in found.groups
    rows = [{**row, "suppressed_in_exports": _suppressed(found, row["values"])}
            for row in found.rows if not by_program or row["group"]["program"] == filters.program]
    return {**describe(indicator_id),
            "filters": {"period": filters.period, "start": filters.start, "end": filters.end,
                        "time_zone": str(filters.zone.key), "call_type": filters.call_type,
                        "area": filters.area, "area_applied": filters.area is not None,
                        "program": filters.program, "program_applied": by_program},
            "periods": period_starts(filters), "groups": list(found.groups),
            "measures": [{"name": m.name, "description": m.description,
                          "suppressed_with": _suppressed_with(m)} for m in found.measures],
            "rows": rows, "suppressed_in_exports": any(r["suppressed_in_exports"] for r in rows),
            "notes": notes}


def _suppressed_with(measure: Measure) -> list[str]:
    """The counts whose smallness suppresses this measure in exports."""
    return [measure.name] if measure.base is None else list(measure.base)


def _export_value(measure: dict[str, Any], values: dict[str, Any]) -> Any:
    value = values.get(measure["name"])
    if any(_small(values.get(name)) for name in measure["suppressed_with"]):
        return SUPPRESSED if measure["suppressed_with"] == [measure["name"]] else None
    return value


def to_csv(answer: dict[str, Any]) -> str:
    """The indicator as CSV: period, the groups, the measures; counts from 1 to 4 as "<5"
    and what is computed from them left empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", *answer["groups"], *(m["name"] for m in answer["measures"])])
    for row in answer["rows"]:
        writer.writerow([row["period"], *(row["group"][g] for g in answer["groups"]),
                         *("" if (v := _export_value(m, row["values"])) is None else v
                           for m in answer["measures"])])
    return out.getvalue()
