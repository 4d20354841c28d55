"""The web app and the API docs page work under the Content-Security-Policy every answer
carries: each renders, and Chromium reports no policy violation and no console error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# Records every violation the page reports, before any of the page's own scripts run.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


@pytest.fixture
def watched(new_context: Callable[..., Any]) -> tuple[Any, list[str]]:
    """A page under the policy (no bypass) whose console errors, CSP violations among them,
    are collected with their URL."""
    context = new_context(bypass_csp=False)
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    errors: list[str] = []

    def on_console(msg: Any) -> None:
        if msg.type == "error":
            errors.append(f"{msg.text} at {msg.location.get('url')}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, errors


def violations(page: Any) -> list[str]:
    found: list[str] = page.evaluate("window.__cspViolations")
    return found


def test_the_app_signs_in_and_lists_calls_under_the_policy(
        server: live.LiveServer, watched: tuple[Any, list[str]]) -> None:
    page, errors = watched
    shell = page.request.get(f"{server.url}/")

    live.sign_in(page, server.url, "clinician1")
    live.wait_controlled(page)
    live.unlock_if_locked(page)
    page.get_by_test_id("call-list").wait_for()
    live.wait_synced(page)
    # The offline unlock derives its key with Argon2id in WebAssembly: it must run under the policy.
    page.get_by_test_id("lock-now").click()
    live.unlock(page)

    assert "frame-ancestors 'none'" in shell.headers["content-security-policy"]
    assert violations(page) == []
    assert errors == []


def test_the_api_docs_render_under_the_policy(
        server: live.LiveServer, watched: tuple[Any, list[str]]) -> None:
    page, errors = watched

    answer = page.goto(f"{server.url}/api/docs")
    page.locator(".opblock").first.wait_for()

    assert answer is not None
    assert "'sha256-" in answer.headers["content-security-policy"]
    assert page.locator(".opblock").count() > 10
    assert violations(page) == []
    assert errors == []
