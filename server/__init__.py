"""HEART Field API: the app factory.

Flask is imported when an app is made, not with the package: the features' pure record
kinds (`server.calls.kinds`, `server.locations.kinds`) serve the sync engine's tests and the
reference client without it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from server.config import CONFIGS, Config, ProductionConfig, weak_secret
from server.version import __version__

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: type[Config] | Mapping[str, Any] | None = None) -> Flask:
    """Build the app. `config` is a Config class, a mapping of overrides, or None
    (then HEART_ENV picks development or production and the environment fills it in)."""
    from flask import Flask

    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    os.makedirs(app.instance_path, exist_ok=True)
    config_class = config if isinstance(config, type) else CONFIGS[os.environ.get("HEART_ENV", "development")]
    app.config.from_object(config_class)
    app.config.update(config_class.from_env())
    if isinstance(config, Mapping):
        app.config.update(config)
    app.config["API_VERSION"] = __version__
    _configure_database(app)
    _configure_secret(app, config_class)
    app.config["JWT_SECRET_KEY"] = app.config["SECRET_KEY"]

    from server import cli, database, errors, jobs, security, sqlite, web
    from server.auth import guard
    from server.backups import sweep as backups_sweep
    from server.cad import cli as cad_cli
    from server.care import cli as care_cli
    from server.extensions import api, compress, db, jwt, migrate
    from server.indicators import cli as indicators_cli
    from server.jsonio import OrjsonProvider
    from server.notifiers import base as notifiers
    from server.notifiers import dispatcher as notifier_dispatcher
    from server.notifiers import push
    from server.sync import feed
    from server.sync import kinds as sync_kinds
    from server.sync import openapi as sync_openapi
    from server.sync.admission import SyncAdmission

    app.json = OrjsonProvider(app)
    db.init_app(app)
    database.init_app(app)
    sqlite.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    jwt.init_app(app)
    compress.init_app(app)
    api.init_app(app)
    feed.install()
    sync_kinds.install(app)
    guard.init_app(app)
    errors.init_app(app)
    _register_blueprints(app)
    sync_openapi.publish_kinds(api.spec, sync_kinds.kinds_of(app).records)
    web.init_app(app)
    cli.init_app(app)
    cad_cli.init_app(app)
    care_cli.init_app(app)
    indicators_cli.init_app(app)
    jobs.init_app(app)
    backups_sweep.init_app(app)
    push.configure_vapid(app)
    notifiers.init_app(app)
    notifier_dispatcher.init_app(app)
    security.init_app(app)
    app.wsgi_app = SyncAdmission(app.wsgi_app, int(app.config["SYNC_CONCURRENCY"]))  # type: ignore[method-assign]
    _trust_proxies(app)
    errors.last_resort(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Read the client's address (and scheme) through TRUSTED_PROXIES reverse proxies."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    count = int(app.config["TRUSTED_PROXIES"])
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def _configure_database(app: Flask) -> None:
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        if app.config["ENV_NAME"] == "production":
            raise RuntimeError("DATABASE_URL must be set in production.")
        path = os.path.join(app.instance_path, "heart.sqlite")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"


def _configure_secret(app: Flask, config_class: type[Config]) -> None:
    key = app.config.get("SECRET_KEY")
    if app.config["ENV_NAME"] == "production":
        if weak_secret(key):
            raise RuntimeError(
                f"SECRET_KEY must be set to at least {ProductionConfig.MIN_SECRET_LENGTH} "
                "random characters in production (this one is missing, short or made of too "
                "few different characters); make one with: python3 -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'"
            )
        return
    if key:
        return
    path = os.path.join(app.instance_path, "secret_key")
    if not os.path.exists(path):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    with open(path) as fh:
        app.config["SECRET_KEY"] = fh.read().strip()


def _register_blueprints(app: Flask) -> None:
    # The stream's tables, for the features that publish before any stream route exists.
    import server.stream.models  # noqa: F401
    from server.audit.routes import blp as audit_blp
    from server.auth.routes import blp as auth_blp
    from server.backups.routes import blp as backups_blp
    from server.board.routes import blp as board_blp
    from server.cad.routes import blp as cad_blp
    from server.calls.routes import blp as calls_blp
    from server.care.routes import blp as care_blp
    from server.dispatch.routes import blp as dispatch_blp
    from server.dispositions.routes import blp as dispositions_blp
    from server.extensions import api
    from server.fieldlogs.routes import blp as fieldlogs_blp
    from server.health.routes import blp as health_blp
    from server.indicators.routes import blp as indicators_blp
    from server.locations.routes import blp as locations_blp
    from server.notifiers.routes import blp as notifiers_blp
    from server.people.routes import blp as people_blp
    from server.stream import services as stream_services
    from server.stream.routes import blp as stream_blp
    from server.supplies.routes import blp as supplies_blp
    from server.sync.routes import blp as sync_blp
    from server.sync.schemas import document as document_sync
    from server.units.routes import blp as units_blp

    document_sync(api)
    for blueprint in (auth_blp, units_blp, locations_blp, calls_blp, supplies_blp, audit_blp,
                      sync_blp, fieldlogs_blp, backups_blp, board_blp, stream_blp,
                      notifiers_blp, cad_blp, dispatch_blp, indicators_blp, care_blp,
                      dispositions_blp, people_blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(health_blp)
    stream_services.init_app(app)
