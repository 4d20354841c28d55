"""The program lead's indicators: the list with their definitions, and each one by period as
JSON or CSV (GET /api/v1/indicators/<id>?format=csv, or /api/v1/indicators/<id>.csv); and
the baseline report of a historical CAD import (/api/v1/indicators/baseline, and .csv)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from server.extensions import db
from server.indicators import services
from server.indicators.baseline import Range, baseline_csv, baseline_report
from server.indicators.definitions import INDICATOR_IDS
from server.indicators.schemas import (
    DEFAULT_RANGE_DAYS,
    AreaSchema,
    BaselineQuerySchema,
    BaselineSchema,
    DefinitionSchema,
    IndicatorQuerySchema,
    IndicatorSchema,
)
from server.models_base import utcnow

blp = Blueprint("indicators", __name__, url_prefix="/api/v1",
                description="The program's indicators (aggregates only)")
IDS = ", ".join(INDICATOR_IDS)


def _filters(query: dict[str, Any]) -> services.Filters:
    zone = ZoneInfo(current_app.config["DEPARTMENT_TIMEZONE"])
    end = query["end"] or (query["start"] + timedelta(days=DEFAULT_RANGE_DAYS - 1)
                           if query["start"] else utcnow().astimezone(zone).date())
    start = query["start"] or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    return services.Filters(query["period"], start, end, zone, query["call_type"], query["area"],
                            query["program"])


def _answer(indicator_id: str, query: dict[str, Any], csv: bool) -> Any:
    config = current_app.config
    answer = services.compute_indicator(db.session(), indicator_id, _filters(query),
                                        config["INDICATOR_OFFICER_MINUTES"],
                                        config["INDICATOR_OFFICER_MINUTES_DEFAULT"])
    if not csv:
        return answer
    name = f"{indicator_id}-{answer['filters']['start']}-{answer['filters']['end']}.csv"
    return Response(services.to_csv(answer), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/indicators")
class Indicators(MethodView):
    @blp.response(200, DefinitionSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every indicator's id, title and definition."""
        return [services.describe(i) for i in INDICATOR_IDS]


@blp.route("/indicators/areas")
class IndicatorAreas(MethodView):
    @blp.response(200, AreaSchema(many=True))
    def get(self) -> list[Any]:
        """The service areas the indicators can be filtered by (the area filter's ids)."""
        return services.list_areas(db.session())


@blp.route(f"/indicators/<any({IDS}):indicator_id>")
class IndicatorById(MethodView):
    @blp.arguments(IndicatorQuerySchema, location="query")
    @blp.response(200, IndicatorSchema, description="The indicator as JSON, or as text/csv "
                  "with format=csv (counts from 1 to 4 shown as <5)")
    def get(self, query: dict[str, Any], indicator_id: str) -> Any:
        """One indicator by period and group, with its definition."""
        return _answer(indicator_id, query, query["format"] == "csv")


@blp.route(f"/indicators/<any({IDS}):indicator_id>.csv")
class IndicatorCsv(MethodView):
    @blp.arguments(IndicatorQuerySchema, location="query")
    @blp.response(200, description="text/csv: period, the groups, the measures; counts from "
                  "1 to 4 shown as <5, what is computed from them left empty")
    def get(self, query: dict[str, Any], indicator_id: str) -> Response:
        """One indicator as CSV, small cells suppressed."""
        answer: Response = _answer(indicator_id, query, csv=True)
        return answer


def _baseline(query: dict[str, Any]) -> dict[str, Any]:
    zone = ZoneInfo(current_app.config["DEPARTMENT_TIMEZONE"])
    return baseline_report(db.session(), Range(query["start"], query["end"], zone))


@blp.route("/indicators/baseline")
class Baseline(MethodView):
    @blp.arguments(BaselineQuerySchema, location="query")
    @blp.response(200, BaselineSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The share of imported CAD calls eligible for HEART: in all, by call type, by hour
        of the week."""
        return _baseline(query)


@blp.route("/indicators/baseline.csv")
class BaselineCsv(MethodView):
    @blp.arguments(BaselineQuerySchema, location="query")
    @blp.response(200, description="text/csv: breakdown, call_type, weekday, hour, calls, "
                  "eligible, eligible_share; counts from 1 to 4 shown as <5")
    def get(self, query: dict[str, Any]) -> Response:
        """The baseline report as CSV, small cells suppressed."""
        return Response(baseline_csv(_baseline(query)), mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="baseline-report.csv"'})
