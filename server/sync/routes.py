"""Sync endpoints: push, pull, conflicts to resolve, rejected operations to correct."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta
from typing import Any

from flask import Response, current_app, g, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from server.extensions import ErrorSchema, db
from server.models_base import utcnow
from server.sync import conflicts, schemas, services
from server.sync.kinds import current_kinds
from server.sync.scope import scope_for

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Offline sync")

REJECTED_ID = "<int(min=1, max=2147483647):rejected_id>"
# What the secret key is stretched for here: pull cursors, and nothing else.
CURSOR_KEY_PURPOSE = b"heart-field pull cursor"


def cursor_key() -> bytes:
    """The pull cursors' signing key, derived from the app's secret key (so it is not the
    tokens' key itself)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, CURSOR_KEY_PURPOSE, hashlib.sha256).digest()


def _unit_id() -> int | None:
    """The unit on shift now, else the tablet's unit while the person is on its crew (a shift
    ended within the grace while the crew was offline: it still syncs its calls); the request
    guard works it out (auth.services.scope_unit)."""
    unit_id: int | None = g.unit_id
    return unit_id


@blp.route("/push")
class Push(MethodView):
    @blp.arguments(schemas.PushSchema)
    @blp.response(200, schemas.PushResponseSchema)
    def post(self, body: dict[str, Any]) -> Response:
        """Send the outbox in seq order; every operation gets its own outcome."""
        # The envelope was judged by the engine's rule while loading (PushSchema).
        outcome = services.push(db.session(), g.actor, g.device, _unit_id(), body)
        db.session.commit()
        # Already wire-shaped (PushResponseSchema documents it): skip the schema's dump of
        # up to 500 nested results.
        return jsonify({"results": [r.to_json() for r in outcome.results],
                        "last_seq": outcome.last_seq, "server_time": utcnow().isoformat(),
                        "skew_ms": outcome.skew_ms,
                        "hlc": str(services.SERVER_CLOCK.stamp(outcome.latest_hlc))})


@blp.route("/pull")
class Pull(MethodView):
    @blp.arguments(schemas.PullQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, schemas.PullResponseSchema)
    @blp.alt_response(410, schema=ErrorSchema, description=(
        "action resync: drop the cursor and pull from scratch (the cursor cannot be read, is"
        " older than the tombstone retention, or the device's scope changed)"))
    def get(self, query: dict[str, Any]) -> Response:
        """Changes in this device's scope after the cursor (no cursor: a fresh snapshot)."""
        retention = timedelta(days=current_app.config["SYNC_RETENTION_DAYS"])
        session = db.session()
        scope = scope_for(session, g.actor, _unit_id(), current_kinds().audiences)
        page = services.pull(session, scope, query.get("cursor"), query["limit"], retention,
                             cursor_key(), g.device.id)
        # Sources build wire-shaped changes (PullResponseSchema documents them): skip the
        # schema's dump of thousands of nested changes.
        return jsonify({"changes": page.changes, "cursor": page.cursor,
                        "has_more": page.has_more, "total": page.total,
                        "server_time": utcnow().isoformat(),
                        "hlc": str(services.SERVER_CLOCK.stamp())})


@blp.route("/conflicts")
class Conflicts(MethodView):
    @blp.arguments(schemas.ConflictQuerySchema, location="query")
    @blp.response(200, schemas.ConflictSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Open conflicts: your own, or everyone's for a supervisor."""
        return conflicts.list_conflicts(db.session(), g.actor, query["include_resolved"])


@blp.route("/conflicts/<uuid:conflict_id>/resolve")
class ConflictResolution(MethodView):
    @blp.arguments(schemas.ResolveSchema)
    @blp.response(200, schemas.ConflictSchema)
    @blp.alt_response(403, description="The conflict is for a supervisor (resolvable_by)")
    def post(self, data: dict[str, Any], conflict_id: uuid.UUID) -> dict[str, Any]:
        """Keep the server's value, take the device's, or set another (audited)."""
        conflict = conflicts.resolve_conflict(db.session(), current_kinds(), g.actor,
                                              g.device.id, _unit_id(), conflict_id,
                                              data["choice"], data.get("value"))
        db.session.commit()
        changed_by = {i for i in (conflict.server_changed_by_id,) if i is not None}
        # Named as the conflict list names it.
        return conflicts.conflict_to_dict(conflict, conflicts.user_names(db.session(), changed_by),
                                          reviewer=conflicts.is_reviewer(g.actor))


@blp.route("/rejected")
class RejectedOps(MethodView):
    @blp.arguments(schemas.RejectedQuerySchema, location="query")
    @blp.response(200, schemas.RejectedOpSchema(many=True))
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Operations the server could not apply, kept whole for correction (their content
        for a clinical reader only)."""
        return services.list_rejected(db.session(), g.actor, query["status"])


@blp.route(f"/rejected/{REJECTED_ID}/reapply")
class RejectedOpReapply(MethodView):
    @blp.arguments(schemas.ReapplySchema)
    @blp.response(200, schemas.ReapplyResultSchema)
    def post(self, data: dict[str, Any], rejected_id: int) -> dict[str, Any]:
        """Correct a rejected operation's data and apply it as its author."""
        kept, result = services.reapply_rejected(db.session(), g.actor, g.device.id,
                                                 rejected_id, data["data"])
        db.session.commit()
        return {"rejected": services.rejected_to_dict(kept, readable=True),
                "result": result.to_json()}
