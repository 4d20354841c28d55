"""The field screens at a phone's width, a portrait tablet and a landscape tablet: the header
stays small, the signed-in person is always named, and call rows do not run into each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SIZES = {"phone": (390, 844), "tablet-portrait": (800, 1280), "tablet-landscape": (1280, 800)}
# The header and status bar together may take at most this share of the screen's height: the
# rest belongs to the calls.
MAX_CHROME_SHARE = 0.25


def box(locator: Any) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None
    return dict(found)


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize("size", list(SIZES))
def test_field_screens_fit_each_screen_size(
        server: live.LiveServer, new_context: Callable[..., Any], size: str,
        screenshot: Callable[[Any, str], Any]) -> None:
    width, height = SIZES[size]
    page = new_context(viewport={"width": width, "height": height}).new_page()
    live.sign_in(page, server.url, "peer1")
    page.get_by_test_id("pin-prompt-password").click()
    page.get_by_test_id("call-row").first.wait_for()
    # Measured once the first pull is in: rows drawn before it are redrawn as pages arrive.
    live.wait_synced(page)
    screenshot(page, f"calls-{size}")

    who = page.get_by_test_id("current-user")
    assert who.is_visible(), "the signed-in person must be named at every size"
    assert who.inner_text().strip()
    chrome = box(page.locator(".topbar"))["height"] + box(page.get_by_test_id("sync-status"))["height"]
    assert chrome <= MAX_CHROME_SHARE * height, (size, chrome)
    for row in page.get_by_test_id("call-row").all()[:10]:
        address, side = box(row.locator(".call-address")), box(row.locator(".call-side"))
        assert not overlaps(address, side), (size, row.inner_text())
    page.get_by_test_id("call-row").first.click()
    page.get_by_test_id("call-detail").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), size
    screenshot(page, f"call-detail-{size}")
