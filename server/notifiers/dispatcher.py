"""Sending queued deliveries after commit, never in a request: `send_due` claims the due rows
(FOR UPDATE SKIP LOCKED on PostgreSQL, so two processes never send one delivery twice), tries
each once, and sets it sent, queued again with a backoff, or failed. Each process runs it in a
daemon thread (a greenlet under gevent's monkey-patching) woken after every commit and every
DISPATCH_POLL_SECONDS, when SCHEDULER_ENABLED or NOTIFIER_DISPATCH is on; `flask
notifications-send` drains once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from server.background import on_stop
from server.extensions import db
from server.models_base import utcnow
from server.notifiers.base import QUEUED_KEY, notifiers_of
from server.stream.models import ERROR_LENGTH, Delivery, DeliveryStatus, StreamEvent

log = logging.getLogger(__name__)
THREAD_KEY = "heart_notifier_dispatcher"
# Rows claimed per round: a broadcast to a few hundred devices drains in a few rounds while
# each round's locks stay short.
BATCH_SIZE = 50
# Five attempts spread over about a minute and a half (5, 10, 20, 40 s apart): a gateway or
# push service restarting is back by then; longer and the alert is stale (the escalation has
# moved on and sent its own).
MAX_ATTEMPTS = 5
RETRY_BASE_SECONDS = 5
# The thread also looks this often without a wake-up: retries come due on their own, and
# another process's commits do not wake this one.
DISPATCH_POLL_SECONDS = 3


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: 5 s, 10 s, 20 s, 40 s."""
    return timedelta(seconds=RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def send_due(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, int]:
    """One round: claim the due deliveries of the registered channels and try each once. The
    caller commits (the claim's locks last until then)."""
    notifiers = notifiers_of()
    if not notifiers:
        return {"sent": 0, "retried": 0, "failed": 0, "gone": 0}
    stmt = (sa.select(Delivery)
            .where(Delivery.status == DeliveryStatus.QUEUED,
                   Delivery.channel.in_(list(notifiers)),
                   sa.or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
            .order_by(Delivery.created_at).limit(BATCH_SIZE))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    counts = {"sent": 0, "retried": 0, "failed": 0, "gone": 0}
    for delivery in session.scalars(stmt).all():
        event = session.get(StreamEvent, delivery.event_id)
        assert event is not None  # a foreign key
        outcome = notifiers[delivery.channel].send(delivery, event, config)
        delivery.attempts += 1
        delivery.response_code = outcome.response_code
        delivery.last_error = outcome.error[:ERROR_LENGTH] if outcome.error else None
        if outcome.status == "sent":
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, utcnow()
            counts["sent"] += 1
        elif outcome.status == "retry" and delivery.attempts < MAX_ATTEMPTS:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
            counts["retried"] += 1
        else:
            delivery.status = DeliveryStatus.FAILED
            counts["gone" if outcome.status == "gone" else "failed"] += 1
    return counts


def drain(app: Flask) -> dict[str, int]:
    """Rounds until nothing is due now, each committed; a failure is logged and rolled back."""
    total = {"sent": 0, "retried": 0, "failed": 0, "gone": 0}
    with app.app_context():
        try:
            while True:
                counts = send_due(db.session(), utcnow(), app.config)
                db.session.commit()
                for key, value in counts.items():
                    total[key] += value
                if sum(counts.values()) < BATCH_SIZE:
                    return total
        except Exception:
            db.session.rollback()
            log.exception("sending notifications failed")
            raise
        finally:
            db.session.remove()


class Dispatcher:
    """The per-process sender: a daemon thread that drains when woken or every few seconds."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="notifier-dispatcher", daemon=True)

    def start(self) -> None:
        sa_event.listen(Session, "after_commit", self.after_commit)
        self.thread.start()

    def after_commit(self, session: Session) -> None:
        if session.info.pop(QUEUED_KEY, False):
            self.wake.set()

    def stop(self) -> None:
        """Ends the thread after its current round (the app is going away); once."""
        if self.stopping.is_set():
            return
        sa_event.remove(Session, "after_commit", self.after_commit)
        self.stopping.set()
        self.wake.set()
        self.thread.join()

    def run(self) -> None:
        while True:
            self.wake.wait(DISPATCH_POLL_SECONDS)
            if self.stopping.is_set():
                return
            self.wake.clear()
            try:
                drain(self.app)
            except Exception:  # the next round tries again
                log.warning("the notifier round failed; retrying in %s s", DISPATCH_POLL_SECONDS)


@click.command("notifications-send")
def send_command() -> None:
    """Send every queued notification that is due now, once."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's target
    total = drain(app)
    click.echo(f"sent {total['sent']}, retrying {total['retried']}, failed {total['failed']}, "
               f"gone {total['gone']}")


def init_app(app: Flask) -> None:
    app.cli.add_command(send_command)
    if app.config.get("SCHEDULER_ENABLED") or app.config.get("NOTIFIER_DISPATCH"):
        dispatcher = Dispatcher(app)
        dispatcher.start()
        app.extensions[THREAD_KEY] = dispatcher
        on_stop(app, dispatcher.stop)


