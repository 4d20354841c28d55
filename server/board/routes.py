"""The supervisor's board: units, premises and the basemap the map draws."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from server.board import services
from server.board.schemas import BoardPremiseSchema, BoardUnitSchema
from server.errors import not_found
from server.extensions import db
from server.models_base import utcnow

blp = Blueprint("board", __name__, url_prefix="/api/v1/board", description="Supervisor's board")


@blp.route("/units")
class BoardUnits(MethodView):
    @blp.response(200, BoardUnitSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every active unit: status, current call, crew on shift now, last position."""
        return services.board_units(db.session(), utcnow())


@blp.route("/premises")
class BoardPremises(MethodView):
    @blp.response(200, BoardPremiseSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Premises of open calls and premises with active hazards."""
        return services.board_premises(db.session())


@blp.route("/basemap")
class BoardBasemap(MethodView):
    @blp.response(200, description="GeoJSON FeatureCollection (application/geo+json); 404 "
                  "when no basemap is configured or the file was refused")
    def get(self) -> Response:
        """The streets and districts drawn under the board's map, from BASEMAP_PATH."""
        path = current_app.config.get("BASEMAP_PATH")
        cache = current_app.extensions.setdefault("board_basemap", {})
        basemap = path and services.cached_basemap(
            cache, path, current_app.config["BASEMAP_MAX_BYTES"])
        if not basemap:
            raise not_found("basemap")
        answer = Response(basemap.body, mimetype="application/geo+json")
        answer.set_etag(basemap.etag)
        answer.cache_control.no_cache = True
        answer.make_conditional(request)
        return answer
