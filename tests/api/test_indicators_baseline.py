"""The baseline report of a historical CAD import, on calls worked out by hand (SQLite and
PostgreSQL). The department's zone is America/New_York (UTC-5 in November 2026).

Imported calls (local times):
  1 welfare_check  Mon 2nd 10:15  eligible      hour of week 0 x 24 + 10 = 10
  2 welfare_check  Mon 2nd 10:45  eligible      10
  3 welfare_check  Mon 2nd 10:50  not eligible  10
  4 trespass       Sun 8th 23:30  not eligible  6 x 24 + 23 = 167 (Monday 04:30 in UTC)
  5 trespass       Tue 3rd 02:00  eligible      24 + 2 = 26
  6 welfare_check  Wed 4th 09:00  eligible, cancelled: never counts
  7 welfare_check  Mon 16th 10:00 eligible      10, after the range of the 2nd to the 15th
and one eligible call made by dispatch (not imported), Mon 2nd 10:30: never counts.

The 2nd to the 15th: 5 calls, 3 eligible (0.6); welfare_check 3 and 2 (0.6667), trespass 2
and 1 (0.5); hour 10: 3 and 2, hour 26: 1 and 1, hour 167: 1 and 0, the other 165 hours
none. Without a range call 7 counts too: 6 and 4 (0.6667), hour 10: 4 and 3 (0.75).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from server.auth.models import Role
from server.calls.models import Call
from server.extensions import db
from tests.fixtures.people import Session

ZONE = ZoneInfo("America/New_York")
RANGE = "from=2026-11-02&to=2026-11-15"
HOURS_IN_WEEK = 168


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


@pytest.fixture
def imported(create_call: Callable[..., Call]) -> None:
    def call(call_type: str, received: datetime, eligible: bool, source: str = "import",
             **fields: Any) -> None:
        made = create_call(None, call_type=call_type)
        made.received_at, made.eligible, made.source = received, eligible, source
        for key, value in fields.items():
            setattr(made, key, value)
        db.session.commit()

    call("welfare_check", local(2, 10, 15), True)
    call("welfare_check", local(2, 10, 45), True)
    call("welfare_check", local(2, 10, 50), False)
    call("trespass", local(8, 23, 30), False)
    call("trespass", local(3, 2), True)
    call("welfare_check", local(4, 9), True, deleted_at=local(4, 10))
    call("welfare_check", local(16, 10), True)
    call("welfare_check", local(2, 10, 30), True, source="dispatch")


@pytest.fixture
def lead(imported: None, signed_in: Callable[..., Session]) -> Session:
    return signed_in(Role.PROGRAM_LEAD)


def cell(calls: int, eligible: int, share: float | None) -> dict[str, Any]:
    return {"calls": calls, "eligible": eligible, "eligible_share": share}


def test_the_report_counts_imported_calls_and_their_eligible_share_in_all_and_by_call_type(
        lead: Session) -> None:
    answer = lead.get(f"/api/v1/indicators/baseline?{RANGE}")
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["filters"] == {"from": "2026-11-02", "to": "2026-11-15",
                               "time_zone": "America/New_York"}
    assert body["total"] == cell(5, 3, 0.6)
    assert [(t["call_type"], t["calls"], t["eligible"], t["eligible_share"])
            for t in body["by_call_type"]] == [("welfare_check", 3, 2, 0.6667),
                                               ("trespass", 2, 1, 0.5)]
    assert body["suppressed_in_exports"] is True


def test_the_hours_of_the_week_are_local_and_every_one_is_listed(lead: Session) -> None:
    hours = lead.get(f"/api/v1/indicators/baseline?{RANGE}").json["by_hour_of_week"]
    assert len(hours) == HOURS_IN_WEEK
    assert [(h["weekday"], h["hour"]) for h in hours[:2]] == [(0, 0), (0, 1)]
    found = {(h["weekday"], h["hour"]): (h["calls"], h["eligible"], h["eligible_share"])
             for h in hours if h["calls"]}
    assert found == {(0, 10): (3, 2, 0.6667), (1, 2): (1, 1, 1.0), (6, 23): (1, 0, 0.0)}
    assert hours[5] == {"weekday": 0, "hour": 5, **cell(0, 0, None)}


def test_without_a_range_every_imported_call_counts(lead: Session) -> None:
    body = lead.get("/api/v1/indicators/baseline").json
    assert body["filters"] == {"from": None, "to": None, "time_zone": "America/New_York"}
    assert body["total"] == cell(6, 4, 0.6667)
    assert body["by_hour_of_week"][10] == {"weekday": 0, "hour": 10, **cell(4, 3, 0.75)}


def test_the_csv_suppresses_counts_from_1_to_4_and_the_shares_made_from_them(
        lead: Session) -> None:
    answer = lead.get(f"/api/v1/indicators/baseline.csv?{RANGE}")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == ["breakdown", "call_type", "weekday", "hour", "calls", "eligible",
                       "eligible_share"]
    assert rows[1:4] == [["total", "", "", "", "5", "<5", ""],
                         ["call_type", "welfare_check", "", "", "<5", "<5", ""],
                         ["call_type", "trespass", "", "", "<5", "<5", ""]]
    hours = rows[4:]
    assert len(hours) == HOURS_IN_WEEK
    assert hours[10] == ["hour_of_week", "", "0", "10", "<5", "<5", ""]
    assert hours[0] == ["hour_of_week", "", "0", "0", "0", "0", ""]


@pytest.mark.parametrize(("query", "field"), [("from=2026-11-15&to=2026-11-02", "to"),
                                              ("from=soon", "from"), ("to=2026-13-01", "to")])
def test_a_bad_range_is_a_422_naming_the_field(lead: Session, query: str, field: str) -> None:
    answer = lead.get(f"/api/v1/indicators/baseline?{query}")
    assert answer.status_code == 422
    assert field in answer.json["errors"]["query"]


def test_nobody_but_program_leads_and_supervisors_reads_it(
        imported: None, signed_in: Callable[..., Session]) -> None:
    assert signed_in(Role.SUPERVISOR).get("/api/v1/indicators/baseline").status_code == 200
    for role in (Role.DISPATCHER, Role.ADMIN, Role.RESPONDER_CLINICIAN):
        assert signed_in(role).get("/api/v1/indicators/baseline.csv").status_code == 403


def test_the_cli_prints_the_tables_and_writes_the_same_csv(
        app: Flask, lead: Session, tmp_path: Path) -> None:
    saved = tmp_path / "baseline.csv"
    result = app.test_cli_runner().invoke(args=["baseline-report", "--from", "2026-11-02",
                                                "--to", "2026-11-15", "--csv", str(saved)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.split() == ["all", "calls", "5", "3", "60.0", "%"] for line in lines)
    assert any(line.split() == ["welfare_check", "3", "2", "66.7", "%"] for line in lines)
    monday = next(line for line in lines if line.startswith("Mon "))
    assert monday.split()[1:] == ["."] * 10 + ["67"] + ["."] * 13
    assert saved.read_text() == lead.get(f"/api/v1/indicators/baseline.csv?{RANGE}").get_data(
        as_text=True)


def test_the_cli_refuses_a_range_that_ends_before_it_starts(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["baseline-report", "--from", "2026-11-15",
                                                "--to", "2026-11-02"])
    assert result.exit_code != 0
    assert "--to" in result.output


def test_the_documentation_states_the_definition_as_the_api_does(lead: Session) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"
    definition = lead.get("/api/v1/indicators/baseline").json["definition"]
    assert " ".join(definition.split()) in " ".join(docs.read_text().split())
