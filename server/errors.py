"""Every failure answered with the API's one JSON error envelope, in one place: domain errors
raised by services, a busy or unreachable database (503 with Retry-After), any other exception
(500, logged), and, as a last resort around the whole WSGI app, whatever escapes Flask itself
(a failing teardown, an error while the body is being sent)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import InternalServerError, RequestEntityTooLarge

from server.database import DatabaseTrouble, classify, discard_session

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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
                500: "Internal Server Error", 503: "Service Unavailable"}
# A database that cannot be reached is a reason to retry, not a server bug: 503, retry soon.
DATABASE_RETRY_SECONDS = 5
# A busy database frees its write lock within a second or two (one push's transaction).
BUSY_RETRY_SECONDS = 1
DATABASE_TROUBLE = {
    DatabaseTrouble.BUSY: (BUSY_RETRY_SECONDS,
                           "The database is busy with other writes. Try again shortly."),
    DatabaseTrouble.UNREACHABLE: (DATABASE_RETRY_SECONDS,
                                  "The database is unreachable. Try again shortly."),
}
# Headers of an answer built outside Flask (the last resort): JSON, never cached or sniffed.
LAST_RESORT_HEADERS = [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                       ("X-Content-Type-Options", "nosniff"),
                       ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")]


def envelope(status: int, message: str, errors: dict[str, Any] | None = None,
             **extras: Any) -> dict[str, Any]:
    """The error body every failure answers with (documented as ErrorSchema)."""
    return {"code": status, "status": STATUS_NAMES.get(status, "Error"), "message": message,
            "errors": errors or {}, **extras}


def failure_answer(error: BaseException) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Body, status and headers for an unexpected exception: 503 (busy or unreachable, with
    Retry-After) when the database failed, else 500."""
    trouble = classify(error)
    if trouble is None:
        return envelope(500, "The server failed on this request; the failure was logged."), 500, {}
    retry, message = DATABASE_TROUBLE[trouble]
    return (envelope(503, message, reason=trouble.value), 503,
            {"Retry-After": str(retry)})


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> tuple[dict[str, Any], int]:
        discard_session()
        extras = {"action": error.action} if error.action else {}
        return envelope(error.status, error.message, error.errors, **extras), error.status

    @app.errorhandler(RequestEntityTooLarge)
    def handle_too_large(_error: RequestEntityTooLarge) -> tuple[dict[str, Any], int]:
        limit = app.config["MAX_CONTENT_LENGTH"]
        return envelope(413, f"The request body is larger than {limit} bytes: nothing of it was "
                             "read or kept. Send fewer operations per push."), 413

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def handle_database_trouble(
            error: OperationalError | InterfaceError) -> tuple[dict[str, Any], int, Any]:
        app.logger.error("database %s: %s", classify(error), error.orig)
        discard_session()
        return failure_answer(error)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> tuple[dict[str, Any], int, Any]:
        app.logger.error("unhandled error", exc_info=error)
        discard_session()
        return failure_answer(error)

    @app.errorhandler(InternalServerError)
    def handle_outside_the_view(error: InternalServerError) -> tuple[dict[str, Any], int, Any]:
        """What Flask raises for a failure after the view (an after-request hook): answered
        from the original exception, so a lost database is still 503."""
        original = error.original_exception or error
        app.logger.error("error after the view", exc_info=original)
        discard_session()
        return failure_answer(original)


def last_resort(app: Flask) -> None:
    """Wrap the whole WSGI app (call last in create_app): see LastResort."""
    app.wsgi_app = LastResort(app.wsgi_app, app.logger)  # type: ignore[method-assign]


class LastResort:
    """WSGI middleware: an exception that escapes the app (a teardown that raises, a body that
    fails while it is produced) is answered with the JSON envelope, not the server's HTML page.

    The app's status and headers are held until the first bytes of its body, so an error
    before then replaces them whole. Once bytes have gone out nothing can be replaced: the
    error is logged and the connection cut, which a client sees as a transport failure.
    """

    def __init__(self, wsgi_app: WSGIApp, logger: logging.Logger) -> None:
        self.wsgi_app, self.logger = wsgi_app, logger

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterator[bytes]:
        return _GuardedAnswer(self, environ, start_response).chunks()


class _GuardedAnswer:
    """One request through LastResort: the held status line and headers, and whether sent."""

    def __init__(self, guard: LastResort, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> None:
        self.guard, self.environ, self.start_response = guard, environ, start_response
        self.held: tuple[str, list[tuple[str, str]]] | None = None
        self.write: Callable[[bytes], Any] | None = None

    def hold(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and self.write is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        self.held = (status, list(headers))
        return self.write_through

    def write_through(self, data: bytes) -> None:
        self.send_headers()(data)

    def send_headers(self) -> Callable[[bytes], Any]:
        if self.write is None:
            assert self.held is not None, "the app sent a body before start_response"
            self.write = self.start_response(*self.held)
        return self.write

    def chunks(self) -> Iterator[bytes]:
        try:
            body = self.guard.wsgi_app(self.environ, self.hold)
        except Exception as error:  # anything escaping Flask gets the envelope
            yield self.fail(error)
            return
        try:
            for chunk in body:
                if chunk:
                    self.send_headers()
                    yield chunk
            self.send_headers()
        except Exception as error:
            if self.write is not None:
                self.guard.logger.error("answer cut after its headers were sent", exc_info=error)
                raise
            yield self.fail(error)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as error:  # the answer is out; keep serving
                    self.guard.logger.error("closing an answer failed", exc_info=error)

    def fail(self, error: Exception) -> bytes:
        self.guard.logger.error("error outside the app's handlers", exc_info=error)
        body, status, headers = failure_answer(error)
        data = json.dumps(body).encode()
        line = f"{status} {STATUS_NAMES[status]}"
        all_headers = [*LAST_RESORT_HEADERS, *headers.items(), ("Content-Length", str(len(data)))]
        self.write = self.start_response(line, all_headers)
        return data
