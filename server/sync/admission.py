"""Admission of sync requests: at most SYNC_CONCURRENCY pushes and pulls run at once in a
process; the rest wait at the door, before they hold a database connection.

Why: each sync request holds a pooled connection for its whole transaction. In a reconnect
storm every tablet pushes at once, the pool (SQLAlchemy's 5 + 10 overflow per process) runs
dry, and a backup request waited its turn behind the pushes (seconds from the press to the
board, bench/backup_fanout.py under the storm). With the door, connections stay free for
alerts, acknowledgements, the stream's checks and dispatch, and the storm itself is no
slower: PostgreSQL on a few cores gains nothing from more concurrent transactions.

The door is first come, first served. A plain semaphore lets the thread that just released a
slot take it straight back: a tablet paging through a long pull kept both slots while eight
others pushing waited for minutes, until their sessions expired.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

SYNC_PREFIX = "/api/v1/sync/"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class FairSlots:
    """A counting semaphore that hands a freed slot to the longest waiter, never to a newcomer."""

    def __init__(self, limit: int) -> None:
        # threading's locks are gevent's once gunicorn's gevent worker has patched.
        self._lock = threading.Lock()
        self._free = limit
        self._waiters: deque[threading.Lock] = deque()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @contextmanager
    def held(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def _acquire(self) -> None:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        turn.acquire()  # released by _release, which hands this waiter its slot

    def _release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._free += 1


class SyncAdmission:
    """WSGI middleware: a sync request runs, answer and teardown included, inside a slot."""

    def __init__(self, app: WsgiApp, limit: int) -> None:
        self.app = app
        self.slots = FairSlots(limit)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not str(environ.get("PATH_INFO", "")).startswith(SYNC_PREFIX):
            return self.app(environ, start_response)
        with self.slots.held():
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]  # the answer is built; its connection goes back here
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
