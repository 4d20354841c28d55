"""The gateway's receipt callback: signed like the webhook (checked here, the route is public);
and Web Push: the server's public key, and the signed-in device's own subscription."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError

from server.errors import DomainError, not_found
from server.extensions import db
from server.models_base import utcnow
from server.notifiers import push, services
from server.notifiers.schemas import (
    GatewayReceiptAnswerSchema,
    GatewayReceiptSchema,
    PushKeySchema,
    PushSubscriptionAnswerSchema,
    PushSubscriptionSchema,
)
from server.notifiers.signing import verify

blp = Blueprint("notifiers", __name__, url_prefix="/api/v1", description="Notifications")


@blp.route("/notifications/receipts")
class NotificationReceipts(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": GatewayReceiptSchema}}})
    @blp.response(200, GatewayReceiptAnswerSchema)
    def post(self) -> dict[str, Any]:
        """The gateway confirms (or reports failed) a delivery it was sent."""
        body = request.get_data(cache=True)
        if not verify(current_app.config["ALERT_WEBHOOK_SECRET"] or "",
                      request.headers.get("X-Heart-Timestamp"),
                      request.headers.get("X-Heart-Signature"), body, utcnow()):
            raise DomainError(401, "Bad or expired signature.")
        try:
            receipt = GatewayReceiptSchema().loads(body or b"{}")
        except ValidationError as error:
            raise DomainError(422, "Invalid receipt.", {"json": error.messages}) from error
        except ValueError as error:  # not JSON at all
            raise DomainError(422, "The body is not JSON.", {"json": {"_schema": [str(error)]}}) from error
        delivery = services.record_receipt(db.session(), receipt["delivery_id"],
                                           receipt["status"], receipt["detail"], utcnow())
        db.session.commit()
        return {"delivery_id": delivery.id, "status": str(delivery.status)}


@blp.route("/push/key")
class PushKey(MethodView):
    @blp.response(200, PushKeySchema)
    @blp.alt_response(404, description="Web push is off on this server")
    def get(self) -> dict[str, Any]:
        """The key a browser subscribes to this server's pushes with."""
        key = push.vapid_of()
        if key is None:
            raise not_found("push key (web push is off)")
        return {"public_key": push.application_server_key(key)}


@blp.route("/push/subscription")
class PushSubscriptionOfDevice(MethodView):
    @blp.arguments(PushSubscriptionSchema)
    @blp.response(200, PushSubscriptionAnswerSchema)
    def put(self, data: dict[str, Any]) -> Any:
        """This device's subscription for the person signed in on it (replaces its last)."""
        subscription = push.save_subscription(db.session(), g.actor.id, g.device.id,
                                              data["endpoint"], data["keys"]["p256dh"],
                                              data["keys"]["auth"])
        db.session.commit()
        return subscription

    @blp.response(204)
    def delete(self) -> None:
        """This device takes no more pushes."""
        push.remove_subscription(db.session(), g.device.id)
        db.session.commit()
