"""The request guard: applies the permission table to every request, in one place."""

from __future__ import annotations

import functools
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_smorest import abort

from server.auth import permissions
from server.auth.models import Device, DeviceSession, User
from server.auth.services import (
    SHIFT_GRACE,
    revoked_answer,
    scope_unit,
    scope_unit_id,
    touch_device,
)
from server.extensions import db, jwt
from server.models_base import UTCDateTime, utcnow


def unauthorized(message: str, action: str) -> Any:
    abort(401, message=message, action=action)


def refuse_revoked(device: Device | None, endpoint: str | None) -> None:
    """An unknown device or one revoked as lost is told to wipe; one revoked as retired is
    told to retire, except on the routes it still may use (permissions.RETIRED_DEVICE_ROUTES)."""
    if device is not None and not device.revoked:
        return
    if device is not None and device.retired and endpoint in permissions.RETIRED_DEVICE_ROUTES:
        return
    unauthorized(*revoked_answer(device))


def load_device(claims: dict[str, Any], endpoint: str | None) -> Device:
    """The device a token is bound to, refused when revoked (refuse_revoked) or unknown."""
    try:
        device = db.session.get(Device, uuid.UUID(str(claims.get("device"))))
    except ValueError:
        device = None
    refuse_revoked(device, endpoint)
    assert device is not None
    return device


def session_id_of(claims: dict[str, Any]) -> uuid.UUID | None:
    """The device session a token belongs to (None for a token without one)."""
    try:
        return uuid.UUID(str(claims.get("sid")))
    except ValueError:
        return None


@functools.cache
def _guard_query() -> sa.Select[Device, User, int, bool]:
    """The guard's one query, built once with bound parameters: building it (and its cache
    key) on every request cost more than running it (bench/sync_push.py feels each)."""
    now, since = sa.bindparam("now", type_=UTCDateTime()), sa.bindparam("since", type_=UTCDateTime())
    live = sa.exists().where(DeviceSession.id == sa.bindparam("session_id", type_=sa.Uuid()),
                             DeviceSession.device_id == Device.id,
                             DeviceSession.user_id == User.id,
                             DeviceSession.signed_out_at.is_(None),
                             DeviceSession.revoked_at.is_(None))
    return (sa.select(Device, User, scope_unit(User.id, Device.unit_id, now, since), live)
            .join_from(Device, User, User.id == sa.bindparam("user_id", type_=sa.Integer()))
            .where(Device.id == sa.bindparam("device_id", type_=sa.Uuid())))


def _device_user_unit(claims: dict[str, Any], endpoint: str | None
                      ) -> tuple[Device, User | None, int | None, bool]:
    """The token's device (unknown or revoked: refuse_revoked), its user, the unit whose records the
    user sees on it (scope_unit: on shift now, else the device's unit while on its crew) and
    whether its device session is still live (not signed out or revoked), in one round trip
    when device and user exist (every authenticated request pays for it); otherwise the
    lookups one by one, so the answer (wipe before login) is unchanged."""
    try:
        device_id = uuid.UUID(str(claims.get("device")))
    except ValueError:
        device_id = None
    try:
        user_id: int | None = int(claims["sub"])
    except (KeyError, TypeError, ValueError):
        user_id = None
    if device_id is not None and user_id is not None:
        now = utcnow()
        row = db.session.execute(_guard_query(), {
            "device_id": device_id, "user_id": user_id, "session_id": session_id_of(claims),
            "now": now, "since": now - SHIFT_GRACE}).first()
        if row is not None:
            refuse_revoked(row[0], endpoint)
            return row[0], row[1], row[2], bool(row[3])
    device = load_device(claims, endpoint)
    user = db.session.get(User, int(claims["sub"]))
    if user is None:
        return device, None, None, False
    return device, user, scope_unit_id(db.session(), user.id, device.unit_id, utcnow()), False


def guard() -> None:
    rule = permissions.rule_for(request.endpoint, request.method)
    if rule is None:
        if request.endpoint is None:
            return  # 404 / 405: let Flask answer
        abort(403, message="This route is not open to anyone.")
    if rule in (permissions.PUBLIC, permissions.REFRESH, permissions.CAD_INTEGRATION):
        return  # CAD_INTEGRATION: the CAD blueprint checks the integration's key
    verify_jwt_in_request()
    claims = get_jwt()
    g.device, user, g.unit_id, live = _device_user_unit(claims, request.endpoint)
    if user is None or not user.active:
        unauthorized("Your account is not active. Sign in again.", "login")
    if not live:
        unauthorized("You signed out on this tablet, or this sign-in was ended. Sign in again.",
                     "login")
    assert user is not None
    if touch_device(g.device, utcnow()):
        db.session.commit()  # the last-seen mark alone, at most once a minute per device
    g.device_session_id = session_id_of(claims)
    g.actor = user
    assert isinstance(rule, frozenset)
    if user.role not in rule:
        abort(403, message="Your role may not do this.")


def register_jwt_errors() -> None:
    """flask-jwt-extended's failures in the API's envelope, each with the client's next step."""

    def envelope(message: str, action: str, code: int = 401) -> tuple[dict[str, Any], int]:
        status = "Unauthorized" if code == 401 else "Unprocessable Entity"
        return {"code": code, "status": status, "message": message, "errors": {},
                "action": action}, code

    def expired(_header: dict[str, Any], payload: dict[str, Any]) -> tuple[dict[str, Any], int]:
        try:
            device = db.session.get(Device, uuid.UUID(str(payload.get("device"))))
        except ValueError:
            device = None
        if device is None or (device.revoked and not device.retired):
            return envelope(*revoked_answer(device))
        if payload.get("type") == "refresh":
            if device.retired:  # it cannot send any more: nothing left but to wipe
                return envelope(*revoked_answer(device))
            return envelope("Your sign-in expired. Sign in online again.", "login")
        return envelope("Your session expired. Refreshing.", "refresh")

    jwt.expired_token_loader(expired)
    jwt.invalid_token_loader(lambda msg: envelope(f"Invalid token: {msg}", "login"))
    jwt.unauthorized_loader(lambda msg: envelope(f"Sign-in needed: {msg}", "login"))
    jwt.revoked_token_loader(lambda _h, _p: envelope("Token revoked.", "login"))
    jwt.needs_fresh_token_loader(lambda _h, _p: envelope("Fresh sign-in needed.", "login"))
    jwt.user_lookup_error_loader(lambda _h, _p: envelope("Unknown user.", "login"))


def init_app(app: Flask) -> None:
    register_jwt_errors()
    app.before_request(guard)
