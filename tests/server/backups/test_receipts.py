"""A request's count of people reached grows with delivered receipts, and the requesting
unit hears of it each time it grows."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from server.auth.models import Role, User
from server.backups.models import BackupRequest
from server.extensions import db
from server.models_base import utcnow
from server.stream.audience import Audience
from server.stream.models import Channel, Delivery, DeliveryStatus
from server.stream.services import run_receipt_hooks
from tests.fixtures.backups import backup_body, published, unit_of
from tests.fixtures.people import Session


def test_delivered_receipts_count_people_once_and_tell_the_requesting_unit(
        crew: Callable[..., Session], create_user: Callable[..., User]) -> None:
    tablet = crew()
    request = tablet.post("/api/v1/backups", backup_body()).json
    [event] = published("backup.requested")
    dispatcher = create_user(Role.DISPATCHER)
    for channel, target in ((Channel.STREAM, ""), (Channel.WEB_PUSH, "https://push.example/1")):
        db.session.add(Delivery(event_id=event.id, channel=channel, user_id=dispatcher.id,
                                target=target, status=DeliveryStatus.DELIVERED,
                                delivered_at=utcnow()))
    run_receipt_hooks(db.session(), [event])
    run_receipt_hooks(db.session(), [event])  # the same receipts again: no growth
    db.session.commit()
    stored = db.session.get(BackupRequest, uuid.UUID(request["id"]))
    assert stored is not None
    assert stored.delivered_to == 1
    [delivered] = published("backup.delivered")
    assert delivered.audience == Audience.of(units=[unit_of(tablet)]).to_json()
    assert delivered.payload["delivered_to"] == 1
    assert tablet.get(f"/api/v1/backups/{request['id']}").json["delivered_to"] == 1
