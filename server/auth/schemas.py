"""Request and response shapes for sign-in, tokens, devices and users."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from server.auth.models import Role


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    device_id = fields.UUID(load_default=None, allow_none=True)
    device_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


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
    id = fields.UUID()
    name = fields.String()
    user_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    registered_at = fields.AwareDateTime()
    last_seen_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)
