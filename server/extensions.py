"""Extension singletons, bound to an app in create_app with init_app."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_compress import Compress
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_smorest.arguments import ArgumentsMixin
from flask_smorest.error_handler import ErrorSchema as SmorestErrorSchema
from flask_sqlalchemy import SQLAlchemy
from werkzeug.exceptions import HTTPException

from server.jsonio import OrjsonParser
from server.models_base import Base

# Every `@blp.arguments` request body is decoded with orjson (server/jsonio.py). Set here,
# before any routes module builds its blueprint (they all import this module first): the
# parser is bound when the decorator runs.
ArgumentsMixin.ARGUMENTS_PARSER = OrjsonParser()

# Extra keys an abort() may carry into the error envelope (what a client should do next).
ENVELOPE_EXTRAS = ("action",)


class ErrorSchema(SmorestErrorSchema):  # type: ignore[misc]
    """The documented error envelope, including the extras (the spec forbids other keys)."""

    action = ma.fields.String(metadata={"description": "What the client does next: login, "
                                                       "refresh or wipe"})
    reason = ma.fields.String(metadata={"description": "Why a 503: busy (the database is taken "
                                                       "by other writes) or unreachable; retry "
                                                       "after Retry-After either way"})


class Api(SmorestApi):  # type: ignore[misc]
    """flask-smorest's Api with one error envelope that also keeps `action` and `Allow`."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> tuple[dict[str, Any], int, Any]:
        payload, code, headers = super().handle_http_exception(error)
        data = getattr(error, "data", None) or {}
        for key in ENVELOPE_EXTRAS:
            if key in data:
                payload[key] = data[key]
        payload.setdefault("message", error.description or error.name)
        payload.setdefault("errors", {})
        response_headers = dict(headers or {})
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            response_headers["Allow"] = ", ".join(allowed)
        return payload, code, response_headers


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
api = Api()
jwt = JWTManager()
compress = Compress()
