"""A unit's long list of calls: each list draws its first page of rows, and one page more at each
press of "Show more", until every call is drawn (a shift of a thousand calls opens as quickly as a
shift of twenty)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

#: Rows per page: LIST_PAGE in pwa/src/screens/CallList.tsx.
LIST_PAGE = 25


def test_cleared_calls_are_drawn_a_page_at_a_time_until_all_are_shown(
        server: live.LiveServer, page: Any, screenshot: Callable[[Any, str], Any]) -> None:
    cleared = server.scalar(
        "SELECT count(*) FROM calls c JOIN units u ON u.id = c.unit_id "
        "WHERE u.call_sign = 'HEART-1' AND c.status = 'cleared' AND c.deleted_at IS NULL")
    assert cleared > 2 * LIST_PAGE, "the demo city gives HEART-1 more than two pages of cleared calls"
    live.sign_in(page, server.url, "clinician1")
    live.unlock_if_locked(page)
    live.wait_synced(page)

    page.get_by_test_id("toggle-cleared").click()
    rows = page.get_by_test_id("cleared-list").get_by_test_id("call-row")
    more = page.get_by_test_id("cleared-list-more")
    shown = LIST_PAGE
    expect(rows).to_have_count(shown)
    screenshot(page, "calls-cleared-first-page")
    while shown < cleared:
        expect(more).to_be_visible()
        more.click()
        shown = min(shown + LIST_PAGE, cleared)
        expect(rows).to_have_count(shown)
    expect(more).to_have_count(0)
