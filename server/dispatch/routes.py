"""The dispatch queue: calls not cleared with their recommendation and its reason, and the
dispatcher's acts (assign or override, resolve by phone, decline with a reason code); the
shifts supervisors build."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from server.dispatch import rosters, services
from server.dispatch.schemas import (
    AssignSchema,
    DeclineSchema,
    PhoneResolutionSchema,
    QueueCallSchema,
    QueueSchema,
    ServiceAreaSchema,
    ShiftInSchema,
    ShiftListSchema,
    ShiftQuerySchema,
    ShiftSchema,
)
from server.extensions import db
from server.models_base import utcnow

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1", description="Dispatch")


def _device_id() -> uuid.UUID | None:
    return g.device.id if g.get("device") is not None else None


def _done(call: Any) -> dict[str, Any]:
    db.session.commit()
    return services.queue_item(db.session(), call)


def _call(call_id: uuid.UUID) -> Any:
    return services.get_live_call(db.session(), call_id)


@blp.route("/dispatch/queue")
class Queue(MethodView):
    @blp.response(200, QueueSchema)
    def get(self) -> dict[str, Any]:
        """Calls not cleared, newest first, each with its recommendation and reason."""
        session = db.session()
        return {"items": [services.queue_item(session, c) for c in services.queue(session)]}


@blp.route("/dispatch/calls/<uuid:call_id>/assign")
class Assign(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, QueueCallSchema)
    def post(self, data: dict[str, Any], call_id: uuid.UUID) -> dict[str, Any]:
        """Send a unit (another than the recommended one needs `override_reason`)."""
        call = services.assign(db.session(), g.actor, _device_id(), _call(call_id),
                               data["unit_id"], data["override_reason"])
        return _done(call)


@blp.route("/dispatch/calls/<uuid:call_id>/resolve-by-phone")
class ResolveByPhone(MethodView):
    @blp.arguments(PhoneResolutionSchema)
    @blp.response(200, QueueCallSchema)
    def post(self, data: dict[str, Any], call_id: uuid.UUID) -> dict[str, Any]:
        """Resolved by a diversion clinician on the phone: nobody is sent."""
        call = services.resolve_by_phone(db.session(), g.actor, _device_id(), _call(call_id),
                                         data["note"], utcnow())
        return _done(call)


@blp.route("/dispatch/calls/<uuid:call_id>/decline")
class Decline(MethodView):
    @blp.arguments(DeclineSchema)
    @blp.response(200, QueueCallSchema)
    def post(self, data: dict[str, Any], call_id: uuid.UUID) -> dict[str, Any]:
        """HEART does not take the call: it goes to police or EMS, with the reason code."""
        call = services.decline(db.session(), g.actor, _device_id(), _call(call_id),
                                data["reason_code"], data["note"], utcnow())
        return _done(call)


@blp.route("/shifts")
class Shifts(MethodView):
    @blp.arguments(ShiftQuerySchema, location="query")
    @blp.response(200, ShiftListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Shifts overlapping the window, with their crews."""
        session = db.session()
        found = rosters.list_shifts(session, query["starts_after"], query["ends_before"])
        return {"items": [rosters.shift_to_dict(session, s) for s in found]}

    @blp.arguments(ShiftInSchema)
    @blp.response(201, ShiftSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Put a crew on a unit for a shift (the program's crew rules are enforced)."""
        shift = rosters.create_shift(db.session(), g.actor, _device_id(), data)
        db.session.commit()
        return rosters.shift_to_dict(db.session(), shift)


@blp.route("/service-areas")
class ServiceAreas(MethodView):
    @blp.response(200, ServiceAreaSchema(many=True))
    def get(self) -> list[Any]:
        """The service areas a shift may cover (dispatch's areas)."""
        return rosters.list_service_areas(db.session())


@blp.route("/shifts/<int:shift_id>")
class ShiftById(MethodView):
    @blp.response(204)
    def delete(self, shift_id: int) -> None:
        """Remove a shift that has not started."""
        rosters.delete_shift(db.session(), g.actor, _device_id(), shift_id, utcnow())
        db.session.commit()
