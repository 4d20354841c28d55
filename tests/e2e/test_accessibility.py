"""axe-core on every screen, in English and Spanish, light and dark: no serious or critical
violation. A screenshot of each screen in each language and theme."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

BLOCKING = {"serious", "critical"}


def axe_problems(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    response = Axe().run(page)
    assert response.response["passes"], "axe-core checked nothing: did it run?"
    return [f"{v['id']} ({v['impact']}): {v['help']} -> "
            f"{[n['target'] for n in v['nodes']][:5]}"
            for v in response.response["violations"] if v.get("impact") in BLOCKING]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_screen_passes_axe(server: live.LiveServer, page: Any, lang: str, theme: str,
                                 screenshot: Callable[[Any, str], Any]) -> None:
    problems: dict[str, list[str]] = {}

    def check(screen: str) -> None:
        page.wait_for_timeout(150)  # let lazy screens and live queries settle
        assert page.evaluate("document.documentElement.lang") == lang
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        if found := axe_problems(page):
            problems[screen] = found
        screenshot(page, f"{screen}-{lang}-{theme}")

    page.goto("/")
    page.get_by_test_id("login-form").wait_for()
    page.get_by_test_id(f"lang-{lang}").click()
    page.get_by_test_id(f"theme-{theme}").click()
    check("sign-in")

    live.sign_in(page, server.url, "clinician1")
    page.get_by_test_id("call-list").wait_for()
    page.get_by_test_id("call-row").first.wait_for()
    check("call-list")

    call_id = page.get_by_test_id("call-row").first.get_attribute("data-call-id")
    page.goto(f"/#/call/{call_id}")
    page.get_by_test_id("call-narrative").wait_for()
    check("call-detail")

    page.goto(f"/#/hr/call/{call_id}")
    page.get_by_test_id("hr-call").wait_for()
    page.get_by_test_id("hr-count-naloxone_administered-plus").click()
    page.get_by_test_id("hr-count-sharps_collected-plus").click()
    check("harm-reduction-call")

    for screen, testid in (("review", "nav-review"), ("storage", "storage-info"),
                           ("settings", "idle-minutes"), ("kit", "kit"), ("hr/", "hr-home"),
                           ("hr/contact/new", "hr-new"), ("survey/", "survey-owed"),
                           (f"survey/{call_id}", "survey")):
        page.goto(f"/#/{screen}")
        page.get_by_test_id(testid).wait_for()
        check(screen)

    page.get_by_test_id("lock-now").click()
    page.get_by_test_id("unlock-form").wait_for()
    check("unlock")

    assert not problems, problems
