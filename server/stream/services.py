"""Publishing an event: one stream_events row in the caller's transaction (never committed
here), then every hook a feature registered (the notifiers queue their deliveries there, in
the same transaction). The live fan-out reads committed rows, so a rolled-back request
publishes nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from server.stream.audience import Audience
from server.stream.models import StreamEvent

EXTENSION_KEY = "heart_stream_hooks"
# A hook sees the new event (already flushed: its id is set) inside the publishing transaction.
PublishHook = Callable[[Session, StreamEvent], None]


RECEIPT_HOOKS_KEY = "heart_stream_receipt_hooks"
# A receipt hook sees the events that got a new delivered receipt, in the receipt's transaction.
ReceiptHook = Callable[[Session, Sequence[StreamEvent]], None]


def register_receipt_hook(app: Flask, hook: ReceiptHook) -> None:
    app.extensions.setdefault(RECEIPT_HOOKS_KEY, []).append(hook)


def run_receipt_hooks(session: Session, events: Sequence[StreamEvent]) -> None:
    for hook in current_app.extensions.get(RECEIPT_HOOKS_KEY, []):
        hook(session, events)


def register_hook(app: Flask, hook: PublishHook) -> None:
    app.extensions.setdefault(EXTENSION_KEY, []).append(hook)


def publish(session: Session, type: str, payload: dict[str, Any], audience: Audience,
            subject: str | None = None) -> StreamEvent:
    event = StreamEvent(type=type, subject=subject, payload=payload, audience=audience.to_json())
    session.add(event)
    session.flush()
    for hook in current_app.extensions.get(EXTENSION_KEY, []):
        hook(session, event)
    return event
