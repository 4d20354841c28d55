"""The CAD's interface (POST /cad/calls, with an integration's key) and the review list of
CAD call types that map to none of ours."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from server.auth import permissions
from server.cad import services
from server.cad.records import CadCall
from server.cad.schemas import (
    CadCallAnswerSchema,
    CadCallInSchema,
    CadCodeListSchema,
    CadCodeMappedSchema,
    CadCodeMapSchema,
)
from server.dispatch import services as dispatch
from server.extensions import db
from server.models_base import utcnow

blp = Blueprint("cad", __name__, url_prefix="/api/v1", description="CAD intake")

# The header a CAD integration sends its key in (not Authorization: no person signs in).
CAD_KEY_HEADER = "X-CAD-Key"

CAD_KEY = {"in": "header", "name": CAD_KEY_HEADER, "required": True, "schema": {"type": "string"},
           "description": "The integration's key (`flask cad-integration NAME` makes one)."}


@blp.before_request
def require_integration() -> None:
    """The CAD's routes (permissions.CAD_INTEGRATION) take an active integration's key; the
    request guard has let them through without a person's sign-in."""
    if permissions.rule_for(request.endpoint, request.method) != permissions.CAD_INTEGRATION:
        return
    integration = services.integration_for_key(db.session(), request.headers.get(CAD_KEY_HEADER))
    if integration is None:
        abort(401, message=f"A CAD integration's key is needed in {CAD_KEY_HEADER}.",
              action="configure")
    assert integration is not None
    if services.mark_used(integration, utcnow()):
        db.session.commit()  # the mark alone, at most once a minute, as for devices
    g.integration = integration


@blp.route("/cad/calls")
class CadCalls(MethodView):
    @blp.arguments(CadCallInSchema)
    @blp.response(201, CadCallAnswerSchema)
    @blp.alt_response(200, schema=CadCallAnswerSchema,
                      description="The incident is known: updated, unchanged, or closed")
    @blp.doc(parameters=[CAD_KEY], security=[])
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """A call from the CAD, stored once by incident number and triaged."""
        now = utcnow()
        session = db.session()
        intake = services.start_intake(session, now, "cad")
        call, outcome = services.ingest(session, intake, CadCall(**data), now)
        if outcome in (services.Outcome.CREATED, services.Outcome.UPDATED):
            created = outcome is services.Outcome.CREATED
            dispatch.announce(session, "call.received" if created else "call.updated", call)
        session.commit()
        item = dispatch.queue_item(session, call)
        return ({"id": call.id, "incident_number": call.cad_number, "outcome": outcome.value,
                 "eligible": item["eligible"], "unmapped": item["unmapped"],
                 "recommendation": item["recommendation"]},
                201 if outcome is services.Outcome.CREATED else 200)


@blp.route("/cad/call-types/unmapped")
class UnmappedCallTypes(MethodView):
    @blp.response(200, CadCodeListSchema)
    def get(self) -> dict[str, Any]:
        """CAD call-type codes that map to none of ours, most seen first."""
        return {"items": services.unmapped_codes(db.session())}


@blp.route("/cad/call-types/<int:map_id>")
class CallTypeMapping(MethodView):
    @blp.arguments(CadCodeMapSchema)
    @blp.response(200, CadCodeMappedSchema)
    def put(self, data: dict[str, Any], map_id: int) -> dict[str, Any]:
        """Map a CAD code to one of our call types; its open calls are triaged again."""
        row, moved = services.map_code(db.session(), g.actor, map_id, data["call_type"], utcnow())
        db.session.commit()
        return {"id": row.id, "cad_code": row.cad_code, "call_type": data["call_type"],
                "calls_moved": moved}
