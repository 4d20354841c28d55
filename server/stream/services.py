"""Publishing an event: one stream_events row in the caller's transaction (never committed
here), then every hook a feature registered (the notifiers queue their deliveries there, in
the same transaction). The live fan-out reads committed rows, so a rolled-back request
publishes nothing.

The row is inserted at commit, under the commit-order lock the change feed takes too
(`server.locking`), so events commit in id order (a listener resuming after id n never skips
a smaller id committed later) and the lock is held only for the commit: a backup request
waits behind no push's work, only behind commits already queued. NOTIFY with the event goes
in the same commit (PostgreSQL), and this process's hub is handed it after the commit (on
SQLite, where writes are serialised already, that is the only way).

Receipts: a delivered Delivery per event and recipient (stream, Web Push, webhook); the
receipt hooks features register see the events that got a new delivered receipt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from server.locking import take_commit_order_lock
from server.stream import hub as hubs
from server.stream.audience import Audience
from server.stream.models import Channel, Delivery, DeliveryStatus, StreamEvent

EXTENSION_KEY = "heart_stream_hooks"
RECEIPT_HOOKS_KEY = "heart_stream_receipt_hooks"
# The session's info key of the events this transaction wrote, for this process's hub once
# it has committed.
COMMITTED_KEY = "heart_stream_committed"
# The session's info key of the events published in this transaction, written at commit.
PENDING_KEY = "heart_stream_pending"
# A hook sees the new event (already flushed: its id is set) inside the publishing transaction.
PublishHook = Callable[[Session, StreamEvent], None]
# A receipt hook sees the events that got a new delivered receipt, in the receipt's transaction.
ReceiptHook = Callable[[Session, list[StreamEvent]], None]


def register_hook(app: Flask, hook: PublishHook) -> None:
    app.extensions.setdefault(EXTENSION_KEY, []).append(hook)


def register_receipt_hook(app: Flask, hook: ReceiptHook) -> None:
    app.extensions.setdefault(RECEIPT_HOOKS_KEY, []).append(hook)


def publish(session: Session, type: str, payload: dict[str, Any], audience: Audience,
           subject: str | None = None) -> StreamEvent:
    """The event, written when the caller's transaction commits (its id is set then)."""
    event = StreamEvent(type=type, subject=subject, payload=payload, audience=audience.to_json())
    session.connection()  # the transaction begins now, so a rollback of it discards the event
    hooks = list(current_app.extensions.get(EXTENSION_KEY, []))
    session.info.setdefault(PENDING_KEY, []).append((event, hooks))
    return event


def _write_pending(session: Session) -> None:
    """before_commit: the transaction's events, under the commit-order lock, then NOTIFY with
    each id (PostgreSQL delivers it on commit) and the hooks; a hook's own event is written too."""
    while pending := session.info.pop(PENDING_KEY, None):
        take_commit_order_lock(session)
        session.add_all([event for event, _ in pending])
        session.flush()
        postgres = session.get_bind().dialect.name == "postgresql"
        for event, hooks in pending:
            written = hubs.event_of(event)
            if postgres:
                session.execute(sa.select(sa.func.pg_notify(hubs.NOTIFY_CHANNEL,
                                                            hubs.notify_payload(written))))
            session.info.setdefault(COMMITTED_KEY, []).append(written)
            for hook in hooks:
                hook(session, event)


def _discard_pending(session: Session, _previous: object) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(COMMITTED_KEY, None)


def on_wake(app: Flask, callback: hubs.WakeCallback) -> None:
    """Call `callback(events)` after each read of this process's hub (a dispatcher's wake-up)."""
    hubs.hub_of(app).callbacks.append(callback)


def wake_after_commit(session: Session) -> None:
    """The session's after_commit: hand what the transaction published to this process's hub
    (if it runs), which fans it out at once when nothing can be missing before it, and else
    reads the table. Other processes hear of it by NOTIFY (PostgreSQL)."""
    events = session.info.pop(COMMITTED_KEY, None)
    if not events:
        return
    hub = hubs.running_hub(current_app._get_current_object())  # type: ignore[attr-defined]
    if hub is not None and not hub.offer_committed(events):
        hub.wake()


def forget_after_rollback(session: Session) -> None:
    session.info.pop(COMMITTED_KEY, None)


def init_app(app: Flask) -> None:
    """Write published events at commit, before the change feed's rows (a hook's changes reach
    the feed); wake this process's hub after a commit that published (SQLite; PostgreSQL uses
    NOTIFY)."""
    from server.extensions import db

    if not sa.event.contains(Session, "before_commit", _write_pending):
        sa.event.listen(Session, "before_commit", _write_pending, insert=True)
        sa.event.listen(Session, "after_soft_rollback", _discard_pending)
    if not sa.event.contains(db.session, "after_commit", wake_after_commit):
        sa.event.listen(db.session, "after_commit", wake_after_commit)
        sa.event.listen(db.session, "after_rollback", forget_after_rollback)


def run_receipt_hooks(session: Session, events: list[StreamEvent]) -> None:
    if not events:
        return
    for hook in current_app.extensions.get(RECEIPT_HOOKS_KEY, []):
        hook(session, events)


def record_stream_receipts(session: Session, event_ids: Sequence[int], *, role: str,
                           unit_id: int | None, user_id: int, device_id: Any,
                           now: datetime) -> int:
    """A delivered stream Delivery per event whose audience includes the caller (once per
    event and device); the number of events now on record as delivered to the caller. The
    events whose receipt is new go to the receipt hooks."""
    events = session.scalars(sa.select(StreamEvent).where(StreamEvent.id.in_(set(event_ids)))
                             .order_by(StreamEvent.id)).all()
    included = [e for e in events
                if Audience.from_json(e.audience or {}).includes(role, unit_id, user_id)]
    if not included:
        return 0
    existing = set(session.scalars(sa.select(Delivery.event_id).where(
        Delivery.event_id.in_([e.id for e in included]), Delivery.channel == Channel.STREAM,
        Delivery.user_id == user_id, Delivery.device_id == device_id, Delivery.target == "")))
    new = [e for e in included if e.id not in existing]
    for event in new:
        session.add(Delivery(event_id=event.id, channel=Channel.STREAM, user_id=user_id,
                             device_id=device_id, target="", status=DeliveryStatus.DELIVERED,
                             attempts=1, created_at=now, sent_at=now, delivered_at=now))
    session.flush()
    run_receipt_hooks(session, new)
    return len(included)


def mark_delivered(session: Session, delivery: Delivery, now: datetime) -> bool:
    """Record a channel's delivered receipt (a notifier's callback); False when it already was."""
    if delivery.status == DeliveryStatus.DELIVERED:
        return False
    delivery.status = DeliveryStatus.DELIVERED
    delivery.delivered_at = now
    session.flush()
    event = session.get(StreamEvent, delivery.event_id)
    if event is not None:
        run_receipt_hooks(session, [event])
    return True


def delete_old_events(session: Session, now: datetime, config: Mapping[str, Any]) -> dict[str, Any]:
    """Delete stream events older than STREAM_RETENTION_DAYS and their deliveries; a stream
    resuming from before what is kept is told to reset."""
    cutoff = now - timedelta(days=config["STREAM_RETENTION_DAYS"])
    old = sa.select(StreamEvent.id).where(StreamEvent.at < cutoff).scalar_subquery()
    deliveries = session.execute(sa.delete(Delivery).where(Delivery.event_id.in_(old))
                                 .execution_options(synchronize_session=False))
    events = session.execute(sa.delete(StreamEvent).where(StreamEvent.at < cutoff)
                             .execution_options(synchronize_session=False))
    return {"events": int(events.rowcount),  # type: ignore[attr-defined]  # a DML result
            "deliveries": int(deliveries.rowcount),  # type: ignore[attr-defined]
            "before": cutoff.isoformat()}
