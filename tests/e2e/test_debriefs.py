"""A responder asks for a debrief in the post-call survey; the supervisor opens the debrief queue
from the board, reads who asked and the survey's comment, marks it done with a note, and finds it
under the done ones with that note; the screen passes axe in both themes and keeps 44 px targets."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Not the crew the other browser tests sign in as: a survey answered by a crew shows on its tablets,
# and their calls' surveys must stay owed.
UNIT = "HEART-2"
RESPONDER = "peer2"
# A touch target the supervisor taps with a finger on a tablet.
MIN_TARGET_PX = 44
TARGETS = "button, input, [data-testid^='debrief-tab-']"


def ask_for_debrief(server: live.LiveServer, call_id: str, comment: str) -> None:
    """The responder's tablet pushes a post-call survey asking for a debrief."""
    login = server.login(RESPONDER)
    now = datetime.now(UTC)
    op = {"id": str(uuid.uuid4()), "seq": 1,
          "hlc": f"{int(now.timestamp() * 1000):013d}-0001-{login['device_id'][:8]}",
          "kind": "post_call_survey", "action": "create", "record_id": str(uuid.uuid4()),
          "base_version": None, "device_time": now.isoformat(),
          "data": {"call_id": call_id, "felt_safe": "yes", "police_requested": "no",
                   "debrief_wanted": "yes", "comment": comment}}
    r = server.api("POST", "/sync/push", login["access_token"],
                   json={"protocol_version": 2, "device_time": now.isoformat(), "ops": [op]})
    assert r.status_code == 200, r.text
    assert [x["outcome"] for x in r.json()["results"]] == ["applied"], r.text


@pytest.fixture(scope="module")
def asked_once(server: live.LiveServer, open_calls: Callable[[str], str]) -> str:
    """One call whose debrief stays open, for the checks that only need one in the queue."""
    call_id = open_calls(UNIT)
    ask_for_debrief(server, call_id, "asked once for the screen checks")
    return call_id


def open_queue(page: Any, server: live.LiveServer) -> None:
    """The supervisor signs in (landing on the board) and opens the debrief queue."""
    live.sign_in(page, server.url, "supervisor")
    page.get_by_test_id("board").wait_for()
    page.goto("/#/debriefs/open")


def debrief_card(page: Any, call_id: str) -> Any:
    return page.locator(f'[data-testid="debrief"][data-call-id="{call_id}"]')


def test_a_supervisor_marks_a_requested_debrief_done_with_a_note(
        server: live.LiveServer, page: Any, open_calls: Callable[[str], str],
        screenshot: Callable[[Any, str], Path]) -> None:
    call_id = open_calls(UNIT)
    comment = f"hard call, need to talk {uuid.uuid4().hex[:6]}"
    ask_for_debrief(server, call_id, comment)
    responder_name = server.scalar("SELECT full_name FROM users WHERE username = :u", u=RESPONDER)

    open_queue(page, server)
    page.locator('[data-testid="debriefs"][data-state="open"]').wait_for()
    card = debrief_card(page, call_id)
    card.wait_for()
    assert card.get_by_test_id("debrief-comment").inner_text().endswith(comment)
    assert responder_name in card.get_by_test_id("debrief-asked").inner_text()
    assert UNIT in card.inner_text()
    page.get_by_test_id("flagged").wait_for()
    screenshot(page, "debriefs-open")

    card.get_by_test_id("debrief-note").fill("called them back, all fine")
    card.get_by_test_id("debrief-done").click()
    card.wait_for(state="detached")

    page.get_by_test_id("debrief-tab-done").click()
    done = page.locator(f'[data-testid="debriefs"][data-state="done"] [data-testid="debrief"]'
                        f'[data-call-id="{call_id}"]')
    done.wait_for()
    assert done.get_by_test_id("debrief-done-note").inner_text() == "called them back, all fine"
    assert done.get_by_test_id("debrief-note").count() == 0
    assert server.scalar("SELECT state FROM debrief_requests WHERE call_id = :c",
                         c=uuid.UUID(call_id).hex) == "done"
    screenshot(page, "debriefs-done")


def test_a_debrief_note_too_long_shows_the_servers_message_beside_the_field(
        server: live.LiveServer, page: Any, open_calls: Callable[[str], str]) -> None:
    call_id = open_calls(UNIT)
    ask_for_debrief(server, call_id, "long note check")

    open_queue(page, server)
    card = debrief_card(page, call_id)
    card.wait_for()
    card.get_by_test_id("debrief-note").fill("x" * 1001)
    card.get_by_test_id("debrief-done").click()
    card.get_by_test_id("error-note").wait_for()
    assert card.get_by_test_id("debrief-note").get_attribute("aria-invalid") == "true"
    assert server.scalar("SELECT state FROM debrief_requests WHERE call_id = :c",
                         c=uuid.UUID(call_id).hex) == "open"


@pytest.mark.parametrize(("lang", "theme"), [("en", "light"), ("es", "dark")])
def test_the_debrief_screen_passes_axe_and_keeps_44px_targets(
        server: live.LiveServer, page: Any, asked_once: str, lang: str, theme: str,
        screenshot: Callable[[Any, str], Path]) -> None:
    from tests.e2e.test_accessibility import axe_problems

    page.goto("/")
    page.get_by_test_id("login-form").wait_for()
    page.get_by_test_id(f"lang-{lang}").click()
    page.get_by_test_id(f"theme-{theme}").click()
    open_queue(page, server)
    debrief_card(page, asked_once).wait_for()
    page.get_by_test_id("flagged").wait_for()
    assert not axe_problems(page)
    small = page.evaluate(
        """([sel, min]) => [...document.querySelectorAll(sel)]
            .filter((el) => el.closest('.debriefs') && el.getClientRects().length)
            .map((el) => [el.dataset.testid || el.id || el.tagName, el.getBoundingClientRect().height])
            .filter(([, h]) => h < min)""", [TARGETS, MIN_TARGET_PX])
    assert not small, small
    screenshot(page, f"debriefs-{lang}-{theme}")
