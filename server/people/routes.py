"""A person's login changed by an admin (the list and new logins are server.auth's /users)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from server.auth.models import User
from server.auth.schemas import UserPatchSchema, UserSchema
from server.extensions import db
from server.people import services

blp = Blueprint("people", __name__, url_prefix="/api/v1", description="People and their logins")

USER_ID = "<int(min=1, max=2147483647):user_id>"


@blp.route(f"/users/{USER_ID}")
class UserById(MethodView):
    @blp.arguments(UserPatchSchema)
    @blp.response(200, UserSchema)
    def patch(self, data: dict[str, Any], user_id: int) -> User:
        """Change a person's name or role, deactivate them or bring them back."""
        user = services.get_user(db.session(), user_id)
        services.update_user(db.session(), g.actor, g.device.id, user, data)
        db.session.commit()
        return user
