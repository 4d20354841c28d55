"""The check-in timer: a crew on scene too long is prompted once per window, a check-in
starts a new window, and a prompt left unanswered raises one backup request."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask

from server.auth.models import Role, User
from server.backups.checkins import sweep_checkins
from server.backups.models import CheckinAnswer
from server.backups.services import escalate_due
from server.calls.models import Call
from server.extensions import db
from server.models_base import utcnow
from server.stream.audience import Audience
from server.units.models import Unit
from tests.fixtures.backups import published, put_on_scene
from tests.fixtures.people import Session


def _sweep(app: Flask, at: datetime) -> dict[str, int]:
    summary = sweep_checkins(db.session(), at, app.config)
    db.session.commit()
    return summary


def _scene(create_unit: Callable[..., Unit], create_call: Callable[..., Call],
           signed_in: Callable[..., Session], minutes_ago: float) -> tuple[Session, Call]:
    unit = create_unit()
    tablet = signed_in(Role.RESPONDER_EMT, unit=unit)
    call = create_call(unit)
    put_on_scene(call, minutes_ago)
    return tablet, call


def test_a_crew_long_on_scene_is_prompted_once_per_window(
        app: Flask, create_unit: Callable[..., Unit], create_call: Callable[..., Call],
        signed_in: Callable[..., Session]) -> None:
    _, call = _scene(create_unit, create_call, signed_in, minutes_ago=19)
    now = utcnow()
    assert _sweep(app, now) == {"prompted": 0, "raised": 0}
    later = now + timedelta(minutes=2)
    assert _sweep(app, later) == {"prompted": 1, "raised": 0}
    assert _sweep(app, later + timedelta(seconds=5)) == {"prompted": 0, "raised": 0}
    [due] = published("checkin.due")
    assert due.audience == Audience.of(units=[call.unit_id or 0]).to_json()
    assert due.payload["call_id"] == str(call.id)
    assert due.payload["cad_number"] == call.cad_number
    overdue = signed_in(Role.DISPATCHER).get("/api/v1/checkins/overdue").json["items"]
    assert [i["call_id"] for i in overdue] == []  # by the server's clock it is not yet due


def test_a_check_in_starts_a_new_window(
        app: Flask, create_unit: Callable[..., Unit], create_call: Callable[..., Call],
        signed_in: Callable[..., Session]) -> None:
    tablet, call = _scene(create_unit, create_call, signed_in, minutes_ago=25)
    dispatcher = signed_in(Role.DISPATCHER)
    [item] = dispatcher.get("/api/v1/checkins/overdue").json["items"]
    assert (item["call_id"], item["prompted_at"]) == (str(call.id), None)
    assert _sweep(app, utcnow())["prompted"] == 1
    body = {"id": str(uuid.uuid4()), "call_id": str(call.id), "device_time": utcnow().isoformat()}
    first, again = tablet.post("/api/v1/checkins", body), tablet.post("/api/v1/checkins", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert dispatcher.get("/api/v1/checkins/overdue").json["items"] == []
    # The answered window raises nothing; the next one is 20 minutes from the check-in.
    assert _sweep(app, utcnow() + timedelta(minutes=10)) == {"prompted": 0, "raised": 0}
    assert _sweep(app, utcnow() + timedelta(minutes=21))["prompted"] == 1


def test_a_missed_check_in_raises_one_backup_request_that_escalates(
        app: Flask, create_unit: Callable[..., Unit], create_call: Callable[..., Call],
        signed_in: Callable[..., Session]) -> None:
    _, call = _scene(create_unit, create_call, signed_in, minutes_ago=25)
    now = utcnow()
    _sweep(app, now)
    assert _sweep(app, now + timedelta(seconds=179))["raised"] == 0
    assert _sweep(app, now + timedelta(seconds=180))["raised"] == 1
    assert _sweep(app, now + timedelta(seconds=240)) == {"prompted": 0, "raised": 0}
    [raised] = published("backup.requested")
    assert raised.payload["origin"] == "check_in"
    assert raised.payload["urgency"] == "team"
    assert raised.payload["call_id"] == str(call.id)
    assert raised.payload["requested_by"] is None
    overdue = signed_in(Role.SUPERVISOR).get("/api/v1/checkins/overdue").json["items"]
    assert [i["backup_id"] for i in overdue] == [raised.payload["id"]]
    fired = escalate_due(db.session(), now + timedelta(hours=1), app.config)["fired"]
    assert fired == [f"{raised.payload['id']}:re_alert"]


def test_a_check_in_is_for_the_units_own_call_on_scene(
        app: Flask, create_unit: Callable[..., Unit], create_call: Callable[..., Call],
        signed_in: Callable[..., Session]) -> None:
    tablet, _ = _scene(create_unit, create_call, signed_in, minutes_ago=5)
    _, theirs = _scene(create_unit, create_call, signed_in, minutes_ago=5)
    body = {"id": str(uuid.uuid4()), "call_id": str(theirs.id), "device_time": utcnow().isoformat()}
    answer = tablet.post("/api/v1/checkins", body)
    assert answer.status_code == 422
    assert "call_id" in answer.json["errors"]["json"]
    assert signed_in(Role.DISPATCHER).post("/api/v1/checkins", body).status_code == 403
    assert tablet.get("/api/v1/checkins/overdue").status_code == 403


def test_field_settings_carry_the_check_in_timer(signed_in: Callable[..., Session]) -> None:
    settings = signed_in(Role.RESPONDER_PEER).get("/api/v1/settings/field").json
    assert settings["checkin"] == {"after_minutes": 20, "after_minutes_by_call_type": {},
                                   "grace_seconds": 180}


def test_a_check_in_tapped_by_one_of_the_crew_and_sent_by_another_is_the_tappers(
        create_unit: Callable[..., Unit], create_call: Callable[..., Call],
        create_user: Callable[..., User], sign_in: Callable[..., Session]) -> None:
    unit = create_unit()
    emt, peer = create_user(Role.RESPONDER_EMT, unit=unit), create_user(Role.RESPONDER_PEER, unit=unit)
    outsider = create_user(Role.RESPONDER_EMT, unit=create_unit())
    tablet = sign_in(emt)
    as_peer = sign_in(peer, device_id=tablet.device_id)
    call = create_call(unit)
    put_on_scene(call, minutes_ago=25)

    def answer(named: int) -> int | None:
        body = {"id": str(uuid.uuid4()), "call_id": str(call.id),
                "device_time": utcnow().isoformat(), "answered_by": named}
        sent = as_peer.post("/api/v1/checkins", body)
        assert sent.status_code == 201, sent.json
        db.session.expire_all()
        found = db.session.get(CheckinAnswer, uuid.UUID(body["id"]))
        return found.user_id if found else None

    assert answer(emt.id) == emt.id
    assert answer(outsider.id) == peer.id  # not on this tablet nor the crew: the sender's
