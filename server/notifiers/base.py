"""The Notifier protocol, the registry built from the NOTIFIERS setting, and the publish hook
that queues every notifier's deliveries in the event's own transaction."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from flask import Flask, current_app
from sqlalchemy.orm import Session

from server.stream.models import Channel, Delivery, StreamEvent
from server.stream.services import register_hook

EXTENSION_KEY = "heart_notifiers"
# Set in a session's info when it queued deliveries: its commit wakes the dispatcher.
QUEUED_KEY = "heart_notifier_queued"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: `sent` (the channel took it), `retry` (try again later),
    `failed` (never worth retrying) or `gone` (the target no longer exists)."""

    status: Literal["sent", "retry", "failed", "gone"]
    response_code: int | None = None
    error: str | None = None


@runtime_checkable
class Notifier(Protocol):
    channel: Channel

    def queue(self, session: Session, event: StreamEvent) -> list[Delivery]:
        """The deliveries this event needs on this channel (added to the session, not flushed)."""

    def send(self, delivery: Delivery, event: StreamEvent, config: Mapping[str, Any]) -> Outcome:
        """One attempt at one delivery; never raises for the channel's own failures."""


def load_notifiers(names: Sequence[str]) -> list[Notifier]:
    """'module:attribute' names of Notifier instances, as in the NOTIFIERS setting."""
    notifiers: list[Notifier] = []
    for name in names:
        module, _, attribute = name.partition(":")
        notifier = getattr(importlib.import_module(module), attribute)
        if not isinstance(notifier, Notifier):
            raise TypeError(f"{name} is not a notifier")
        notifiers.append(notifier)
    return notifiers


def notifiers_of(app: Flask | None = None) -> dict[Channel, Notifier]:
    target = app or current_app
    found: dict[Channel, Notifier] = target.extensions[EXTENSION_KEY]
    return found


def queue_deliveries(session: Session, event: StreamEvent) -> None:
    """The publish hook: every notifier's deliveries for the event, in its transaction."""
    for notifier in notifiers_of().values():
        deliveries = notifier.queue(session, event)
        if deliveries:
            session.add_all(deliveries)
            session.info[QUEUED_KEY] = True


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = {n.channel: n for n in load_notifiers(app.config["NOTIFIERS"])}
    register_hook(app, queue_deliveries)
