"""The gateway's receipt, and a device's Web Push subscription."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlparse

from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

from server.notifiers.models import AUTH_LENGTH, P256DH_LENGTH
from server.stream.models import TARGET_LENGTH

# The gateway's own words on a failure ("number unreachable", "voicemail"): a line.
DETAIL_LENGTH = 300
# An uncompressed P-256 point (0x04, x, y) and the auth secret, as RFC 8291 sizes them.
P256DH_BYTES = 65
AUTH_BYTES = 16
# A push service on this machine, plain http, outside production (a test or a local relay).
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


class GatewayReceiptSchema(Schema):
    delivery_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["delivered", "failed"]))
    detail = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(max=DETAIL_LENGTH))


class GatewayReceiptAnswerSchema(Schema):
    delivery_id = fields.UUID(required=True)
    status = fields.String(required=True)


def _raw_length(text: str) -> int | None:
    """How many bytes a base64url text holds (padded or not); None when it is not base64url."""
    try:
        return len(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        return None


def _check_endpoint(endpoint: str) -> None:
    url = urlparse(endpoint)
    local = (url.scheme == "http" and url.hostname in LOCAL_HOSTS
             and current_app.config["ENV_NAME"] != "production")
    if not url.hostname or (url.scheme != "https" and not local):
        raise ValidationError("Must be an https URL of a push service.")


def _check_p256dh(key: str) -> None:
    if _raw_length(key) != P256DH_BYTES or not key.startswith("B"):
        raise ValidationError(f"Must be a base64url P-256 public key ({P256DH_BYTES} bytes).")


def _check_auth(secret: str) -> None:
    if _raw_length(secret) != AUTH_BYTES:
        raise ValidationError(f"Must be a base64url {AUTH_BYTES}-byte auth secret.")


class PushKeysSchema(Schema):
    p256dh = fields.String(required=True, validate=[validate.Length(max=P256DH_LENGTH),
                                                    _check_p256dh])
    auth = fields.String(required=True, validate=[validate.Length(max=AUTH_LENGTH), _check_auth])


class PushSubscriptionSchema(Schema):
    """What the browser's PushSubscription.toJSON() gives (its expirationTime is not kept)."""

    endpoint = fields.String(required=True, validate=[validate.Length(max=TARGET_LENGTH),
                                                      _check_endpoint])
    keys = fields.Nested(PushKeysSchema, required=True)
    expirationTime = fields.Float(load_default=None, allow_none=True)  # noqa: N815  # the browser's name


class PushSubscriptionAnswerSchema(Schema):
    endpoint = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class PushKeySchema(Schema):
    public_key = fields.String(required=True, metadata={
        "description": "The VAPID public key, base64url: PushManager's applicationServerKey."})
