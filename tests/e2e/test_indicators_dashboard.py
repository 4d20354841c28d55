"""The program lead's indicators dashboard in the browser: a program lead lands on it and reads
the demo city's responses by program (the table's figures add up to the calls stored), each
indicator's chart and published definition, downloads an indicator's CSV export, and reads the
baseline report of a historical CAD import (its totals and hour-of-week heat table against the
calls stored); the same in Spanish; the program filter narrows the rows and the CSV export;
a supervisor reaches it from the navigation. A screenshot in each language."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from server.indicators.definitions import DEFINITIONS, INDICATOR_IDS
from server.indicators.services import SUPPRESSED
from tests.e2e import live
from tests.e2e.test_accessibility import axe_problems

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# The program lead's desk screen, not a tablet.
DESK = {"width": 1440, "height": 900}
# Every call of the demo city is within the default range (the last 84 days): its 30 days of
# history and the open calls the tests add. These programs' responses are never small cells.
PROGRAMS = ("community_response", "co_response")
# A year ago's CAD export: this many calls a week, of call types eligible or not.
HISTORICAL_CALLS = 120
HISTORICAL_TYPES = ("welfare_check", "trespass", "mental_health_crisis", "noise_complaint")


@pytest.fixture(scope="module")
def historical_import(server: live.LiveServer) -> None:
    """Imports a week of old CAD calls as `flask cad-import --historical` does (then closes
    them: they are history, not the dispatch queue's), once for this module's tests."""
    from server.cad import services
    from server.cad.records import CadCall
    from server.calls.models import Call, CallStatus
    from server.extensions import db
    from server.models_base import utcnow

    with server.app.app_context():
        session = db.session()
        now = utcnow()
        intake = services.start_intake(session, now, "import", historical=True)
        start = now - timedelta(days=365)
        for n in range(HISTORICAL_CALLS):
            cad = CadCall(incident_number=f"E2E-HIST-{n:04d}",
                          call_type=HISTORICAL_TYPES[n % len(HISTORICAL_TYPES)], priority=None,
                          received_at=start + timedelta(hours=n * 7 % 168, minutes=n),
                          address=f"{n} Old Main St", lat=35.994, lon=-78.899,
                          narrative="Caller is worried about a neighbor.", weapon=False,
                          violence=False)
            call, _outcome = services.ingest(session, intake, cad, now, audit=False)
            call.status = CallStatus.CLEARED
        session.commit()
        assert session.query(Call).filter(Call.source == "import").count() >= HISTORICAL_CALLS
        db.session.remove()


def imported_stored(server: live.LiveServer) -> tuple[int, int]:
    calls, eligible = server.rows(
        "SELECT count(*), sum(CASE WHEN eligible THEN 1 ELSE 0 END) FROM calls "
        "WHERE source = 'import' AND deleted_at IS NULL")[0]
    return int(calls), int(eligible or 0)


def check_baseline(page: Any, server: live.LiveServer) -> None:
    """The baseline's total and its heat table's calls add up to the imported calls stored."""
    section = page.get_by_test_id("ind-baseline")
    total = section.get_by_test_id("ind-baseline-total")
    total.wait_for()
    calls, eligible = imported_stored(server)
    assert eligible > 0
    assert (int(total.get_attribute("data-calls") or -1),
            int(total.get_attribute("data-eligible") or -1)) == (calls, eligible)
    assert f"{calls:,}" in total.inner_text()
    heat = section.get_by_test_id("ind-heat-cell")
    assert heat.count() == 168
    assert sum(int(c.get_attribute("data-calls") or 0) for c in heat.all()) == calls
    assert section.get_by_test_id("ind-baseline-type").count() == len(HISTORICAL_TYPES)


def responses_stored(server: live.LiveServer, program: str) -> int:
    return int(server.scalar(
        "SELECT count(*) FROM calls c JOIN units u ON u.id = c.unit_id "
        "WHERE u.program = :program AND c.deleted_at IS NULL", program=program))


def programs_stored(server: live.LiveServer) -> set[str]:
    """The programs whose units went to a stored call (each is a series of the chart)."""
    return {str(p) for (p,) in server.rows(
        "SELECT DISTINCT u.program FROM calls c JOIN units u ON u.id = c.unit_id "
        "WHERE c.deleted_at IS NULL")}


def card(page: Any, indicator: str) -> Any:
    return page.locator(f'[data-testid="ind-card"][data-indicator="{indicator}"]')


def responses_shown(page: Any, program: str) -> int:
    """The responses column of the program's rows, added up (no cell of them is suppressed)."""
    cells = card(page, "responses").locator(
        f'[data-testid="ind-row"][data-group-program="{program}"] [data-measure="responses"]')
    texts = cells.all_inner_texts()
    assert texts, f"no rows of {program}"
    assert SUPPRESSED not in texts
    return sum(int(text.replace(",", "").replace(".", "")) for text in texts)


def open_dashboard(new_context: Callable[..., Any], server: live.LiveServer) -> Any:
    page = new_context(viewport=DESK, accept_downloads=True).new_page()
    live.sign_in(page, server.url, "lead")
    card(page, "responses").get_by_test_id("ind-table").wait_for()
    assert page.evaluate("location.hash") == "#/indicators"
    return page


def test_a_program_lead_reads_the_demo_citys_indicators_and_downloads_one_as_csv(
        server: live.LiveServer, historical_import: None, new_context: Callable[..., Any],
        tmp_path: Path,
        screenshot: Callable[[Any, str], Path]) -> None:
    page = open_dashboard(new_context, server)
    assert page.get_by_test_id("ind-card").count() == len(INDICATOR_IDS)
    for program in PROGRAMS:
        assert responses_shown(page, program) == responses_stored(server, program)
    responses = card(page, "responses")
    assert responses.get_by_test_id("ind-definition").inner_text().count(
        DEFINITIONS["responses"]["definition"]) == 1
    assert int(responses.get_by_test_id("ind-chart").locator("[data-series]")
               .get_attribute("data-series") or 0) == len(programs_stored(server))
    assert responses.locator("canvas").count() == 1
    # The demo city's calls are timed and end in transports; its few referrals are small cells.
    for indicator in ("response_times", "transports"):
        card(page, indicator).get_by_test_id("ind-chart").wait_for()
    card(page, "referrals").get_by_test_id("ind-table").get_by_text("<5").first.wait_for()
    check_baseline(page, server)
    page.wait_for_timeout(300)  # the charts draw once their data is in
    screenshot(page, "indicators-dashboard-en")
    assert not axe_problems(page)

    with page.expect_download() as download:
        responses.get_by_test_id("ind-csv").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("responses-")
    assert saved.suffix == ".csv"
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    for program in PROGRAMS:
        assert sum(int(r["responses"]) for r in rows if r["program"] == program) == \
            responses_stored(server, program)


def test_the_dashboard_in_spanish_shows_the_same_figures_and_filters_by_program(
        server: live.LiveServer, historical_import: None, new_context: Callable[..., Any],
        screenshot: Callable[[Any, str], Path], tmp_path: Path) -> None:
    page = open_dashboard(new_context, server)
    page.get_by_test_id("lang-es").click()
    page.get_by_role("heading", name="Indicadores del programa").wait_for()
    assert page.evaluate("document.documentElement.lang") == "es"
    assert card(page, "responses").get_by_role("heading", name="Respuestas por programa").is_visible()
    times = card(page, "response_times")
    times.get_by_test_id("ind-table").wait_for()
    assert times.get_by_role("columnheader", name="Mediana (s)").is_visible()
    assert times.get_by_text("Recibida → en el lugar").first.is_visible()
    for program in PROGRAMS:
        assert responses_shown(page, program) == responses_stored(server, program)
    check_baseline(page, server)
    assert page.get_by_role("rowheader", name="lun").is_visible()
    page.wait_for_timeout(300)
    screenshot(page, "indicators-dashboard-es")
    assert not axe_problems(page)

    page.get_by_test_id("ind-program").select_option("co_response")
    page.get_by_test_id("ind-apply").click()
    rows = card(page, "responses").get_by_test_id("ind-row")
    # Read at once: the rows are re-rendered when the server's filtered answer arrives.
    live.eventually(lambda: set(rows.evaluate_all("rows => rows.map(r => r.dataset.groupProgram)"))
                    == {"co_response"}, what="only co-response rows")
    assert responses_shown(page, "co_response") == responses_stored(server, "co_response")
    with page.expect_download() as download:  # the export is filtered as the screen is
        card(page, "responses").get_by_test_id("ind-csv").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert {r["program"] for r in csv.DictReader(io.StringIO(saved.read_text()))} == {"co_response"}


def test_a_supervisor_reaches_the_dashboard_from_the_navigation(
        server: live.LiveServer, new_context: Callable[..., Any]) -> None:
    page = new_context(viewport=DESK).new_page()
    live.sign_in(page, server.url, "supervisor")
    page.get_by_test_id("nav-indicators").click()
    card(page, "responses").get_by_test_id("ind-table").wait_for()
    assert responses_shown(page, "community_response") == \
        responses_stored(server, "community_response")
