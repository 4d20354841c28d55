"""Domain errors raised by services, turned into the API's one error envelope in one place."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import RequestEntityTooLarge


class DomainError(Exception):
    """A rule refused a request; `errors` names each bad field as {location: {field: [msg]}}."""

    def __init__(self, status: int, message: str, errors: dict[str, Any] | None = None,
                 action: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}
        self.action = action


def not_found(what: str) -> DomainError:
    return DomainError(404, f"No such {what}.")


def field_error(field: str, message: str, status: int = 422) -> DomainError:
    return DomainError(status, f"{field}: {message}", {"json": {field: [message]}})


STATUS_NAMES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
                410: "Gone", 413: "Request Entity Too Large", 422: "Unprocessable Entity",
                503: "Service Unavailable"}
# A database that cannot be reached is a reason to retry, not a server bug: 503, retry soon.
DATABASE_RETRY_SECONDS = 5


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> tuple[dict[str, Any], int]:
        from server.extensions import db

        db.session.rollback()
        body = {
            "code": error.status,
            "status": STATUS_NAMES.get(error.status, "Error"),
            "message": error.message,
            "errors": error.errors,
        }
        if error.action:
            body["action"] = error.action
        return body, error.status

    @app.errorhandler(RequestEntityTooLarge)
    def handle_too_large(_error: RequestEntityTooLarge) -> tuple[dict[str, Any], int]:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return {"code": 413, "status": STATUS_NAMES[413], "errors": {},
                "message": f"The request body is larger than {limit} bytes: nothing of it was "
                           "read or kept. Send fewer operations per push."}, 413

    @app.errorhandler(OperationalError)
    def handle_database_unreachable(error: OperationalError) -> tuple[dict[str, Any], int, Any]:
        from server.extensions import db

        app.logger.error("database unreachable: %s", error.orig)
        db.session.rollback()
        return {"code": 503, "status": STATUS_NAMES[503], "errors": {},
                "message": "The database is unreachable. Try again shortly."}, 503, {
                    "Retry-After": str(DATABASE_RETRY_SECONDS)}
