"""An unanswered request widens tier by tier, each tier once, and is broadcast once when the
tiers run out; an acknowledgement stops it. Driven with an explicit `now`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask

from server.auth.models import Role
from server.backups.models import BackupRequest
from server.backups.services import escalate_due
from server.extensions import db
from server.stream.audience import Audience
from tests.fixtures.backups import EIGHT_KM_AWAY, backup_body, published, unit_of
from tests.fixtures.people import Session

Crew = Callable[..., Session]


def _sweep(app: Flask, at: datetime) -> list[str]:
    fired: list[str] = escalate_due(db.session(), at, app.config)["fired"]
    db.session.commit()
    return fired


def _received(request_id: str) -> datetime:
    request = db.session.get(BackupRequest, uuid.UUID(request_id))
    assert request is not None
    return request.received_at


def test_an_unacknowledged_request_escalates_once_per_tier_then_broadcasts_once(
        app: Flask, crew: Crew, create_user: Callable[..., object]) -> None:
    tablet, far = crew(), crew(EIGHT_KM_AWAY)
    supervisor = create_user(Role.SUPERVISOR)
    request = tablet.post("/api/v1/backups", backup_body()).json
    start = _received(request["id"])
    assert _sweep(app, start + timedelta(seconds=59)) == []
    # Each tier waits its own timeout from when it fired: 60, 60, 60, 90, 120 seconds.
    at = start
    for wait, name in ((60, "re_alert"), (60, "wider_radius"), (60, "supervisor_on_call"),
                       (90, "all_units"), (120, "broadcast")):
        at += timedelta(seconds=wait)
        assert _sweep(app, at) == [f"{request['id']}:{name}"]
        assert _sweep(app, at) == []  # the same sweep again fires nothing
    assert _sweep(app, at + timedelta(hours=1)) == []
    escalated = published("backup.escalated", f"backup:{request['id']}")
    assert [(e.payload["tier"], e.payload["tier_name"]) for e in escalated] == [
        (1, "re_alert"), (2, "wider_radius"), (3, "supervisor_on_call"), (4, "all_units")]
    audiences = [Audience.from_json(e.audience) for e in escalated]
    assert unit_of(far) not in audiences[0].units
    assert unit_of(far) in audiences[1].units  # the wider radius reaches 8 km
    assert audiences[2].users == {supervisor.id}  # type: ignore[attr-defined]
    [broadcast] = published("backup.broadcast")
    assert broadcast.audience == Audience.of(everyone=True).to_json()
    assert broadcast.payload["broadcast_at"] is not None
    assert broadcast.payload["next_escalation_at"] is None
    detail = tablet.get(f"/api/v1/backups/{request['id']}").json
    assert [e["type"] for e in detail["events"]] == ["requested"] + ["escalated"] * 4 + [
        "broadcast"]


def test_an_acknowledged_request_escalates_no_further(
        app: Flask, crew: Crew, signed_in: Callable[..., Session]) -> None:
    request = crew().post("/api/v1/backups", backup_body()).json
    start = _received(request["id"])
    assert len(_sweep(app, start + timedelta(seconds=60))) == 1
    signed_in(Role.DISPATCHER).post(f"/api/v1/backups/{request['id']}/acknowledge", {})
    assert _sweep(app, start + timedelta(hours=1)) == []
    assert len(published("backup.escalated")) == 1
    assert published("backup.broadcast") == []


def test_a_cancelled_request_escalates_no_further(app: Flask, crew: Crew) -> None:
    tablet = crew()
    request = tablet.post("/api/v1/backups", backup_body()).json
    tablet.post(f"/api/v1/backups/{request['id']}/cancel", {"reason": "Pressed by mistake"})
    assert _sweep(app, _received(request["id"]) + timedelta(hours=1)) == []


def test_supervisors_on_call_are_those_on_shift_when_any_are(
        app: Flask, crew: Crew, create_user: Callable[..., object],
        create_unit: Callable[..., object]) -> None:
    create_user(Role.SUPERVISOR)
    on_shift = create_user(Role.SUPERVISOR, unit=create_unit())
    request = crew().post("/api/v1/backups", backup_body()).json
    at = _received(request["id"])
    for wait in (60, 60, 60):
        at += timedelta(seconds=wait)
        _sweep(app, at)
    [third] = [e for e in published("backup.escalated") if e.payload["tier"] == 3]
    assert Audience.from_json(third.audience).users == {on_shift.id}  # type: ignore[attr-defined]
