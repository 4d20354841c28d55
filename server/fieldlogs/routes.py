"""The supervisor's debrief queue and review of flagged field logs, and the program's field-log
aggregates (counts only)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from server.extensions import db
from server.fieldlogs import services
from server.fieldlogs.models import DebriefRequest
from server.fieldlogs.schemas import (
    DebriefDoneSchema,
    DebriefQuerySchema,
    DebriefSchema,
    FlaggedSchema,
    HarmReductionSummarySchema,
    PeriodQuerySchema,
    SurveySummaryQuerySchema,
    SurveySummarySchema,
)

blp = Blueprint("fieldlogs", __name__, url_prefix="/api/v1",
                description="Field logs: debriefs and program aggregates")


@blp.route("/debriefs")
class Debriefs(MethodView):
    @blp.arguments(DebriefQuerySchema, location="query")
    @blp.response(200, DebriefSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Calls a responder asked to debrief, oldest first."""
        return services.list_debriefs(db.session(), g.actor, query["state"])


@blp.route("/debriefs/<uuid:debrief_id>/done")
class DebriefDone(MethodView):
    @blp.arguments(DebriefDoneSchema)
    @blp.response(200, DebriefSchema)
    @blp.alt_response(409, description="The debrief is already done")
    def post(self, data: dict[str, Any], debrief_id: uuid.UUID) -> dict[str, Any]:
        """The supervisor talked the call through with the responder."""
        debrief: DebriefRequest = services.finish_debrief(db.session(), g.actor, debrief_id,
                                                          data["note"])
        db.session.commit()
        return services.debrief_to_dict(db.session(), g.actor, debrief)


@blp.route("/field-logs/flagged")
class FlaggedFieldLogs(MethodView):
    @blp.response(200, FlaggedSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Entries and surveys kept though their call is not their unit's, newest first."""
        return services.list_flagged(db.session())


@blp.route("/surveys/summary")
class SurveySummary(MethodView):
    @blp.arguments(SurveySummaryQuerySchema, location="query")
    @blp.response(200, SurveySummarySchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Post-call survey answers counted over a period (no survey, call or person)."""
        return services.survey_summary(db.session(), query["since"], query["until"],
                                       query["unit_id"])


@blp.route("/harm-reduction/summary")
class HarmReductionSummary(MethodView):
    @blp.arguments(PeriodQuerySchema, location="query")
    @blp.response(200, HarmReductionSummarySchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Naloxone administered and supplies given, counted over a period."""
        return services.harm_reduction_summary(db.session(), query["since"], query["until"])
