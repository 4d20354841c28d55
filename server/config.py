"""Configuration classes for the app factory; every value can come from the environment."""

from __future__ import annotations

import os
from datetime import timedelta

# An access token only needs to outlive one sync round; short so a stolen one is useless soon.
ACCESS_TOKEN_MINUTES = 15
# A refresh token must outlive a whole shift offline (12 h) plus a day off; a revoked device
# is refused at once anyway, whatever its token's age.
REFRESH_TOKEN_DAYS = 3


class Config:
    """Defaults for development; read from the environment at app creation."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=ACCESS_TOKEN_MINUTES)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=REFRESH_TOKEN_DAYS)
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ERROR_MESSAGE_KEY = "message"

    API_TITLE = "HEART Field API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    # Served from flask-swagger-ui's own files: the docs page needs no internet.
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/swagger-ui-dist/"
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
        "security": [{"bearerAuth": []}],
    }

    # Argon2id parameters (argon2-cffi's RFC 9106 low-memory profile).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 65536
    # Sign-in throttle (server/auth/throttle.py): failures per user name + address and per
    # address; past the free ones each try waits twice as long as the last, up to the cap.
    # Five covers typos and a caps lock; a guessing run is down to a few tries an hour soon.
    LOGIN_FREE_FAILURES_PER_NAME = 5
    # A station's crews sign in from one NAT address at shift change, typos included.
    LOGIN_FREE_FAILURES_PER_ADDRESS = 30
    LOGIN_DELAY_BASE_SECONDS = 1
    # Capped at 15 minutes: the right person can still try again after a break.
    LOGIN_DELAY_CAP_SECONDS = 900
    # Failures are forgotten a day after the last one (the scheduled purge drops them).
    LOGIN_WINDOW_SECONDS = 86400
    # Reverse proxies in front of the app whose X-Forwarded-For is believed (werkzeug's
    # ProxyFix); 0 = none, the socket's address is the client's (a forged header is ignored).
    TRUSTED_PROXIES = 0

    # Pull pages and the app shell travel over weak cellular links: gzip what is worth it.
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_MIMETYPES = ["application/json", "text/html", "text/css", "text/javascript",
                          "application/javascript", "application/manifest+json"]
    COMPRESS_MIN_SIZE = 1024

    # Background jobs (feed purge); off in tests and CLI commands.
    SCHEDULER_ENABLED = False

    # Tombstones and change-feed rows are kept this long; an older cursor must resync.
    SYNC_RETENTION_DAYS = 30

    PWA_DIST = os.path.join(os.path.dirname(os.path.dirname(__file__)), "pwa", "dist")

    @classmethod
    def from_env(cls) -> dict[str, object]:
        """Values the environment overrides; read only inside create_app."""
        values: dict[str, object] = {}
        if url := os.environ.get("DATABASE_URL"):
            values["SQLALCHEMY_DATABASE_URI"] = url
        if key := os.environ.get("SECRET_KEY"):
            values["SECRET_KEY"] = key
        if os.environ.get("HEART_SCHEDULER") == "1":
            values["SCHEDULER_ENABLED"] = True
        if days := os.environ.get("SYNC_RETENTION_DAYS"):
            values["SYNC_RETENTION_DAYS"] = int(days)
        if proxies := os.environ.get("TRUSTED_PROXIES"):
            values["TRUSTED_PROXIES"] = int(proxies)
        return values


class DevelopmentConfig(Config):
    """Zero set-up: SQLite under instance/, a generated secret kept under instance/."""


class ProductionConfig(Config):
    """Refuses to start without a real SECRET_KEY and an explicit DATABASE_URL."""

    ENV_NAME = "production"
    # Fewer than this many characters is not a real secret for HS256 signing.
    MIN_SECRET_LENGTH = 32


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
}
