"""Request and response shapes for sign-in, tokens, devices and users."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.auth.models import Role
from server.fields import AwareDateTime, Bool, Int, Str


class LoginSchema(Schema):
    username = Str(required=True, validate=validate.Length(min=1, max=64))
    password = Str(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    device_id = fields.UUID(load_default=None, allow_none=True)
    device_name = Str(load_default=None, allow_none=True, validate=validate.Length(max=120))


class UserSchema(Schema):
    id = Int(dump_only=True)
    username = Str(required=True, validate=validate.Length(min=1, max=64))
    full_name = Str(required=True, validate=validate.Length(min=1, max=120))
    role = fields.Enum(Role, by_value=True, required=True)
    active = Bool(dump_only=True)


class NewUserSchema(UserSchema):
    password = Str(required=True, load_only=True, validate=validate.Length(min=8, max=256))


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
    id = fields.UUID()
    name = Str()
    user_id = Int(allow_none=True)
    unit_id = Int(allow_none=True)
    registered_at = AwareDateTime()
    last_seen_at = AwareDateTime(allow_none=True)
    revoked_at = AwareDateTime(allow_none=True)
