"""Units and their crews on shift."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from server.extensions import db
from server.units import services
from server.units.schemas import UnitSchema

blp = Blueprint("units", __name__, url_prefix="/api/v1", description="Units and shifts")


@blp.route("/units")
class Units(MethodView):
    @blp.response(200, UnitSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every unit, whether it is on shift now, and its crew."""
        return services.list_units_on_shift(db.session())
