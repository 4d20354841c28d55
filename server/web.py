"""Serves the built web app at / and Swagger UI's own files (the docs page works offline)."""

from __future__ import annotations

import os

import flask_swagger_ui
from flask import Blueprint, Flask, Response, current_app, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.routing import PathConverter

blp = Blueprint("web", __name__)

# The app shell must revalidate so a new release is seen; hashed assets never change.
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
# Pages without an icon link (the API docs) make the browser ask for /favicon.ico: the app's icon.
FAVICON = "icons/icon-192.png"


def _dist() -> str:
    return str(current_app.config["PWA_DIST"])


def _send(filename: str) -> Response:
    """send_from_directory, read into memory: the files are small, and flask-compress would
    otherwise wrap the open file in a generator that drops its close() (a leaked handle each)."""
    response = send_from_directory(_dist(), filename)
    response.direct_passthrough = False
    response.make_sequence()
    return response


@blp.get("/")
def index() -> Response:
    path = os.path.join(_dist(), "index.html")
    if not os.path.exists(path):
        raise NotFound("The web app is not built yet: run `make run` (or `make pwa`).")
    response = _send("index.html")
    response.headers["Cache-Control"] = NO_CACHE
    return response


class AppPath(PathConverter):
    """A path of the web app: anything but the API's, so an API path's methods (its `Allow`
    and its 405) are the API's alone and not also this catch-all's GET."""

    regex = r"(?!api/)[^/].*?"


@blp.get("/<app_path:filename>")
def asset(filename: str) -> Response:
    if filename == "favicon.ico":
        filename = FAVICON
    full = os.path.join(_dist(), filename)
    if not os.path.isfile(full):
        # Client-side routes fall back to the shell; anything with a dot is a missing file.
        if "." in os.path.basename(filename):
            raise NotFound()
        return index()
    response = _send(filename)
    response.headers["Cache-Control"] = IMMUTABLE if filename.startswith("assets/") else NO_CACHE
    if filename == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/"
    return response


class _StaticInMemory(Blueprint):
    """Static files read into memory, for the reason _send gives."""

    def send_static_file(self, filename: str) -> Response:
        response = super().send_static_file(filename)
        response.direct_passthrough = False
        response.make_sequence()
        return response


swagger_dist = _StaticInMemory(
    "swagger_ui_dist",
    __name__,
    static_folder=os.path.join(os.path.dirname(flask_swagger_ui.__file__), "dist"),
    static_url_path="/swagger-ui-dist",
)


def init_app(app: Flask) -> None:
    app.url_map.converters["app_path"] = AppPath
    app.register_blueprint(swagger_dist)
    app.register_blueprint(blp)
