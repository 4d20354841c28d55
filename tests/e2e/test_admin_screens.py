"""The administration screens in the browser: a supervisor builds a shift whose crew breaks the
rules (refused, the rule shown beside the form), fixes the crew and removes the shift; an admin
maps a CAD call type that matched none of ours; an EMT chooses a disposition from the list while
offline and it reaches the server when the tablet is back."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# A desk screen, not a tablet.
DESK = {"width": 1440, "height": 900}
# Days ahead of the built shift: clear of the demo crews' own shifts, which cover today.
DAYS_AHEAD = 5
# A desk screen loads its lists online; on a loaded machine that takes more than a tap's 15 s.
SCREEN_MS = 30_000
_numbers = itertools.count(1)

# A service area a shift covers: a ring east of the demo city (GeoJSON's [lon, lat]).
EAST = [[-78.80, 35.95], [-78.70, 35.95], [-78.70, 36.05], [-78.80, 35.95]]


def desk(new_context: Callable[..., Any], server: live.LiveServer, username: str) -> Any:
    """A desk signed in and landed on its role's home screen (the app goes there once it has
    signed in; a route asked for before that would be left for the home screen)."""
    page = new_context(viewport=DESK).new_page()
    live.sign_in(page, server.url, username)
    page.wait_for_function("location.hash.length > 2")
    return page


def test_a_supervisor_builds_a_shift_the_crew_rules_refuse_then_fixes_it(
        server: live.LiveServer, new_context: Callable[..., Any],
        screenshot: Callable[[Any, str], Any]) -> None:
    from server.models_base import utcnow

    with server.engine.begin() as conn:  # an area of the city this shift covers
        conn.execute(sa.text("INSERT INTO service_areas (id, name, ring) VALUES "
                             "('east-e2e', 'East Durham', :ring)"), {"ring": json.dumps(EAST)})
    page = desk(new_context, server, "supervisor")
    page.goto("/#/rosters")
    form = page.get_by_test_id("shift-form")
    form.wait_for(timeout=SCREEN_MS)
    (core,) = server.rows("SELECT id FROM units WHERE call_sign = 'CORE-1'")
    page.get_by_test_id("shift-unit").select_option(str(core[0]))
    page.get_by_test_id("shift-day").fill((utcnow() + timedelta(days=DAYS_AHEAD)).date().isoformat())
    page.get_by_test_id("shift-start").fill("08:00")
    page.get_by_test_id("shift-end").fill("16:00")
    page.get_by_test_id("shift-area").select_option("east-e2e")
    page.get_by_test_id("crew-coclinician").check()
    page.get_by_test_id("crew-peer2").check()  # a co-response unit needs a CIT officer
    page.get_by_test_id("shift-save").click()

    refusal = page.get_by_test_id("crew-refusal")
    refusal.wait_for()
    assert "CIT officer" in refusal.inner_text()
    screenshot(page, "roster-refused")

    page.get_by_test_id("crew-peer2").uncheck()
    page.get_by_test_id("crew-citofficer").check()
    page.get_by_test_id("shift-save").click()
    page.get_by_test_id("shift-made").wait_for()
    assert not refusal.is_visible()
    (built,) = server.rows("SELECT id FROM shifts WHERE unit_id = :u ORDER BY starts_at DESC LIMIT 1",
                           u=core[0])
    shift_id = built[0]
    assert server.scalar("SELECT count(*) FROM shift_members WHERE shift_id = :s", s=shift_id) == 2
    assert server.scalar("SELECT service_area_id FROM shifts WHERE id = :s", s=shift_id) == "east-e2e"
    row = page.locator(f'[data-testid="shift-row"][data-shift-id="{shift_id}"]')
    row.wait_for()
    assert "Officer Dan Hughes" in row.inner_text()

    row.get_by_test_id("shift-remove").click()
    row.wait_for(state="detached")
    assert server.scalar("SELECT count(*) FROM shifts WHERE id = :s", s=shift_id) == 0


def test_an_admin_maps_an_unmapped_cad_call_type(
        server: live.LiveServer, new_context: Callable[..., Any],
        screenshot: Callable[[Any, str], Any]) -> None:
    code = f"E2E-ODD-{uuid.uuid4().hex[:6].upper()}"
    from server.cad import services
    from server.cad.records import CadCall
    from server.extensions import db
    from server.models_base import utcnow

    with server.app.app_context():
        session = db.session()
        now = utcnow()
        cad = CadCall(incident_number=f"E2E-ADMIN-{next(_numbers)}", call_type=code, priority=None,
                      received_at=now, address="40 Main St", lat=35.994, lon=-78.899,
                      narrative="Caller is worried about a neighbor.", weapon=False, violence=False)
        call, _ = services.ingest(session, services.start_intake(session, now, "cad"), cad, now)
        session.commit()
        call_id = uuid.UUID(str(call.id)).hex
        db.session.remove()

    page = desk(new_context, server, "admin")
    assert page.evaluate("location.hash").startswith("#/admin")
    page.get_by_test_id("admin-tab-calltypes").click()
    item = page.locator(f'[data-testid="unmapped"][data-cad-code="{code}"]')
    item.wait_for()
    screenshot(page, "admin-unmapped")
    item.get_by_test_id("map-type").select_option("welfare_check")
    item.get_by_test_id("map-save").click()
    item.wait_for(state="detached")
    assert server.scalar("SELECT t.code FROM calls c JOIN call_types t ON t.id = c.call_type_id "
                         "WHERE c.id = :c", c=call_id) == "welfare_check"


def test_an_emt_chooses_a_disposition_from_the_list_offline_and_it_syncs(
        server: live.LiveServer, context: Any, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Any]) -> None:
    call_id = open_calls("HEART-1")
    live.sign_in(page, server.url, "emt1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.get_by_test_id("call-list").wait_for()
    live.wait_synced(page)
    live.open_call(page, call_id)
    choice = page.get_by_test_id("disposition-code")
    choice.locator('option[value="transported_detox"]').wait_for(state="attached")

    context.set_offline(True)
    page.reload()
    live.unlock_if_locked(page, username="emt1")
    live.open_call(page, call_id)
    page.get_by_test_id("disposition-code").select_option("transported_detox")
    page.get_by_test_id("disposition-input").fill("Accepted a bed at Freedom House")
    page.get_by_test_id("disposition-save").click()
    page.wait_for_function("Number(document.querySelector('[data-testid=unsent-count]')"
                           "?.getAttribute('data-count')) >= 1")
    screenshot(page, "disposition-chosen-offline")

    context.set_offline(False)
    live.wait_synced(page)
    cid = uuid.UUID(call_id).hex
    live.eventually(lambda: server.rows("SELECT disposition_code, disposition FROM calls WHERE id = :c",
                                        c=cid)[0] == ("transported_detox",
                                                      "Accepted a bed at Freedom House"),
                    what="the chosen disposition on the server")
    assert page.get_by_test_id("disposition-code").input_value() == "transported_detox"


@pytest.mark.parametrize(("lang", "theme"), [("en", "light"), ("es", "dark")])
def test_the_admin_screens_pass_axe(server: live.LiveServer, new_context: Callable[..., Any],
                                    lang: str, theme: str) -> None:
    from tests.e2e.test_accessibility import axe_problems

    page = desk(new_context, server, "admin")
    page.get_by_test_id(f"lang-{lang}").click()
    page.get_by_test_id(f"theme-{theme}").click()
    problems: dict[str, list[str]] = {}
    for path, ready in (("/#/admin/people", "[data-testid=person-row]"),
                        ("/#/admin/calltypes",
                         "[data-testid=unmapped], [data-testid=unmapped-none]"),
                        ("/#/admin/dispositions", "[data-testid=disposition-row]"),
                        ("/#/rosters", "[data-testid=shift-row]")):
        page.goto(path)
        page.locator(ready).first.wait_for()
        page.wait_for_timeout(300)  # the lists' answers drawn
        if found := axe_problems(page):
            problems[path] = found
    assert problems == {}
