"""Call types with their eligibility (editable data), and calls for dispatch."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from server.calls import schemas, services
from server.calls.models import Call, CallType
from server.extensions import db

blp = Blueprint("calls", __name__, url_prefix="/api/v1", description="Call types and calls")

# Flask's int converter is unbounded; SQLite overflows past 2^31-1 into a server error.
CALL_TYPE_ID = "<int(min=1, max=2147483647):call_type_id>"


@blp.route("/call-types")
class CallTypes(MethodView):
    @blp.response(200, schemas.CallTypeSchema(many=True))
    def get(self) -> list[CallType]:
        """Call types and the programs eligible for each, in order of preference."""
        return services.list_call_types(db.session())

    @blp.arguments(schemas.CallTypeSchema)
    @blp.response(201, schemas.CallTypeSchema)
    def post(self, data: dict[str, Any]) -> CallType:
        """Add a call type with its eligibility."""
        call_type = services.create_call_type(db.session(), g.actor, data)
        db.session.commit()
        return call_type


@blp.route(f"/call-types/{CALL_TYPE_ID}")
class CallTypeById(MethodView):
    @blp.response(200, schemas.CallTypeSchema)
    def get(self, call_type_id: int) -> CallType:
        """One call type."""
        return services.get_call_type(db.session(), call_type_id)

    @blp.arguments(schemas.CallTypePatchSchema)
    @blp.response(200, schemas.CallTypeSchema)
    def patch(self, data: dict[str, Any], call_type_id: int) -> CallType:
        """Edit a call type or its eligibility."""
        call_type = services.get_call_type(db.session(), call_type_id)
        services.update_call_type(db.session(), g.actor, call_type, data)
        db.session.commit()
        return call_type


@blp.route("/calls")
class Calls(MethodView):
    @blp.arguments(schemas.CallQuerySchema, location="query")
    @blp.response(200, schemas.CallSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Open and recent calls, by priority."""
        stmt = services.list_calls(db.session(), query)
        pagination_parameters.item_count = db.session.scalar(
            sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
        size = pagination_parameters.page_size
        page = db.session.scalars(stmt.offset((pagination_parameters.page - 1) * size).limit(size))
        return [services.call_to_dict(call) for call in page]

    @blp.arguments(schemas.NewCallSchema)
    @blp.response(201, schemas.CallDetailSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Take a call in (and assign it when unit_id is given)."""
        call = services.create_call(db.session(), g.actor, data, g.device.id)
        db.session.commit()
        return services.call_detail(db.session(), call)


@blp.route("/calls/<uuid:call_id>")
class CallById(MethodView):
    def _load(self, call_id: uuid.UUID, for_update: bool = False) -> Call:
        # The guard's unit scope (on shift now, else the tablet's unit while on its crew), as sync.
        unit_id = g.unit_id if g.actor.is_field_responder else None
        return services.get_call_for(db.session(), g.actor, unit_id, call_id,
                                     for_update=for_update)

    @blp.response(200, schemas.CallDetailSchema)
    def get(self, call_id: uuid.UUID) -> dict[str, Any]:
        """A call with premise history, hazards, status events and notes."""
        return services.call_detail(db.session(), self._load(call_id))

    @blp.arguments(schemas.CallPatchSchema)
    @blp.response(200, schemas.CallDetailSchema)
    def patch(self, data: dict[str, Any], call_id: uuid.UUID) -> dict[str, Any]:
        """Assign, reassign or edit a call."""
        call = services.update_call(db.session(), g.actor, g.device.id,
                                    self._load(call_id, for_update=True), data)
        db.session.commit()
        return services.call_detail(db.session(), call)

    @blp.response(204)
    def delete(self, call_id: uuid.UUID) -> None:
        """Cancel a call (the tablets receive a delete)."""
        services.delete_call(db.session(), g.actor, self._load(call_id, for_update=True),
                             g.device.id)
        db.session.commit()
