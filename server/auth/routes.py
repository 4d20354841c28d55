"""Sign-in, token refresh and sign-out, the signed-in person, devices (revocation) and users."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint, abort

from server.auth import schemas, services, throttle
from server.auth.guard import load_device, session_id_of
from server.auth.models import User
from server.extensions import ErrorSchema, db
from server.models_base import utcnow

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in, tokens, devices")

# The security scheme of the refresh route (server/config.py): a bearer, the refresh token.
REFRESH_SCHEME = "refreshToken"
# The header a 429 carries (server/auth/throttle.py computes it).
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "integer", "minimum": 1}}}


def _access_seconds() -> int:
    return int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds())


def _claims(user: User, device_id: uuid.UUID, session_id: uuid.UUID) -> dict[str, Any]:
    """Every token names its device and the device session (sign-in) it belongs to."""
    return {"device": str(device_id), "sid": str(session_id), "role": user.role.value}


def _tokens(user: User, device_id: uuid.UUID, session_id: uuid.UUID, refresh_jti: str,
            refresh_lifetime: timedelta) -> dict[str, Any]:
    claims = _claims(user, device_id, session_id)
    identity = str(user.id)
    return {
        "access_token": create_access_token(identity, additional_claims=claims),
        "refresh_token": create_refresh_token(identity, expires_delta=refresh_lifetime,
                                              additional_claims={**claims, "jti": refresh_jti}),
        "access_expires_in": _access_seconds(),
    }


def _me(user: User, unit_id: int | None, device_id: uuid.UUID) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name,
            "role": user.role, "active": user.active, "unit_id": unit_id, "device_id": device_id}


@blp.route("/auth/login")
class Login(MethodView):
    @blp.doc(security=[])
    @blp.arguments(schemas.LoginSchema)
    @blp.response(200, schemas.TokensSchema)
    @blp.alt_response(401, schema=ErrorSchema, description=(
        "Wrong credentials (action login), or a device revoked as lost (wipe) or retired"
        " (retire)"))
    @blp.alt_response(403, schema=ErrorSchema,
                      description="The tablet is held by another unit's crew")
    @blp.alt_response(429, schema=ErrorSchema, headers=RETRY_AFTER,
                      description="Too many failed sign-ins: wait Retry-After seconds")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Sign in with a password (no token: this is where tokens come from); registers the
        device on its first sign-in (without device_id) and answers its id."""
        policy = throttle.Policy.from_config(current_app.config)
        try:
            claim = throttle.claim_attempt(db.session(), policy, data["username"],
                                           request.remote_addr, utcnow())
        except throttle.ThrottledError as exc:
            db.session.rollback()
            abort(429, message="Too many failed sign-ins. Wait and try again.",
                  headers={"Retry-After": str(exc.retry_after)})
        db.session.commit()  # counted before the password is checked: parallel tries see it
        try:
            signed = services.sign_in(db.session(), **data,
                                      user_agent=request.headers.get("User-Agent"))
        except services.AuthError as exc:
            db.session.rollback()
            throttle.settle_attempt(db.session(), policy, claim, succeeded=exc.password_ok,
                                    now=utcnow())
            db.session.commit()
            abort(exc.status, message=exc.message, action=exc.action)
        throttle.settle_attempt(db.session(), policy, claim, succeeded=True, now=utcnow())
        db.session.commit()
        tokens = _tokens(signed.user, signed.device.id, signed.device_session.id,
                         signed.device_session.refresh_jti,
                         current_app.config["JWT_REFRESH_TOKEN_EXPIRES"])
        return {**tokens, "device_id": signed.device.id,
                "user": _me(signed.user, signed.unit_id, signed.device.id)}


@blp.route("/auth/refresh")
class Refresh(MethodView):
    @blp.doc(security=[{REFRESH_SCHEME: []}])
    @blp.response(200, schemas.RefreshedSchema)
    @blp.alt_response(401, schema=ErrorSchema, description=(
        "Refresh token expired, reused or signed out (action login), or device revoked (wipe,"
        " retire)"))
    def post(self) -> dict[str, Any]:
        """Trade the refresh token (`Authorization: Bearer <refresh_token>`, not the access
        token; no body) for a new access token and a new refresh token; the one sent is used
        up (see sync/PROTOCOL.md, "Auth")."""
        verify_jwt_in_request(refresh=True)
        claims = get_jwt()
        device = load_device(claims, request.endpoint)
        user = db.session.get(User, int(claims["sub"]))
        if user is None or not user.active:
            abort(401, message="Your account is not active.", action="login")
        assert user is not None
        session_id, now = session_id_of(claims), utcnow()
        try:
            jti = services.rotate_refresh_token(db.session(), session_id, claims.get("jti"), now)
        except services.AuthError as exc:
            db.session.commit()  # a reused token's session stays revoked
            abort(exc.status, message=exc.message, action=exc.action)
        db.session.commit()
        assert session_id is not None
        # The new refresh token ends when the sign-in's first one did: rotation renews the
        # token, not the need to sign in online every REFRESH_TOKEN_DAYS.
        remaining = datetime.fromtimestamp(claims["exp"], UTC) - now
        return _tokens(user, device.id, session_id, jti, remaining)


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self) -> None:
        """Sign out on this tablet: ends this device session, so its access and refresh
        tokens are refused from now on and the person is no longer enrolled on the tablet.
        A retired tablet signs out once it has sent what it holds: every sign-in on it ends."""
        if g.device.retired:
            services.finish_retirement(db.session(), g.device, utcnow())
        else:
            services.sign_out(db.session(), g.device_session_id, utcnow())
        db.session.commit()


@blp.route("/auth/me")
class Me(MethodView):
    @blp.response(200, schemas.MeSchema)
    def get(self) -> dict[str, Any]:
        """The signed-in person, their current unit and this device."""
        return _me(g.actor, g.unit_id, g.device.id)


@blp.route("/devices")
class Devices(MethodView):
    @blp.response(200, schemas.DeviceSchema(many=True))
    def get(self) -> list[Any]:
        """Registered tablets and browsers, newest first."""
        return services.list_devices(db.session())


@blp.route("/devices/<uuid:device_id>")
class DeviceById(MethodView):
    @blp.arguments(schemas.DeviceRenameSchema)
    @blp.response(200, schemas.DeviceSchema)
    @blp.alt_response(404, description="No such device")
    def patch(self, data: dict[str, Any], device_id: uuid.UUID) -> Any:
        """Rename a device ("Van 3 tablet")."""
        device = services.rename_device(db.session(), device_id, data["name"])
        if device is None:
            abort(404, message="No such device.")
        db.session.commit()
        return device


@blp.route("/devices/<uuid:device_id>/revoke")
class DeviceRevocation(MethodView):
    @blp.arguments(schemas.RevokeSchema)
    @blp.response(200, schemas.DeviceSchema)
    @blp.alt_response(404, description="No such device")
    @blp.alt_response(409, description="Already revoked as lost: it cannot be retired")
    def post(self, data: dict[str, Any], device_id: uuid.UUID) -> Any:
        """Revoke a tablet, saying why: `lost` (refused at once, it wipes on its next contact)
        or `retired` (its crew may still push what it holds, then it wipes)."""
        device = services.revoke_device(db.session(), g.actor, device_id, data["reason"])
        if device is None:
            abort(404, message="No such device.")
        db.session.commit()
        return device


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, schemas.UserSchema(many=True))
    def get(self) -> list[Any]:
        """Everyone with a login."""
        return services.list_users(db.session())

    @blp.arguments(schemas.NewUserSchema)
    @blp.response(201, schemas.UserSchema)
    @blp.alt_response(409, description="User name taken")
    def post(self, data: dict[str, Any]) -> Any:
        """Create a login."""
        if db.session.scalar(db.select(User).where(User.username == data["username"])):
            abort(409, message="That user name is taken.", errors={"json": {"username": ["taken"]}})
        user = services.create_user(db.session(), **data)
        db.session.commit()
        return user

