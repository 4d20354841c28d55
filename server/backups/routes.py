"""Backup requests from the tablets and their answers; check-ins and the overdue list."""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from server.backups import checkins, services
from server.backups.models import BackupState
from server.backups.schemas import (
    BackupCreateSchema,
    BackupDetailSchema,
    BackupListQuerySchema,
    BackupListSchema,
    BackupRequestSchema,
    CheckinCreateSchema,
    CheckinSchema,
    OverdueListSchema,
    ReasonSchema,
)
from server.extensions import db
from server.models_base import utcnow

blp = Blueprint("backups", __name__, url_prefix="/api/v1", description="Backup requests")


def _device_id() -> uuid.UUID | None:
    return g.device.id if g.get("device") is not None else None


def _answer(request: Any, status: int) -> tuple[dict[str, Any], int]:
    return services.request_to_dict(db.session(), request, current_app.config, g.actor), status


@blp.route("/backups")
class Backups(MethodView):
    @blp.arguments(BackupCreateSchema)
    @blp.response(201, BackupRequestSchema)
    @blp.alt_response(200, schema=BackupRequestSchema, description="The same id again: its state")
    @blp.alt_response(409, description="The id is another unit's request")
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Ask for backup: the unit is the signed-in crew's, the position the tablet's or
        the unit's last known."""
        request, created = services.request_backup(db.session(), g.actor, _device_id(),
                                                   g.unit_id, data, current_app.config, utcnow())
        db.session.commit()
        return _answer(request, 201 if created else 200)

    @blp.arguments(BackupListQuerySchema, location="query")
    @blp.response(200, BackupListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Requests, newest first (a field role: their unit's only)."""
        found = services.list_requests(db.session(), g.actor, g.unit_id, query["state"])
        items = [services.request_to_dict(db.session(), r, current_app.config) for r in found]
        return {"items": items, "total": len(items)}


@blp.route("/backups/<uuid:backup_id>")
class BackupById(MethodView):
    @blp.response(200, BackupDetailSchema)
    def get(self, backup_id: uuid.UUID) -> dict[str, Any]:
        """One request and its log of every step."""
        request = services.readable_request(db.session(), g.actor, g.unit_id, backup_id)
        return {**services.request_to_dict(db.session(), request, current_app.config),
                "events": services.events_of(db.session(), request.id)}


@blp.route("/backups/<uuid:backup_id>/acknowledge")
class BackupAcknowledgement(MethodView):
    @blp.response(200, BackupRequestSchema)
    def post(self, backup_id: uuid.UUID) -> dict[str, Any]:
        """Take the request on (the first acknowledgement stands)."""
        request = services.readable_request(db.session(), g.actor, g.unit_id, backup_id)
        request = services.acknowledge(db.session(), g.actor, _device_id(), request,
                                       current_app.config, utcnow())
        db.session.commit()
        return _answer(request, 200)[0]


def _close(backup_id: uuid.UUID, state: BackupState, reason: str) -> dict[str, Any]:
    request = services.readable_request(db.session(), g.actor, g.unit_id, backup_id)
    request = services.close(db.session(), g.actor, _device_id(), g.unit_id, request, state,
                             reason, current_app.config, utcnow())
    db.session.commit()
    return _answer(request, 200)[0]


@blp.route("/backups/<uuid:backup_id>/cancel")
class BackupCancel(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, BackupRequestSchema)
    @blp.alt_response(409, description="The request is already closed")
    def post(self, data: dict[str, Any], backup_id: uuid.UUID) -> dict[str, Any]:
        """Call the request off (the requesting crew, or a supervisor or dispatcher)."""
        return _close(backup_id, BackupState.CANCELLED, data["reason"])


@blp.route("/backups/<uuid:backup_id>/resolve")
class BackupResolve(MethodView):
    @blp.arguments(ReasonSchema)
    @blp.response(200, BackupRequestSchema)
    @blp.alt_response(409, description="The request is already closed")
    def post(self, data: dict[str, Any], backup_id: uuid.UUID) -> dict[str, Any]:
        """Close the request: help arrived, or the situation ended."""
        return _close(backup_id, BackupState.RESOLVED, data["reason"])


@blp.route("/checkins")
class Checkins(MethodView):
    @blp.arguments(CheckinCreateSchema)
    @blp.response(201, CheckinSchema)
    @blp.alt_response(200, schema=CheckinSchema, description="The same id again")
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The crew on scene is all right: the check-in timer starts again."""
        answer, created = checkins.check_in(db.session(), g.actor, _device_id(), g.unit_id, data,
                                           utcnow())
        db.session.commit()
        return checkins.answer_to_dict(answer), 201 if created else 200


@blp.route("/checkins/overdue")
class OverdueCheckins(MethodView):
    @blp.response(200, OverdueListSchema)
    def get(self) -> dict[str, Any]:
        """Calls on scene past their check-in time."""
        return {"items": checkins.overdue(db.session(), utcnow(), current_app.config)}


