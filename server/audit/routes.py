"""Reading the audit trail (supervisors and admins)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from server.audit.models import AuditEntry
from server.audit.schemas import AuditEntrySchema, AuditQuerySchema
from server.extensions import db

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit trail")


@blp.route("/audit")
class AuditLog(MethodView):
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[AuditEntry]:
        """Changes to clinical records, newest first."""
        stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
        for key in ("entity", "entity_id"):
            if key in query:
                stmt = stmt.where(getattr(AuditEntry, key) == query[key])
        pagination_parameters.item_count = db.session.scalar(
            sa.select(sa.func.count()).select_from(stmt.subquery()))
        page, size = pagination_parameters.page, pagination_parameters.page_size
        return list(db.session.scalars(stmt.offset((page - 1) * size).limit(size)))
