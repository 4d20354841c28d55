"""Care navigation's API: resource search by need and distance, referrals and their status,
follow-ups due and done, and a call in care navigation as its navigator reads it."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from server.auth import permissions
from server.care import services
from server.care.schemas import (
    CareCallSchema,
    FollowUpDoneSchema,
    FollowUpInSchema,
    FollowUpListSchema,
    FollowUpQuerySchema,
    FollowUpSchema,
    ReferralInSchema,
    ReferralListSchema,
    ReferralQuerySchema,
    ReferralSchema,
    ReferralStatusInSchema,
    ResourceQuerySchema,
    ResourceSchema,
)
from server.extensions import db
from server.models_base import utcnow

blp = Blueprint("care", __name__, url_prefix="/api/v1/care", description="Care navigation")


def _device_id() -> uuid.UUID | None:
    return g.device.id if g.get("device") is not None else None


def _content() -> bool:
    """Whether the reader sees what people wrote and where they live (not a figures reader)."""
    return g.actor.role in permissions.CARE_CONTENT_READERS or g.actor.is_field_responder


def _referral(referral: Any) -> dict[str, Any]:
    return services.referral_to_dict(db.session(), referral, _content())


def _follow_up(task: Any) -> dict[str, Any]:
    return services.follow_up_to_dict(db.session(), task, utcnow(), _content())


@blp.route("/resources")
class Resources(MethodView):
    @blp.arguments(ResourceQuerySchema, location="query")
    @blp.response(200, ResourceSchema(many=True))
    @blp.paginate()
    def get(self, query: dict[str, Any], pagination_parameters: Any) -> list[dict[str, Any]]:
        """Resources meeting a need, nearest first from a point or a call's premise."""
        page, pagination_parameters.item_count = services.search_resources(
            db.session(), query, pagination_parameters.page, pagination_parameters.page_size)
        return [services.resource_to_dict(resource, distance) for resource, distance in page]


@blp.route("/referrals")
class Referrals(MethodView):
    @blp.arguments(ReferralQuerySchema, location="query")
    @blp.response(200, ReferralListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Referrals, last changed first, each with its status course."""
        return {"items": [_referral(r) for r in services.list_referrals(db.session(), query)]}

    @blp.arguments(ReferralInSchema)
    @blp.response(201, ReferralSchema)
    @blp.alt_response(200, schema=ReferralSchema, description="The same id again: that referral")
    @blp.alt_response(409, description="The id is another referral's")
    def post(self, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """Refer a call's person (a responder: their unit's call) to a resource or to care."""
        referral, created = services.create_referral(db.session(), g.actor, g.get("unit_id"),
                                                     _device_id(), data, utcnow())
        db.session.commit()
        return _referral(referral), 201 if created else 200


@blp.route("/referrals/<uuid:referral_id>/status")
class ReferralStatus(MethodView):
    @blp.arguments(ReferralStatusInSchema)
    @blp.response(200, ReferralSchema)
    def post(self, data: dict[str, Any], referral_id: uuid.UUID) -> dict[str, Any]:
        """The referral's next status (made, accepted, connected, closed), kept as an event."""
        session = db.session()
        referral = services.change_referral_status(
            session, g.actor, _device_id(), services.get_referral(session, referral_id),
            data["status"], data["note"], utcnow())
        session.commit()
        return _referral(referral)


@blp.route("/follow-ups")
class FollowUps(MethodView):
    @blp.arguments(FollowUpQuerySchema, location="query")
    @blp.response(200, FollowUpListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Open follow-ups soonest due first (`overdue`: past due only)."""
        tasks = services.list_follow_ups(db.session(), g.actor, query, utcnow())
        return {"items": [_follow_up(t) for t in tasks]}

    @blp.arguments(FollowUpInSchema)
    @blp.response(201, FollowUpSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """A follow-up about a call in care navigation, for a navigator."""
        task = services.create_follow_up(db.session(), g.actor, data, utcnow())
        db.session.commit()
        return _follow_up(task)


@blp.route("/follow-ups/<int(max=2147483647):follow_up_id>/done")
class FollowUpDone(MethodView):
    @blp.arguments(FollowUpDoneSchema)
    @blp.response(200, FollowUpSchema)
    def post(self, data: dict[str, Any], follow_up_id: int) -> dict[str, Any]:
        """Mark a follow-up done, with its outcome."""
        session = db.session()
        task = services.complete_follow_up(session, g.actor,
                                           services.get_follow_up(session, follow_up_id),
                                           data["outcome"], utcnow())
        session.commit()
        return _follow_up(task)


@blp.route("/calls/<uuid:call_id>")
class CareCall(MethodView):
    @blp.response(200, CareCallSchema)
    def get(self, call_id: uuid.UUID) -> dict[str, Any]:
        """A call in care navigation (any other is not found): where, when, what was said."""
        call = services.get_care_call(db.session(), call_id)
        return services.care_call_to_dict(call, with_narrative=True)
