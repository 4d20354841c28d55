"""Location history: where each unit was last seen, a unit's track for a day (GeoJSON or
CSV), and the settings tablets record their position by."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from server.extensions import db
from server.locations import services
from server.locations.schemas import FieldSettingsSchema, TrackQuerySchema, UnitPositionSchema

blp = Blueprint("locations", __name__, url_prefix="/api/v1", description="Location history")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEPARTMENT_TIMEZONE"])


@blp.route("/units/positions")
class UnitPositions(MethodView):
    @blp.response(200, UnitPositionSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Each active unit's last known position."""
        return services.unit_positions(db.session())


@blp.route("/units/<int:unit_id>/track")
class UnitTrack(MethodView):
    @blp.arguments(TrackQuerySchema, location="query")
    @blp.response(200, description="GeoJSON FeatureCollection (application/geo+json), or CSV "
                  "with format=csv: unit, time, lat, lon, accuracy_m, time_uncertain")
    def get(self, query: dict[str, Any], unit_id: int) -> Response:
        """A unit's recorded positions for one day of the department's calendar."""
        unit, points = services.unit_track(db.session(), unit_id, query["date"], _zone())
        if query["format"] == "csv":
            name = f"track-{unit.id}-{query['date'].isoformat()}.csv"
            return Response(services.track_csv(unit, points, _zone()), mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        answer = jsonify(services.track_geojson(unit, query["date"], points, _zone()))
        answer.mimetype = "application/geo+json"
        return answer


@blp.route("/settings/field")
class FieldSettings(MethodView):
    @blp.response(200, FieldSettingsSchema)
    def get(self) -> dict[str, Any]:
        """How tablets record their position (interval, accuracy limit, minimum move) and
        when the check-in timer asks a crew on scene."""
        return services.field_settings(current_app.config)
