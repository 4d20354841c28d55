"""The sync door: no more than its limit at once, and a freed slot goes to whoever waited longest."""

from __future__ import annotations

import threading
import time
from typing import Any

from server.sync.admission import FairSlots, SyncAdmission


def _wait_until(check: Any) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, "the waiter never reached the door"
        time.sleep(0.001)


def test_a_freed_slot_goes_to_the_waiter_not_back_to_the_thread_that_freed_it() -> None:
    slots = FairSlots(1)
    order: list[str] = []

    def waiter() -> None:
        with slots.held():
            order.append("waiter")

    other = threading.Thread(target=waiter)
    with slots.held():
        other.start()
        _wait_until(lambda: slots.waiting == 1)
    # A tablet paging through a pull comes straight back for the next page.
    with slots.held():
        order.append("pager")
    other.join(timeout=10)
    assert order == ["waiter", "pager"]


def test_sync_requests_past_the_limit_wait_and_other_requests_pass_by() -> None:
    inside = {"sync": 0, "most": 0}
    lock = threading.Lock()
    go_on = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"].startswith("/api/v1/sync/"):
            with lock:
                inside["sync"] += 1
                inside["most"] = max(inside["most"], inside["sync"])
            go_on.wait(timeout=10)
            with lock:
                inside["sync"] -= 1
        return [b"ok"]

    door = SyncAdmission(app, 2)
    answers: list[list[bytes]] = []

    def call(path: str) -> None:
        answers.append(list(door({"PATH_INFO": path}, lambda *a: None)))

    threads = [threading.Thread(target=call, args=("/api/v1/sync/push",)) for _ in range(6)]
    for thread in threads:
        thread.start()
    _wait_until(lambda: door.slots.waiting == 4)
    call("/api/v1/backups")  # not held at the door while four syncs wait there
    assert (inside["sync"], door.slots.waiting) == (2, 4)
    go_on.set()
    for thread in threads:
        thread.join(timeout=10)
    assert inside["most"] == 2
    assert answers == [[b"ok"]] * 7
