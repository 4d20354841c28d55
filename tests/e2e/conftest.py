"""Browser tests: one live server per session (SQLite, demo city, pwa/dist), system Chromium
through Playwright's sync API, a fresh browser context per test, screenshots under
tests/artifacts/screens/.

Every test here is marked `browser` and grouped on one xdist worker (`--dist loadgroup`), so the
browser tests run one after another while API tests run in the other workers; the server, its
database and its port belong to this session only.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import live

IN_CI = os.environ.get("CI", "").lower() == "true"
SCREENS = live.ROOT / "tests" / "artifacts" / "screens"
# The access token lives 5 s on this server: every test that waits a little works with an expired
# one, as a crew does after a break; the app must refresh and carry on.
ACCESS_SECONDS = 5


def pytest_configure(config: pytest.Config) -> None:
    # Known to pytest-xdist; registered here too so `-p no:xdist` runs pass --strict-markers.
    config.addinivalue_line("markers", "xdist_group(name): run in the named xdist group (loadgroup)")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.access(live.CHROMIUM, os.X_OK):
        reason = (f"Chromium not found at {live.CHROMIUM} "
                  "(apt-get install chromium; never `playwright install`)")
        if IN_CI:
            pytest.fail(f"{reason} and CI=true")
        pytest.skip(reason)
    return live.CHROMIUM


@pytest.fixture(scope="session")
def server(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[live.LiveServer]:
    def seed(app: Any) -> None:
        from server.extensions import db

        # Each test takes calls of its own: a dozen open calls more for HEART-1, a few for HEART-2.
        live.seed_open_calls(db.session(), "HEART-1", 16)
        live.seed_open_calls(db.session(), "HEART-2", 4)

    srv = live.start_server(tmp_path_factory.mktemp("e2e"), access_seconds=ACCESS_SECONDS, seed=seed)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = live.launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def new_context(browser: Any, server: live.LiveServer) -> Iterator[Callable[..., Any]]:
    """Makes browser contexts (a context is one tablet); all are closed after the test.

    They bypass the app's Content-Security-Policy unless told not to: Playwright's
    wait_for_function runs its predicate with eval in the page, which the policy forbids.
    test_security_headers checks the app and the docs page under the policy itself."""
    made: list[Any] = []

    def make(**kw: Any) -> Any:
        kw.setdefault("bypass_csp", True)
        ctx = browser.new_context(**{"base_url": server.url, "viewport": live.VIEWPORT, **kw})
        ctx.set_default_timeout(15_000)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def context(new_context: Callable[..., Any]) -> Any:
    return new_context()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    SCREENS.mkdir(parents=True, exist_ok=True)

    def shot(page: Any, name: str) -> Path:
        path = SCREENS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return shot


@pytest.fixture(scope="session")
def open_calls(server: live.LiveServer) -> Callable[[str], str]:
    """Hands out open calls of a unit, a different one each time, so tests never share a call."""
    used: set[str] = set()

    def take(call_sign: str = "HEART-1") -> str:
        rows = server.rows(
            "SELECT c.id FROM calls c JOIN units u ON u.id = c.unit_id "
            "WHERE u.call_sign = :sign AND c.status = 'dispatched' AND c.deleted_at IS NULL "
            "ORDER BY c.priority, c.received_at", sign=call_sign)
        for (cid,) in rows:
            call_id = str(uuid.UUID(str(cid)))
            if call_id not in used:
                used.add(call_id)
                return call_id
        raise AssertionError(f"no unused open call left for {call_sign}")

    return take
