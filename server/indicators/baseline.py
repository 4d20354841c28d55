"""The baseline report before launch: of the calls a historical CAD import brought in
(`flask cad-import FILE --historical`), which share the triage found eligible for a HEART
program, in all, by call type and by hour of the week (the department's calendar), the way a
needs assessment sizes a program from a year of a city's calls. Counts and shares only; its
CSV suppresses small cells as the indicators' exports do."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.calls.models import Call, CallType
from server.indicators.services import SHARE_PLACES, SUPPRESS_BELOW, SUPPRESSED
from server.locations.services import day_bounds

# The calls a CAD file import stores (server.cad.services.start_intake's source).
IMPORT_SOURCE: Final = "import"
DAYS_IN_WEEK: Final = 7
HOURS_IN_DAY: Final = 24
SQLITE_HOUR_FUNCTION: Final = "heart_hour_of_week"
DEFINITION: Final = (
    "Of the calls brought in by a CAD file import (calls.source \"import\", as `flask "
    "cad-import FILE --historical` stores them) and received in the range (the department's "
    "days, both included; every imported call when no range is given), cancelled ones left "
    "out: how many the triage found eligible for a HEART program (calls.eligible, by the "
    "eligibility table as it stood at the import), and that count's share of all of them; "
    "in all, by call type (the call type the CAD's code mapped to; codes not mapped yet are "
    "one group, \"unmapped\"), and by hour of the week (weekday 0 Monday to 6 Sunday, hour 0 "
    "to 23, of the call's received time in the department's time zone; every one of the 168 "
    "hours is listed). In the CSV a count from 1 to 4 is shown as \"<5\" and a share computed "
    "from it is left empty."
)


@dataclass(frozen=True)
class Range:
    """The local days asked for (None: no bound on that side) in the department's zone."""

    start: date | None
    end: date | None
    zone: ZoneInfo


def _hour_of_week_sqlite(value: str | None, zone: str) -> int | None:
    if value is None:
        return None
    at = datetime.fromisoformat(value)
    local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(zone))
    return local.weekday() * HOURS_IN_DAY + local.hour


def _hour_of_week(session: Session, zone: ZoneInfo) -> sa.ColumnElement[Any]:
    """weekday x 24 + hour of each call's local received time (0 is Monday 00:00-00:59)."""
    if session.get_bind().dialect.name == "postgresql":
        local = sa.func.timezone(str(zone.key), Call.received_at)
        return ((sa.extract("isodow", local) - 1) * HOURS_IN_DAY + sa.extract("hour", local))
    raw = session.connection().connection.driver_connection
    raw.create_function(SQLITE_HOUR_FUNCTION, 2, _hour_of_week_sqlite, deterministic=True)  # type: ignore[union-attr]
    return sa.func.heart_hour_of_week(Call.received_at, str(zone.key))


def _cell(calls: int, eligible: int) -> dict[str, Any]:
    return {"calls": calls, "eligible": eligible,
            "eligible_share": round(eligible / calls, SHARE_PLACES) if calls else None}


def baseline_report(session: Session, asked: Range) -> dict[str, Any]:
    """The report: the definition, the range, the total, by call type, by hour of week."""
    where = [Call.source == IMPORT_SOURCE, Call.deleted_at.is_(None)]
    if asked.start is not None:
        where.append(Call.received_at >= day_bounds(asked.start, asked.zone)[0])
    if asked.end is not None:
        where.append(Call.received_at < day_bounds(asked.end, asked.zone)[1])
    eligible = sa.func.count(sa.case((Call.eligible.is_(True), 1)))
    by_type = [{"call_type": code, "name": name, **_cell(int(n), int(e))}
               for code, name, n, e in session.execute(
                   sa.select(CallType.code, CallType.name, sa.func.count(), eligible)
                   .join(CallType, CallType.id == Call.call_type_id).where(*where)
                   .group_by(CallType.code, CallType.name).order_by(sa.func.count().desc(),
                                                                    CallType.code))]
    hour = _hour_of_week(session, asked.zone).label("hour_of_week")
    counted = {int(h): (int(n), int(e)) for h, n, e in session.execute(
        sa.select(hour, sa.func.count(), eligible).where(*where).group_by(hour))}
    by_hour = [{"weekday": h // HOURS_IN_DAY, "hour": h % HOURS_IN_DAY,
                **_cell(*counted.get(h, (0, 0)))} for h in range(DAYS_IN_WEEK * HOURS_IN_DAY)]
    total = _cell(sum(t["calls"] for t in by_type), sum(t["eligible"] for t in by_type))
    cells = [total, *by_type, *by_hour]
    return {"definition": DEFINITION,
            "filters": {"start": asked.start, "end": asked.end, "time_zone": str(asked.zone.key)},
            "total": total, "by_call_type": by_type, "by_hour_of_week": by_hour,
            "suppressed_in_exports": any(_small(c["calls"]) or _small(c["eligible"])
                                         for c in cells)}


def _small(n: int) -> bool:
    return 0 < n < SUPPRESS_BELOW


def _export(cell: dict[str, Any]) -> list[Any]:
    """calls, eligible, eligible_share of a cell as the CSV writes them."""
    small = _small(cell["calls"]) or _small(cell["eligible"])
    share = cell["eligible_share"]
    return [SUPPRESSED if _small(cell["calls"]) else cell["calls"],
            SUPPRESSED if _small(cell["eligible"]) else cell["eligible"],
            "" if small or share is None else share]


def baseline_csv(report: dict[str, Any]) -> str:
    """One row per cell: the total, each call type, each hour of the week."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["breakdown", "call_type", "weekday", "hour", "calls", "eligible",
                     "eligible_share"])
    writer.writerow(["total", "", "", "", *_export(report["total"])])
    for row in report["by_call_type"]:
        writer.writerow(["call_type", row["call_type"], "", "", *_export(row)])
    for row in report["by_hour_of_week"]:
        writer.writerow(["hour_of_week", "", row["weekday"], row["hour"], *_export(row)])
    return out.getvalue()


def hour_table(report: dict[str, Any]) -> str:
    """The hour-of-week heat table as text: a row per weekday, the eligible share of each
    hour in whole percent ("." for an hour with no call), for the CLI."""
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    lines = ["     " + "".join(f"{h:>4}" for h in range(HOURS_IN_DAY))]
    for day, name in enumerate(names):
        cells = report["by_hour_of_week"][day * HOURS_IN_DAY:(day + 1) * HOURS_IN_DAY]
        lines.append(f"{name:<5}" + "".join(
            "   ." if c["eligible_share"] is None else f"{round(c['eligible_share'] * 100):>4}"
            for c in cells))
    return "\n".join(lines)
