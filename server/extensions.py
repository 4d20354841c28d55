"""Extension singletons, bound to an app in create_app with init_app."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_compress import Compress
from flask_jwt_extended import JWTManager
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_smorest import pagination
from flask_smorest.arguments import ArgumentsMixin
from flask_smorest.error_handler import ErrorSchema as SmorestErrorSchema
from flask_sqlalchemy import SQLAlchemy
from werkzeug.exceptions import HTTPException

from server.fields import Int
from server.jsonio import OrjsonParser
from server.models_base import Base

# Every `@blp.arguments` request body is decoded with orjson (server/jsonio.py). Set here,
# before any routes module builds its blueprint (they all import this module first): the
# parser is bound when the decorator runs.
ArgumentsMixin.ARGUMENTS_PARSER = OrjsonParser()

_smorest_pagination_schema = pagination._pagination_parameters_schema_factory


def _bounded_pagination_schema(page: int, page_size: int, max_page_size: int) -> type[ma.Schema]:
    """flask-smorest's `page`/`page_size` query schema with our bounded integers: its `page`
    has no maximum, and a page past 64 bits overflowed the query's OFFSET into a 500.
    Replaced here for the same reason as the parser above (`paginate` builds it at import)."""
    base = _smorest_pagination_schema(page, page_size, max_page_size)
    fields = {"page": Int(strict=False, load_default=page, validate=ma.validate.Range(min=1)),
              "page_size": Int(strict=False, load_default=page_size,
                               validate=ma.validate.Range(min=1, max=max_page_size))}
    return type(base.__name__, (base,), fields)


pagination._pagination_parameters_schema_factory = _bounded_pagination_schema

# Extra keys an abort() may carry into the error envelope (what a client should do next).
ENVELOPE_EXTRAS = ("action",)
# What a client does next, by the answer's `action` (sync/PROTOCOL.md): 401 refresh, login,
# wipe or retire; 410 resync; a CAD's 401 configure (its key is missing or not active).
ACTIONS = ("refresh", "login", "wipe", "retire", "resync", "configure")


class ErrorSchema(SmorestErrorSchema):  # type: ignore[misc]
    """The documented error envelope, including the extras (the spec forbids other keys)."""

    action = ma.fields.String(validate=ma.validate.OneOf(ACTIONS), metadata={"description": (
        "What the client does next. 401: refresh (the access token expired: refresh, then"
        " retry), login (sign in online), wipe (revoked as lost: delete local data now),"
        " retire (send the outbox, sign out, delete local data), configure (a CAD"
        " integration: set its X-CAD-Key); 410: resync (drop the cursor and pull from"
        " scratch)")})
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

    def _register_pagination_header(self) -> None:
        """X-Pagination is a JSON object: documented as `content: application/json`. The
        `schema` form flask-smorest writes means a comma-separated `key,value` list in
        OpenAPI, which is not what the header carries."""
        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata",
            "content": {"application/json": {"schema": pagination.PaginationMetadataSchema}},
        }, lazy=True)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True)
api = Api()
jwt = JWTManager()
compress = Compress()
