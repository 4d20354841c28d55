"""Configuration classes for the app factory; every value can come from the environment."""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from datetime import timedelta

# An access token only needs to outlive one sync round; short so a stolen one is useless soon.
ACCESS_TOKEN_MINUTES = 15
# A refresh token must outlive a whole shift offline (12 h) plus a day off; a revoked device
# is refused at once anyway, whatever its token's age.
REFRESH_TOKEN_DAYS = 3
# The largest request body taken (413 beyond): the biggest legitimate one is a push of 500 ops
# (MAX_PUSH_BATCH); most ops are well under 1 kB, a note of a few thousand characters a few kB,
# so 500 of 16 KiB each. A bigger body (a 10 MB note) is refused before anything is read or
# kept; a client answered 413 sends its outbox in smaller batches.
MAX_REQUEST_BYTES = 500 * 16 * 1024


class Config:
    """Defaults for development; read from the environment at app creation."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    # Sync pushes and pulls running at once per process (server/sync/admission.py). With 2
    # workers on 2 cores, 2 each keep PostgreSQL busy: measured, bench/reconnect_storm.py
    # 5.9 s at 2 against 6.5 s at 8, and a backup request waits behind fewer pushes.
    SYNC_CONCURRENCY = 2
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=ACCESS_TOKEN_MINUTES)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=REFRESH_TOKEN_DAYS)
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ERROR_MESSAGE_KEY = "message"
    MAX_CONTENT_LENGTH = MAX_REQUEST_BYTES

    API_TITLE = "HEART Field API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    # Served from flask-swagger-ui's own files: the docs page needs no internet.
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/swagger-ui-dist/"
    # No badge from the public validator: the page must not call out (nor could it, under CSP).
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
    API_SPEC_OPTIONS = {
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "the access token (login, refresh)"},
                "refreshToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                 "description": "the refresh token (login, or the last"
                                                " refresh): POST /api/v1/auth/refresh only"},
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

    # Background jobs (server/jobs.py); the scheduler is off in tests and CLI commands.
    SCHEDULER_ENABLED = False
    # The scheduled jobs, "module:attribute" naming a server.jobs.Job; a feature adds its own.
    JOBS = ["server.jobs:FEED_PURGE", "server.locations.jobs:LOCATION_RETENTION",
            "server.supplies.jobs:SUPPLY_ALERTS", "server.stream.jobs:STREAM_RETENTION"]

    # A lot with stock is flagged this many days before it expires: a month is the time to
    # use it first (FEFO) or move it to a busier kit, and to order its replacement (naloxone
    # orders take two to three weeks to arrive).
    SUPPLY_NEAR_EXPIRY_DAYS = 30

    # Tombstones and change-feed rows are kept this long; an older cursor must resync.
    SYNC_RETENTION_DAYS = 30
    # The synced features: modules whose `register(kinds)` adds synced kinds
    # (server.sync.kinds), in pull order: a kind's parents first. The one list: the reference
    # registry (server.kinds) takes each feature's pure kinds from `<feature>.kinds`.
    SYNC_KINDS = ["server.supplies.sync", "server.calls.sync", "server.locations.sync",
                  "server.fieldlogs.sync"]

    # Location history: points older than this are deleted by a daily job.
    LOCATION_RETENTION_DAYS = 90
    # Days of a unit's track (the export) begin at midnight here.
    DEPARTMENT_TIMEZONE = "America/New_York"
    # The tablet's position recording (GET /api/v1/settings/field). One point every 30 s is
    # a street block at city driving speed, about 1,400 points in a 12-hour shift.
    LOCATION_INTERVAL_SECONDS = 30
    # A fix less accurate than this is dropped: 100 m still tells which block a unit is on.
    LOCATION_MIN_ACCURACY_M = 100
    # Within the interval, a new point only when the unit moved this far: more than GPS
    # jitter outdoors (5 to 20 m), about half a block, so a turn while driving is kept.
    LOCATION_MIN_MOVE_M = 50

    # Backup requests (server/backups). Units on shift within this distance of the request
    # get the first alert: about ten minutes' drive across the city's centre.
    BACKUP_RADIUS_M = 5000
    # Tier 0 (the first alert) waits this long for a supervisor or dispatcher to answer: a
    # minute is long for a crew in danger, short enough that a missed alert is retried soon.
    BACKUP_ALERT_TIMEOUT_SECONDS = 60
    # Each tier widens the audience and waits its own timeout; after the last one's, the
    # request is broadcast to everyone signed in. About six minutes from the press to the
    # broadcast: the time it takes a second team across the city to arrive anyway.
    BACKUP_ESCALATION = [
        {"name": "re_alert", "timeout_seconds": 60},  # the same people again, louder
        {"name": "wider_radius", "timeout_seconds": 60, "radius_m": 15000},  # most of the city
        {"name": "supervisor_on_call", "timeout_seconds": 90},  # a person, by name
        {"name": "all_units", "timeout_seconds": 120},  # every unit on shift
    ]
    # Each process's scheduler sweeps this often: an escalation is at most this late.
    BACKUP_SWEEP_SECONDS = 5
    # A crew on scene this long with no status change and no check-in is asked to check in:
    # most welfare checks are over in 20 minutes.
    CHECKIN_AFTER_MINUTES = 20
    # Call type code -> minutes, for the types that run longer (or shorter) than most.
    CHECKIN_AFTER_MINUTES_BY_CALL_TYPE: dict[str, int] = {}
    # An unanswered prompt raises a backup request after this: three minutes to find the
    # tablet and press once, in a conversation that cannot be interrupted at once.
    CHECKIN_GRACE_SECONDS = 180
    # Officer time saved by a call HEART took instead of the police (the diversion indicator):
    # minutes of officer time per call, by call type code, and for every other type. No
    # published per-call-type figure for Durham was found: these are placeholders a department
    # sets from its own CAD (the police units' time on scene per call type). The default is
    # the median duration of 200 police mental-health calls in one study (University of New
    # Brunswick, 2025, "Police-Citizen Mental Health Call Duration and Associations with Call
    # Outcomes": median 43 minutes), not a Durham figure.
    INDICATOR_OFFICER_MINUTES: dict[str, int] = {}
    INDICATOR_OFFICER_MINUTES_DEFAULT = 43

    # The supervisor's board map: a GeoJSON FeatureCollection of streets and districts drawn
    # under the units (None: a plain coordinate grid). Read once, then served with an ETag.
    BASEMAP_PATH: str | None = None
    # A basemap bigger than this is refused at load: the board redraws it on every tablet,
    # and a city's streets simplified for a wall display fit in a few megabytes.
    BASEMAP_MAX_BYTES = 8 * 1024 * 1024
    # The live stream: a comment this often keeps proxies and mobile networks from closing an
    # idle stream (most drop idle connections after 30 to 60 s); the device and sign-in are
    # checked again as often, so a revoked tablet's stream ends within this time.
    STREAM_KEEPALIVE_SECONDS = 15
    # A stream ends after this long and the client resumes at once with Last-Event-ID (nothing
    # is missed): after a deploy or a worker added, the reconnects spread the listeners over
    # every worker instead of leaving them on the old ones all shift.
    STREAM_MAX_SECONDS = 30 * 60
    # Stream events are kept this long; a tablet resuming from older is told to reset (it
    # refetches state, which it does anyway after a shift off).
    STREAM_RETENTION_DAYS = 30

    # Notifiers (server/notifiers): "module:attribute" naming a server.notifiers.base.Notifier.
    NOTIFIERS = ["server.notifiers.webhook:WEBHOOK", "server.notifiers.push:WEB_PUSH"]
    # Send queued notifications from this process even with the scheduler off (the
    # scheduler's processes always do).
    NOTIFIER_DISPATCH = False
    # The department's SMS/voice gateway; empty: no webhook. The secret signs both ways.
    ALERT_WEBHOOK_URL = ""
    ALERT_WEBHOOK_SECRET = ""
    # The events worth a phone call or a text: a crew asking for help, and every louder step.
    ALERT_WEBHOOK_EVENTS = ["backup.requested", "backup.escalated", "backup.broadcast"]
    # Web Push: the server's VAPID private key (PEM, or the base64url raw key); empty: one is
    # made once under instance/ outside production, and production has no web push.
    VAPID_PRIVATE_KEY = ""
    # Who push services write to about this server's pushes (a mailto: or https: URL).
    VAPID_SUBJECT = "mailto:it@heart.invalid"
    # The events that wake a tablet: help asked for and every louder step, help on its way,
    # and a crew's check-in falling due.
    PUSH_EVENTS = ["backup.requested", "backup.escalated", "backup.broadcast",
                   "backup.acknowledged", "checkin.due"]

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
        for name in ("LOCATION_RETENTION_DAYS", "LOCATION_INTERVAL_SECONDS",
                     "LOCATION_MIN_ACCURACY_M", "LOCATION_MIN_MOVE_M", "SUPPLY_NEAR_EXPIRY_DAYS",
                     "BACKUP_RADIUS_M", "BACKUP_ALERT_TIMEOUT_SECONDS", "BACKUP_SWEEP_SECONDS",
                     "CHECKIN_AFTER_MINUTES", "CHECKIN_GRACE_SECONDS", "BASEMAP_MAX_BYTES",
                     "STREAM_KEEPALIVE_SECONDS", "STREAM_MAX_SECONDS", "STREAM_RETENTION_DAYS",
                     "SYNC_CONCURRENCY", "INDICATOR_OFFICER_MINUTES_DEFAULT"):
            if number := os.environ.get(name):
                values[name] = int(number)
        for name in ("BACKUP_ESCALATION", "CHECKIN_AFTER_MINUTES_BY_CALL_TYPE",
                     "INDICATOR_OFFICER_MINUTES"):
            if text := os.environ.get(name):  # JSON, shaped like the default
                values[name] = json.loads(text)
        if os.environ.get("NOTIFIER_DISPATCH") == "1":
            values["NOTIFIER_DISPATCH"] = True
        for name in ("ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET", "VAPID_PRIVATE_KEY",
                     "VAPID_SUBJECT"):
            if text := os.environ.get(name):
                values[name] = text
        if text := os.environ.get("ALERT_WEBHOOK_EVENTS"):  # comma-separated event types
            values["ALERT_WEBHOOK_EVENTS"] = [t.strip() for t in text.split(",") if t.strip()]
        if text := os.environ.get("PUSH_EVENTS"):  # comma-separated event types
            values["PUSH_EVENTS"] = [t.strip() for t in text.split(",") if t.strip()]
        if basemap := os.environ.get("BASEMAP_PATH"):
            values["BASEMAP_PATH"] = basemap
        if zone := os.environ.get("DEPARTMENT_TIMEZONE"):
            values["DEPARTMENT_TIMEZONE"] = zone
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
    # Estimated bits (secret_bits): a random 32-character hex key (128 bits) estimates 116 (91
    # at worst in 100,000 draws), `secrets.token_urlsafe(48)` about 330; a key of one or a few
    # characters repeated falls far below ("a" * 32: 0, "abcd" * 8: 64).
    MIN_SECRET_BITS = 80
    # Different characters: a random 32-character hex key has 14 (9 at worst in 100,000 draws);
    # a long key repeating a few ("ab" * 40 estimates 80 bits) has fewer.
    MIN_SECRET_DISTINCT = 8


def weak_secret(key: str | None) -> bool:
    """Missing, short, or made of too few different characters for production."""
    return (not key or len(key) < ProductionConfig.MIN_SECRET_LENGTH
            or len(set(key)) < ProductionConfig.MIN_SECRET_DISTINCT
            or secret_bits(key) < ProductionConfig.MIN_SECRET_BITS)


def secret_bits(key: str) -> float:
    """An estimate of a key's entropy: its length times the Shannon entropy of its characters.
    It cannot tell a random key from a long phrase, only catch keys made of few characters."""
    counts = Counter(key)
    return -sum(n * math.log2(n / len(key)) for n in counts.values())


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
}
