"""The supply catalog (stock management comes with the supplies feature)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from server.extensions import db
from server.supplies import services
from server.supplies.models import SupplyItem
from server.supplies.schemas import SupplyItemSchema

blp = Blueprint("supplies", __name__, url_prefix="/api/v1", description="Supplies")


@blp.route("/supplies/catalog")
class Catalog(MethodView):
    @blp.response(200, SupplyItemSchema(many=True))
    def get(self) -> list[SupplyItem]:
        """Every supply item."""
        return services.list_catalog(db.session())
