"""The disposition list: everyone reads it (the tablets keep it offline), an admin edits it."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from server.dispositions import services
from server.dispositions.models import Disposition
from server.dispositions.schemas import DispositionPatchSchema, DispositionSchema
from server.extensions import db

blp = Blueprint("dispositions", __name__, url_prefix="/api/v1",
                description="How calls end: the list a crew chooses from")

DISPOSITION_ID = "<int(min=1, max=2147483647):disposition_id>"


@blp.route("/dispositions")
class Dispositions(MethodView):
    @blp.response(200, DispositionSchema(many=True))
    def get(self) -> list[Disposition]:
        """Every entry, active or not, in the order shown."""
        return services.list_dispositions(db.session())

    @blp.arguments(DispositionSchema)
    @blp.response(201, DispositionSchema)
    def post(self, data: dict[str, Any]) -> Disposition:
        """Add an entry to the list."""
        entry = services.create_disposition(db.session(), g.actor, data)
        db.session.commit()
        return entry


@blp.route(f"/dispositions/{DISPOSITION_ID}")
class DispositionById(MethodView):
    @blp.arguments(DispositionPatchSchema)
    @blp.response(200, DispositionSchema)
    def patch(self, data: dict[str, Any], disposition_id: int) -> Disposition:
        """Relabel, reorder, retire or bring back an entry (its code stays)."""
        entry = services.get_disposition(db.session(), disposition_id)
        services.update_disposition(db.session(), g.actor, entry, data)
        db.session.commit()
        return entry
