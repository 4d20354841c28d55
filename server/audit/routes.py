"""Reading the audit trail (supervisors and admins; its clinical content for supervisors)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from server.audit import services
from server.audit.schemas import AuditEntrySchema, AuditQuerySchema
from server.extensions import db

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit trail")


@blp.route("/audit")
class AuditLog(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Changes to clinical records, newest first."""
        entries, pagination_parameters.item_count = services.list_audit(
            db.session(), g.actor, query, pagination_parameters.page,
            pagination_parameters.page_size)
        return entries
