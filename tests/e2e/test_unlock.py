"""The offline unlock: a PIN asked for at the first sign-in, kept under Argon2id, and wrong tries
that wait longer and longer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e import live

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PIN = "246810"


def enrolled_keys(page: Any) -> list[dict[str, Any]]:
    """The wrapped keys as IndexedDB holds them (read raw, as a finder of the tablet would)."""
    return list(page.evaluate("""() => new Promise((resolve, reject) => {
        const req = indexedDB.open('heart-field');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const get = req.result.transaction('meta').objectStore('meta').get('keys');
          get.onsuccess = () => { resolve(get.result ? get.result.value : []); req.result.close(); };
        };
      })"""))


def test_first_sign_in_asks_for_a_pin_and_wrong_tries_wait(
        server: live.LiveServer, page: Any, screenshot: Callable[[Any, str], Any]) -> None:
    live.sign_in(page, server.url, "emt1")
    prompt = page.get_by_test_id("pin-prompt")
    prompt.wait_for()
    screenshot(page, "pin-prompt")
    page.get_by_test_id("pin-prompt-input").fill(PIN)
    page.get_by_test_id("pin-prompt-save").click()
    prompt.wait_for(state="detached")
    keys = enrolled_keys(page)
    assert {k["secret"] for k in keys} == {"password", "pin"}
    assert {k["kdf"] for k in keys} == {"argon2id"}

    page.get_by_test_id("lock-now").click()
    page.get_by_test_id("unlock-username").fill("emt1")
    error = page.get_by_test_id("unlock-error")
    kinds = []
    for guess in ("111111", "222222", "333333", PIN):
        page.get_by_test_id("unlock-password").fill(guess)
        page.get_by_test_id("unlock-submit").click()
        page.wait_for_function("document.querySelector('[data-testid=unlock-submit]').disabled === false")
        error.wait_for()
        kinds.append(error.get_attribute("data-kind"))
    # Three wrong tries, then even the right PIN must wait: guessing through the app is slowed.
    assert kinds == ["wrong", "wrong", "wrong", "wait"], kinds
    screenshot(page, "unlock-wait")
    page.wait_for_timeout(1100)
    live.unlock(page, PIN)
    assert page.get_by_test_id("pin-prompt").count() == 0
