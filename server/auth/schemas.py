"""Request and response shapes for sign-in, tokens, devices and users."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from server.auth.models import DEVICE_NAME_LENGTH, RevocationReason, Role


class DeviceName(fields.String):
    """A device's name as people read it in a list: trimmed, one line, not empty."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=[
            validate.Length(min=1, max=DEVICE_NAME_LENGTH),
            validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Use one line of text, without "
                                                        "control characters."),
        ], metadata={"description": 'What people call it, e.g. "Van 3 tablet"'}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    device_id = fields.UUID(load_default=None, allow_none=True)
    device_name = DeviceName(load_default=None, allow_none=True)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    role = fields.Enum(Role, by_value=True, required=True)
    active = fields.Boolean(dump_only=True)


class NewUserSchema(UserSchema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=256))


class MeSchema(UserSchema):
    unit_id = fields.Integer(allow_none=True, dump_only=True)
    device_id = fields.UUID(dump_only=True)


class TokensSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    access_expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    device_id = fields.UUID(required=True)
    user = fields.Nested(MeSchema, required=True)


class RefreshedSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True, metadata={
        "description": "Replaces the refresh token sent, which is used up: keep this one"})
    access_expires_in = fields.Integer(required=True, metadata={"description": "seconds"})


class DeviceSchema(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    user_id = fields.Integer(allow_none=True, metadata={"description": "Who registered it"})
    unit_id = fields.Integer(allow_none=True)
    unit_call_sign = fields.String(allow_none=True)
    last_user_id = fields.Integer(allow_none=True,
                                  metadata={"description": "Who signed in online on it last"})
    last_user_name = fields.String(allow_none=True)
    registered_at = fields.AwareDateTime(required=True)
    last_seen_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "Its last sign-in, authenticated request or sync, to the minute"})
    revoked_at = fields.AwareDateTime(allow_none=True)
    revoked_by_id = fields.Integer(allow_none=True)
    revoked_by_name = fields.String(allow_none=True)
    revocation_reason = fields.Enum(RevocationReason, by_value=True, allow_none=True)


class RevokeSchema(Schema):
    reason = fields.Enum(RevocationReason, by_value=True, required=True, metadata={
        "description": "lost: lost or stolen, it wipes on its next contact; retired: it may "
                       "send what it holds (push only), then it wipes"})


class DeviceRenameSchema(Schema):
    name = DeviceName(required=True)
