"""Request and response shapes for sign-in, tokens, devices and users."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from server.auth.models import DEVICE_NAME_LENGTH, RevocationReason, Role
from server.fields import AwareDateTime, Bool, Int, Str


class DeviceName(Str):
    """A device's name as people read it in a list: trimmed, one line, not empty."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=[
            validate.Length(min=1, max=DEVICE_NAME_LENGTH),
            validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Use one line of text, without "
                                                        "control characters."),
        ], metadata={"description": 'What people call it, e.g. "Van 3 tablet"'}, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return str(super()._deserialize(value, attr, data, **kwargs)).strip()


class LoginSchema(Schema):
    username = Str(required=True, validate=validate.Length(min=1, max=64))
    password = Str(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    device_id = fields.UUID(load_default=None, allow_none=True)
    device_name = DeviceName(load_default=None, allow_none=True)


class UserSchema(Schema):
    id = Int(dump_only=True)
    username = Str(required=True, validate=validate.Length(min=1, max=64))
    full_name = Str(required=True, validate=validate.Length(min=1, max=120))
    role = fields.Enum(Role, by_value=True, required=True)
    active = Bool(dump_only=True)


class NewUserSchema(UserSchema):
    password = Str(required=True, load_only=True, validate=validate.Length(min=8, max=256))


class UserPatchSchema(Schema):
    full_name = Str(validate=validate.Length(min=1, max=120))
    role = fields.Enum(Role, by_value=True)
    active = Bool(metadata={"description": "false: the person's sign-ins are refused at once"})


class MeSchema(UserSchema):
    unit_id = Int(allow_none=True, dump_only=True)
    device_id = fields.UUID(dump_only=True)


class TokensSchema(Schema):
    access_token = Str(required=True)
    refresh_token = Str(required=True)
    access_expires_in = Int(required=True, metadata={"description": "seconds"})
    device_id = fields.UUID(required=True)
    user = fields.Nested(MeSchema, required=True)


class RefreshedSchema(Schema):
    access_token = Str(required=True)
    refresh_token = Str(required=True, metadata={
        "description": "Replaces the refresh token sent, which is used up: keep this one"})
    access_expires_in = Int(required=True, metadata={"description": "seconds"})


class DeviceSchema(Schema):
    id = fields.UUID(required=True)
    name = Str(required=True)
    user_id = Int(allow_none=True, metadata={"description": "Who registered it"})
    unit_id = Int(allow_none=True)
    unit_call_sign = Str(allow_none=True)
    last_user_id = Int(allow_none=True,
                                  metadata={"description": "Who signed in online on it last"})
    last_user_name = Str(allow_none=True)
    registered_at = AwareDateTime(required=True)
    last_seen_at = AwareDateTime(allow_none=True, metadata={
        "description": "Its last sign-in, authenticated request or sync, to the minute"})
    revoked_at = AwareDateTime(allow_none=True)
    revoked_by_id = Int(allow_none=True)
    revoked_by_name = Str(allow_none=True)
    revocation_reason = fields.Enum(RevocationReason, by_value=True, allow_none=True)


class RevokeSchema(Schema):
    reason = fields.Enum(RevocationReason, by_value=True, required=True, metadata={
        "description": "lost: lost or stolen, it wipes on its next contact; retired: it may "
                       "send what it holds (push only), then it wipes"})


class DeviceRenameSchema(Schema):
    name = DeviceName(required=True)
