"""The live stream (Server-Sent Events) and its receipts.

GET /stream authenticates through the request guard at connect, registers a listener with
this process's hub, replays what the client missed (Last-Event-ID), releases the database
session and then streams from the listener's queue: no database round trip per event. Every
STREAM_KEEPALIVE_SECONDS a comment keeps proxies from closing the idle connection, and the
device and sign-in are checked again: a revoked device or an ended sign-in ends the stream.
A stream also ends after STREAM_MAX_SECONDS; the client resumes with Last-Event-ID.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from server.auth.models import Device, DeviceSession, User
from server.extensions import db
from server.models_base import utcnow
from server.stream import hub as hubs
from server.stream import services
from server.stream.schemas import (
    MAX_EVENT_ID,
    ReceiptsAnswerSchema,
    ReceiptsSchema,
    StreamQuerySchema,
)

blp = Blueprint("stream", __name__, url_prefix="/api/v1", description="The live stream")

STREAM_DOC = {
    "200": {
        "description": "Server-Sent Events. First `event: ready` with `{\"last_event_id\": n}`; "
                       "then `id: <n>`, `event: <type>`, `data: <payload + event_id + at>` per "
                       "event whose audience includes the caller; `: keepalive` comments; "
                       "`event: reset` when the resume id is older than what is kept.",
        # Before OpenAPI 3.2 (no `itemSchema`), an event stream's `schema` describes one event.
        "content": {"text/event-stream": {"schema": {
            "type": "object", "required": ["data", "event"],
            "properties": {"event": {"type": "string"},
                           "data": {"type": "string", "contentMediaType": "application/json"},
                           "id": {"type": "string", "pattern": "^[0-9]+$"},
                           "retry": {"type": "integer"}}}}},
    },
}
LAST_EVENT_ID_HEADER = {"in": "header", "name": "Last-Event-ID", "required": False,
                        "schema": {"type": "integer", "minimum": 0},
                        "description": "Resume after this event id."}


def frame(event: str, data: Any) -> bytes:
    """A frame of the stream's own (ready, reset): no id, so a resume never starts from it."""
    return f"event: {event}\ndata: {orjson.dumps(data).decode()}\n\n".encode()


KEEPALIVE = b": keepalive\n\n"
# The process's check of every stream's sign-in is made again once this share of a keepalive
# old: a revoked device's stream ends within one and a half keepalives.
STANDING_AGE_PER_KEEPALIVE = 0.5


def _resume_id(query: dict[str, Any]) -> int | None:
    header = request.headers.get("Last-Event-ID")
    if header is None or header == "":
        value: int | None = query.get("last_event_id")
        return value
    try:
        number = int(header)
    except ValueError:
        number = -1
    if not 0 <= number <= MAX_EVENT_ID:
        abort(422, message="Last-Event-ID must be an event id.",
              errors={"headers": {"Last-Event-ID": ["Not a valid event id."]}})
    return number


def signed_in(app: Flask, listeners: list[hubs.Listener]) -> set[hubs.Listener]:
    """Those listeners whose device, sign-in and account are still good (three short queries
    however many listeners)."""
    devices = {each.device_id for each in listeners if each.device_id is not None}
    sessions = {each.session_id for each in listeners if each.session_id is not None}
    users = {each.user_id for each in listeners}
    with app.app_context():
        try:
            good_devices = set(db.session.scalars(sa.select(Device.id).where(
                Device.id.in_(devices), Device.revoked_at.is_(None)))) if devices else set()
            good_sessions = set(db.session.scalars(sa.select(DeviceSession.id).where(
                DeviceSession.id.in_(sessions), DeviceSession.signed_out_at.is_(None),
                DeviceSession.revoked_at.is_(None)))) if sessions else set()
            active = set(db.session.scalars(sa.select(User.id).where(
                User.id.in_(users), User.active))) if users else set()
        finally:
            db.session.remove()
    return {each for each in listeners
            if each.device_id in good_devices and each.user_id in active
            and (each.session_id is None or each.session_id in good_sessions)}


def stream_frames(app: Flask, hub: hubs.Hub, listener: hubs.Listener, ready_id: int,
                  replay: list[hubs.Event], reset: bool) -> Iterator[bytes]:
    keepalive = float(app.config["STREAM_KEEPALIVE_SECONDS"])
    ends = time.monotonic() + float(app.config["STREAM_MAX_SECONDS"])
    sent = 0
    try:
        yield frame("ready", {"last_event_id": ready_id})
        if reset:
            yield frame("reset", {"last_event_id": ready_id})
        for event in replay:
            sent = event.id
            yield event.frame
        checked = time.monotonic()
        while not listener.dropped and (left := ends - time.monotonic()) > 0:
            try:
                item: hubs.Event | None = listener.queue.get(timeout=min(keepalive, left))
            except queue.Empty:
                item = None
            if time.monotonic() - checked >= keepalive:
                if not hub.in_good_standing(listener, lambda found: signed_in(app, found),
                                            keepalive * STANDING_AGE_PER_KEEPALIVE):
                    return
                checked = time.monotonic()
            if item is None:
                if time.monotonic() < ends:
                    yield KEEPALIVE
            elif item.id > sent:
                sent = item.id
                yield item.frame
    finally:
        hub.unregister(listener)


@blp.route("/stream")
class Stream(MethodView):
    @blp.arguments(StreamQuerySchema, location="query")
    @blp.doc(responses=STREAM_DOC, parameters=[LAST_EVENT_ID_HEADER])
    def get(self, query: dict[str, Any]) -> Response:
        """The live stream of events for the caller (Server-Sent Events)."""
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        resume = _resume_id(query)
        device_id: uuid.UUID | None = g.device.id
        listener = hubs.Listener(role=str(g.actor.role), unit_id=g.unit_id, user_id=g.actor.id,
                                 device_id=device_id, session_id=g.device_session_id)
        # The guard's connection goes back now: a stream must not hold one while it waits
        # (nor while the first stream of a process starts the hub, which reads through its own).
        db.session.remove()
        hub = hubs.hub_of(app)
        ready_id = hub.register(listener)  # before the replay: nothing falls between
        replay: list[hubs.Event] = []
        reset = False
        if resume is not None:
            oldest = hubs.oldest_id(hub.engine)
            # Events between the resume id and the oldest kept were deleted: start afresh.
            reset = oldest is not None and resume < oldest - 1
            if not reset:
                replay = [e for e in hubs.read_after(hub.engine, resume) if listener.wants(e)]
        response = Response(stream_frames(app, hub, listener, ready_id, replay, reset),
                            mimetype="text/event-stream")
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"
        return response


@blp.route("/stream/receipts")
class StreamReceipts(MethodView):
    @blp.arguments(ReceiptsSchema)
    @blp.response(200, ReceiptsAnswerSchema)
    def post(self, body: dict[str, Any]) -> dict[str, int]:
        """Record that the caller's app showed these events (idempotent)."""
        recorded = services.record_stream_receipts(
            db.session(), body["event_ids"], role=str(g.actor.role), unit_id=g.unit_id,
            user_id=g.actor.id, device_id=g.device.id, now=utcnow())
        db.session.commit()
        return {"recorded": recorded}
