"""The per-process hub of the live stream: the listeners connected to this process, each
with a bounded queue, and one reader that, when woken, reads the committed stream_events
after its last id (one read per process, whatever the number of listeners) and hands each
event to the listeners whose audience includes them.

On PostgreSQL the hub is woken by LISTEN on a dedicated autocommit connection (publish sends
NOTIFY in its transaction, so it arrives on commit); on SQLite by the session's after_commit
in this process. The NOTIFY carries the event itself, and the committing process hands its
own events over after the commit: an event that follows the last one read is fanned out at
once, with no query (a backup request's way to its listeners, under load, is then one commit
and one notification). Anything else (a gap: a smaller id may still be committing; an event
too large for a NOTIFY) is read from the table, so a lost wake-up only delays events until
the next one (the LISTEN loop also reads on every timeout and after a reconnect). The hub
starts on first use: threads do not survive gunicorn's fork.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

import orjson
import sqlalchemy as sa
from flask import Flask

from server.background import on_stop
from server.stream.audience import Audience
from server.stream.models import StreamEvent

log = logging.getLogger(__name__)

EXTENSION_KEY = "heart_stream_hub"
NOTIFY_CHANNEL = "heart_stream"
# A listener this many events behind is too slow to keep up (a stalled socket): it is
# dropped and reconnects with Last-Event-ID, rather than the hub waiting or memory growing.
# A burst of backup escalations across a city is tens of events, far below this.
LISTENER_QUEUE_SIZE = 256
# After the database drops, the LISTEN loop tries again this often (and reads what it
# missed once it is back).
RECONNECT_SECONDS = 1.0
# The LISTEN loop reads the table at least this often even without a NOTIFY: a safety net
# that costs one indexed query per process.
LISTEN_TIMEOUT_SECONDS = 15.0
# Rows read per query when catching up; keeps a long catch-up's memory small.
READ_BATCH = 500
# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more; a larger event goes as its id.
NOTIFY_PAYLOAD_BYTES = 7_900


@dataclass(frozen=True)
class Event:
    """A committed stream event as the hub hands it out (no ORM object: no session)."""

    id: int
    type: str
    at: str
    payload: dict[str, Any]
    audience: Audience

    @cached_property
    def frame(self) -> bytes:
        """The event as one SSE frame, built once however many listeners it goes to."""
        data = orjson.dumps({**self.payload, "event_id": self.id, "at": self.at}).decode()
        return f"id: {self.id}\nevent: {self.type}\ndata: {data}\n\n".encode()


@dataclass(eq=False)
class Listener:
    """One open stream: who is listening (taken from the guard at connect) and its queue."""

    role: str
    unit_id: int | None
    user_id: int
    device_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    queue: queue.Queue[Event] = field(default_factory=lambda: queue.Queue(LISTENER_QUEUE_SIZE))
    dropped: bool = False

    def wants(self, event: Event) -> bool:
        return event.audience.includes(self.role, self.unit_id, self.user_id)

    def offer(self, event: Event) -> bool:
        """Queue the event; False (and dropped) when the listener's queue is full."""
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            self.dropped = True
            return False
        return True


WakeCallback = Callable[[list[Event]], None]
# Of the listeners given, those whose device, sign-in and account are still good.
StandingCheck = Callable[[list[Listener]], set[Listener]]


class Hub:
    def __init__(self, engine: sa.Engine, last_id: int) -> None:
        self.engine = engine
        self.last_id = last_id
        self.listeners: set[Listener] = set()
        self.callbacks: list[WakeCallback] = []
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()
        # The last check of every listener's standing: when it ran, whom it found good, and
        # those registered since (their sign-in was checked at connect, later than it).
        self._standing_lock = threading.Lock()
        self._standing_at = time.monotonic()
        self._good: set[Listener] = set()
        self._since: set[Listener] = set()
        # Set when the app is shut down (tests make and drop an app per case): the LISTEN loop
        # ends and no more reads are made through an engine that is being disposed of.
        self.stopped = threading.Event()

    def register(self, listener: Listener) -> int:
        """Add the listener; the last id read so far (every later event reaches its queue)."""
        with self._lock:
            self.listeners.add(listener)
            self._since.add(listener)
            return self.last_id

    def unregister(self, listener: Listener) -> None:
        with self._lock:
            self.listeners.discard(listener)
            self._since.discard(listener)

    def in_good_standing(self, listener: Listener, check: StandingCheck, max_age: float) -> bool:
        """Whether the listener's device, sign-in and account were still good at the last
        check of every listener of this process, made again (one `check` for them all) once
        it is `max_age` seconds old. Each stream asks on its own timer; were each to query,
        the streams opened together would query together, and an alert fanned out in that
        burst would wait behind it."""
        with self._standing_lock:
            if time.monotonic() - self._standing_at >= max_age:
                with self._lock:
                    listeners = list(self.listeners)
                good = check(listeners)  # a check that fails changes nothing: the next asks again
                with self._lock:
                    self._good = good
                    self._since.difference_update(listeners)
                self._standing_at = time.monotonic()
            with self._lock:
                return listener in self._good or listener in self._since

    def wake(self) -> list[Event]:
        """Read the committed events after the last id and fan them out; the events read."""
        with self._read_lock:
            if self.stopped.is_set():
                return []
            events = read_after(self.engine, self.last_id)
            if not events:
                return []
            self.last_id = events[-1].id
            self.fan_out(events)
        for callback in self.callbacks:
            callback(events)
        return events

    def offer_committed(self, events: list[Event]) -> bool:
        """Events known to be committed (this process's own commit, or a NOTIFY carrying
        them), fanned out with no read when they follow the last id read without a gap;
        False when they do not (a smaller id may still be committing: read the table).
        Events already read are ignored."""
        with self._read_lock:
            if self.stopped.is_set():
                return True
            events = [e for e in events if e.id > self.last_id]
            if not events:
                return True
            ids = [e.id for e in events]
            if ids != list(range(self.last_id + 1, self.last_id + 1 + len(ids))):
                return False
            self.last_id = ids[-1]
            self.fan_out(events)
        for callback in self.callbacks:
            callback(events)
        return True

    def fan_out(self, events: Iterable[Event]) -> None:
        with self._lock:
            listeners = list(self.listeners)
        for event in events:
            for listener in listeners:
                if not listener.dropped and listener.wants(event) and not listener.offer(event):
                    log.warning("stream listener of user %s fell behind: disconnected",
                                listener.user_id)
                    self.unregister(listener)


def read_after(engine: sa.Engine, after_id: int, limit: int | None = None) -> list[Event]:
    """Committed events with ids after `after_id`, in id order."""
    events: list[Event] = []
    with engine.connect() as conn:
        while True:
            rows = conn.execute(sa.select(StreamEvent).where(StreamEvent.id > after_id)
                                .order_by(StreamEvent.id).limit(READ_BATCH)).all()
            events.extend(event_of(row) for row in rows)
            if len(rows) < READ_BATCH or (limit is not None and len(events) >= limit):
                return events
            after_id = rows[-1].id


def event_of(row: Any) -> Event:
    """The hub's copy of a stream event: a flushed StreamEvent (its id and time set) or a
    row read from the table."""
    return Event(row.id, row.type, _iso(row.at), dict(row.payload or {}),
                 Audience.from_json(row.audience or {}))


def notify_payload(event: Event) -> str:
    """What NOTIFY carries: the whole event when it fits, so each process's hub fans it out
    without reading the table; else its id only (the hub reads the row)."""
    whole = orjson.dumps({"id": event.id, "type": event.type, "at": event.at,
                          "payload": event.payload, "audience": event.audience.to_json()})
    return whole.decode() if len(whole) < NOTIFY_PAYLOAD_BYTES else str(event.id)


def event_of_notify(payload: str) -> Event | None:
    """The event a NOTIFY carried whole; None for an id only or anything unreadable."""
    if not payload.startswith("{"):
        return None
    try:
        data = orjson.loads(payload)
        return Event(int(data["id"]), str(data["type"]), str(data["at"]), dict(data["payload"]),
                     Audience.from_json(data["audience"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return str(value)


def latest_id(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(sa.select(sa.func.coalesce(sa.func.max(StreamEvent.id), 0))) or 0)


def oldest_id(engine: sa.Engine) -> int | None:
    with engine.connect() as conn:
        value = conn.scalar(sa.select(sa.func.min(StreamEvent.id)))
        return int(value) if value is not None else None


_start_lock = threading.Lock()


def hub_of(app: Flask) -> Hub:
    """This process's hub, started on first use (with its LISTEN loop on PostgreSQL)."""
    hub: Hub | None = app.extensions.get(EXTENSION_KEY)
    if hub is not None:
        return hub
    from server.extensions import db

    with _start_lock:
        hub = app.extensions.get(EXTENSION_KEY)
        if hub is None:
            with app.app_context():
                engine = db.engine
            hub = Hub(engine, latest_id(engine))
            if engine.dialect.name == "postgresql":
                threading.Thread(target=_listen_loop, args=(hub,), daemon=True,
                                 name="stream-listen").start()
            app.extensions[EXTENSION_KEY] = hub
            on_stop(app, lambda: stop_hub(app))
    return hub


def stop_hub(app: Flask) -> None:
    """End this app's hub (its LISTEN loop closes its connection within a listen timeout)."""
    hub: Hub | None = app.extensions.pop(EXTENSION_KEY, None)
    if hub is not None:
        hub.stopped.set()
        with hub._read_lock:  # a read under way ends before the caller disposes of the engine
            pass


def running_hub(app: Flask) -> Hub | None:
    hub: Hub | None = app.extensions.get(EXTENSION_KEY)
    return hub


def _listen_loop(hub: Hub) -> None:
    import psycopg

    dsn = hub.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not hub.stopped.is_set():
        try:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                hub.wake()  # what was committed while not listening
                while not hub.stopped.is_set():
                    heard = False
                    for notify in conn.notifies(timeout=LISTEN_TIMEOUT_SECONDS, stop_after=1):
                        heard = True
                        event = event_of_notify(notify.payload)
                        if event is None or not hub.offer_committed([event]):
                            hub.wake()
                    if not heard:
                        hub.wake()
        except Exception:  # the database went away: wait, reconnect, catch up
            if hub.stopped.is_set():
                return
            log.warning("stream LISTEN connection lost; reconnecting", exc_info=True)
            time.sleep(RECONNECT_SECONDS)
