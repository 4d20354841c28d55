"""Admission of sync requests: at most SYNC_CONCURRENCY pushes and pulls run at once in a
process; the rest wait at the door, before they hold a database connection.

Why: each sync request holds a pooled connection for its whole transaction. In a reconnect
storm every tablet pushes at once, the pool (SQLAlchemy's 5 + 10 overflow per process) runs
dry, and a backup request waited its turn behind the pushes (seconds from the press to the
board, bench/backup_fanout.py under the storm). With the door, connections stay free for
alerts, acknowledgements, the stream's checks and dispatch, and the storm itself is no
slower: PostgreSQL on a few cores gains nothing from more concurrent transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

SYNC_PREFIX = "/api/v1/sync/"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class SyncAdmission:
    """WSGI middleware: a sync request runs, answer and teardown included, inside a slot."""

    def __init__(self, app: WsgiApp, limit: int) -> None:
        self.app = app
        # threading's semaphore is gevent's once gunicorn's gevent worker has patched.
        self.slots = threading.BoundedSemaphore(limit)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not str(environ.get("PATH_INFO", "")).startswith(SYNC_PREFIX):
            return self.app(environ, start_response)
        with self.slots:
            body = self.app(environ, start_response)
            try:
                return [b"".join(body)]  # the answer is built; its connection goes back here
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
