"""The live stream through the test client: each listener gets the events meant for it, in
order, resumes after Last-Event-ID without a gap, is told to reset past what is kept, and is
cut off when its tablet is revoked; receipts are recorded once."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import orjson
import pytest
from flask import Flask

from server.auth.models import Device, Role, User
from server.extensions import db
from server.models_base import utcnow
from server.stream.audience import Audience
from server.stream.models import Channel, Delivery, StreamEvent
from server.stream.services import publish, register_receipt_hook
from server.units.models import Unit
from tests.fixtures.people import Session

pytestmark = pytest.mark.usefixtures("fast_keepalive")


@pytest.fixture
def fast_keepalive(app: Flask) -> None:
    app.config["STREAM_KEEPALIVE_SECONDS"] = 0.05


def frames(chunks: Iterator[bytes]) -> Iterator[dict[str, Any]]:
    """Parse SSE frames from the response's chunks (one frame per chunk, as the server sends)."""
    for chunk in chunks:
        text = chunk.decode()
        if text.startswith(":"):
            yield {"comment": text.strip(": \n")}
            continue
        frame: dict[str, Any] = {}
        for line in text.strip().split("\n"):
            key, _, value = line.partition(": ")
            frame[key] = orjson.loads(value) if key == "data" else value
        yield frame


def open_stream(session: Session, **headers: str) -> Iterator[dict[str, Any]]:
    answer = session.client.get("/api/v1/stream", headers={**session.headers, **headers},
                                buffered=False)
    assert answer.status_code == 200, answer.get_data()
    assert answer.mimetype == "text/event-stream"
    return frames(iter(answer.response))


def next_event(stream: Iterator[dict[str, Any]]) -> dict[str, Any]:
    for frame in stream:
        if "comment" not in frame:
            return frame
    raise AssertionError("the stream ended")


def announce(type: str, audience: Audience, **payload: Any) -> int:
    event = publish(db.session, type, payload, audience, subject="test")
    db.session.commit()
    return event.id


@pytest.fixture
def units(create_unit: Callable[..., Unit]) -> tuple[Unit, Unit]:
    return create_unit(), create_unit()


@pytest.fixture
def unit_ids(units: tuple[Unit, Unit]) -> tuple[int, int]:
    """The units' ids (the stream releases the database session the test shares)."""
    return units[0].id, units[1].id


def test_a_responder_gets_their_units_events_and_not_another_units(
        signed_in: Callable[..., Session], units: tuple[Unit, Unit],
        unit_ids: tuple[int, int]) -> None:
    responder = signed_in(Role.RESPONDER_CLINICIAN, unit=units[0])
    ours, theirs = unit_ids
    stream = open_stream(responder)
    assert next_event(stream) == {"event": "ready", "data": {"last_event_id": 0}}
    announce("backup.requested", Audience.of(units=[theirs]), note="not for us")
    mine = announce("backup.requested", Audience.of(units=[ours]), note="for us")
    frame = next_event(stream)
    assert frame["id"] == str(mine)
    assert frame["event"] == "backup.requested"
    assert frame["data"]["note"] == "for us"
    assert frame["data"]["event_id"] == mine
    assert "at" in frame["data"]


def test_a_dispatcher_gets_events_for_their_role_and_broadcasts(
        signed_in: Callable[..., Session], unit_ids: tuple[int, int]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    stream = open_stream(dispatcher)
    next_event(stream)
    announce("x.unit", Audience.of(units=[unit_ids[0]]))
    role = announce("x.role", Audience.of(roles=[Role.DISPATCHER]))
    everyone = announce("x.all", Audience.of(everyone=True))
    assert [next_event(stream)["id"], next_event(stream)["id"]] == [str(role), str(everyone)]


def test_a_listener_resuming_after_an_id_gets_what_it_missed_in_order_then_live_events(
        signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    audience = Audience.of(roles=[Role.DISPATCHER])
    first = announce("a", audience)
    missed = [announce("b", audience), announce("c", audience)]
    stream = open_stream(dispatcher, **{"Last-Event-ID": str(first)})
    assert next_event(stream)["data"] == {"last_event_id": missed[-1]}
    assert [int(next_event(stream)["id"]) for _ in missed] == missed
    live = announce("d", audience)
    assert int(next_event(stream)["id"]) == live


def test_the_query_parameter_resumes_too(signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    audience = Audience.of(roles=[Role.DISPATCHER])
    first, second = announce("a", audience), announce("b", audience)
    answer = dispatcher.client.get(f"/api/v1/stream?last_event_id={first}",
                                   headers=dispatcher.headers, buffered=False)
    stream = frames(iter(answer.response))
    next_event(stream)
    assert int(next_event(stream)["id"]) == second


def test_resuming_from_before_what_is_kept_is_told_to_reset(
        signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    audience = Audience.of(roles=[Role.DISPATCHER])
    ids = [announce("a", audience) for _ in range(3)]
    db.session.query(StreamEvent).filter(StreamEvent.id < ids[-1]).delete()
    db.session.commit()
    stream = open_stream(dispatcher, **{"Last-Event-ID": "0"})
    next_event(stream)
    assert next_event(stream)["event"] == "reset"


def test_keepalive_comments_flow_while_nothing_happens(signed_in: Callable[..., Session]) -> None:
    stream = open_stream(signed_in(Role.DISPATCHER))
    next(stream)
    assert next(stream) == {"comment": "keepalive"}


def test_revoking_the_tablet_ends_its_stream(app: Flask, signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    stream = open_stream(dispatcher)
    next(stream)
    device = db.session.get(Device, uuid.UUID(dispatcher.device_id))
    assert device is not None
    device.revoked_at = utcnow()
    db.session.commit()
    assert all("comment" in frame for frame in stream)  # ends after keepalives at most


def test_only_the_revoked_tablets_stream_ends_the_others_go_on(
        signed_in: Callable[..., Session]) -> None:
    revoked, kept = signed_in(Role.DISPATCHER), signed_in(Role.SUPERVISOR)
    revoked_stream, kept_stream = open_stream(revoked), open_stream(kept)
    next(revoked_stream), next(kept_stream)
    device = db.session.get(Device, uuid.UUID(revoked.device_id))
    assert device is not None
    device.revoked_at = utcnow()
    db.session.commit()
    assert all("comment" in frame for frame in revoked_stream)
    event_id = announce("backup.requested", Audience.of(roles=["supervisor"]), note="still here")
    assert next_event(kept_stream)["id"] == str(event_id)


def test_signing_out_ends_the_stream(signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    stream = open_stream(dispatcher)
    next(stream)
    answer = dispatcher.client.post("/api/v1/auth/logout", headers=dispatcher.headers)
    assert answer.status_code in (200, 204), answer.get_data()
    assert all("comment" in frame for frame in stream)


def test_a_deactivated_account_ends_its_stream(signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    stream = open_stream(dispatcher)
    next(stream)
    user = db.session.get(User, dispatcher.user.id)
    assert user is not None
    user.active = False
    db.session.commit()
    assert all("comment" in frame for frame in stream)


def test_a_stream_ends_after_its_lifetime_and_the_resume_misses_nothing(
        app: Flask, signed_in: Callable[..., Session]) -> None:
    app.config["STREAM_MAX_SECONDS"] = 0.2
    dispatcher = signed_in(Role.DISPATCHER)
    audience = Audience.of(roles=[Role.DISPATCHER])
    stream = open_stream(dispatcher)
    next_event(stream)
    first = announce("a", audience)
    assert int(next_event(stream)["id"]) == first
    assert all("comment" in frame for frame in stream)  # it ends
    between = announce("b", audience)
    resumed = open_stream(dispatcher, **{"Last-Event-ID": str(first)})
    next_event(resumed)
    assert int(next_event(resumed)["id"]) == between


def test_no_token_is_refused(client: Any) -> None:
    answer = client.get("/api/v1/stream")
    assert answer.status_code == 401


def test_a_bad_last_event_id_is_refused_naming_it(signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    answer = dispatcher.client.get("/api/v1/stream", headers={**dispatcher.headers,
                                                              "Last-Event-ID": "soon"})
    assert answer.status_code == 422
    assert "Last-Event-ID" in answer.json["errors"]["headers"]
    answer = dispatcher.get("/api/v1/stream?last_event_id=-1")
    assert answer.status_code == 422
    assert "last_event_id" in answer.json["errors"]["query"]


def test_the_stream_is_neither_cached_nor_compressed(signed_in: Callable[..., Session]) -> None:
    dispatcher = signed_in(Role.DISPATCHER)
    answer = dispatcher.client.get("/api/v1/stream", buffered=False, headers={
        **dispatcher.headers, "Accept-Encoding": "gzip, br, zstd, deflate"})
    assert answer.headers["Cache-Control"] in {"no-cache", "no-store"}  # never kept by a cache
    assert answer.headers["X-Accel-Buffering"] == "no"
    assert "Content-Encoding" not in answer.headers
    answer.close()


def test_receipts_are_recorded_once_for_the_events_meant_for_the_caller(
        app: Flask, signed_in: Callable[..., Session], units: tuple[Unit, Unit]) -> None:
    seen: list[list[int]] = []
    register_receipt_hook(app, lambda _s, events: seen.append([e.id for e in events]))
    responder = signed_in(Role.RESPONDER_CLINICIAN, unit=units[0])
    mine = announce("a", Audience.of(units=[units[0].id]))
    other = announce("b", Audience.of(units=[units[1].id]))
    for _ in range(2):
        answer = responder.post("/api/v1/stream/receipts", json={"event_ids": [mine, other]})
        assert answer.status_code == 200
        assert answer.json == {"recorded": 1}
    assert seen == [[mine]]
    rows = db.session.query(Delivery).all()
    assert [(r.event_id, r.channel, r.user_id) for r in rows] == [(mine, Channel.STREAM,
                                                                   responder.user.id)]


@pytest.mark.parametrize("body", [{}, {"event_ids": []}, {"event_ids": ["x"]},
                                  {"event_ids": list(range(1, 102))}, {"event_ids": [0]}])
def test_bad_receipts_are_refused_naming_the_field(signed_in: Callable[..., Session],
                                                   body: dict[str, Any]) -> None:
    answer = signed_in(Role.DISPATCHER).post("/api/v1/stream/receipts", json=body)
    assert answer.status_code == 422
    assert "event_ids" in answer.json["errors"]["json"]


def test_the_retention_job_deletes_old_events_and_their_deliveries(
        app: Flask, signed_in: Callable[..., Session]) -> None:
    from server.stream.services import delete_old_events

    responder = signed_in(Role.DISPATCHER)
    old = announce("a", Audience.of(everyone=True))
    kept = announce("b", Audience.of(everyone=True))
    responder.post("/api/v1/stream/receipts", json={"event_ids": [old, kept]})
    event = db.session.get(StreamEvent, old)
    assert event is not None
    event.at = utcnow() - timedelta(days=app.config["STREAM_RETENTION_DAYS"] + 1)
    db.session.commit()
    summary = delete_old_events(db.session, utcnow(), app.config)
    db.session.commit()
    assert (summary["events"], summary["deliveries"]) == (1, 1)
    assert [e.id for e in db.session.query(StreamEvent)] == [kept]
