"""Configuration: the only module that reads environment variables, and the one owner of every
setting's type.

``Config`` lists every setting with its type and default. ``Config.from_env`` reads the
environment; ``create_app`` loads a ``Config`` into an ``AppConfig`` (the app's ``app.config``),
which converts and checks each known key whenever it is set, so a bad value stops the start
with the variable's name and the reason, and a value set later (a test, a fixture) is checked
the same way. Consumers read the typed values through ``settings()``, never raw strings.
Tests and jobs pass explicit settings; nothing touches the environment at import time.
The reference is docs/configuration.md (its tables list every field here).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, Field, asdict, dataclass, field, fields
from datetime import timedelta
from functools import cache
from ipaddress import ip_network
from types import MethodType
from typing import Annotated, Any, get_type_hints

from annotated_types import Ge, Le
from flask import Config as FlaskConfig
from flask import Flask, Request, current_app
from flask.sessions import NullSession, SessionInterface
from pydantic import AfterValidator, BeforeValidator, TypeAdapter, ValidationError

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/fieldops"

# Signs every token: public in this repository, so only development and tests may use it.
DEV_SECRET_KEY = "dev-only-change-me"
MIN_SECRET_KEY_LENGTH = 32
DEVELOPMENT = "development"

# Respond / resolve windows per priority, in hours (docs/configuration.md).
DEFAULT_SLA_POLICY: dict[str, tuple[float, float]] = {
    "P1": (1, 4),
    "P2": (4, 8),
    "P3": (8, 24),
    "P4": (24, 72),
}

# Read from the environment under their bare names too (``FIELDOPS_<NAME>`` wins when both are
# set, as it always has: it used to override through ``EXTRA``).
BARE_ENV_NAMES = frozenset(
    {
        "DATABASE_URL",
        "DATABASE_DIRECT_URL",
        "DATABASE_REPLICA_URLS",
        "REDIS_URL",
        "SECRET_KEY",
        "MEDIA_ROOT",
        "PUBLIC_BASE_URL",
        "FIREBASE_CREDENTIALS",
    }
)
# Fields whose variable is not ``FIELDOPS_<FIELD>``.
ENV_NAMES = {"ENVIRONMENT": "FIELDOPS_ENV"}


# The longest request target (path and query string, as sent) the API reads: the app answers a
# longer one with its JSON 414 (backend/api/request_guards.py), and gunicorn's own error pages,
# for what it refuses before the app runs (past its ``limit_request_line``), say the same.
MAX_URL_BYTES = 4096


class SettingError(ValueError):
    """A setting's value is not of its kind: the message names the variable and the reason."""


def _normalise_db_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` spellings; pin the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_NUMBER = re.compile(r"\s*-?\d+(\.\d*)?\s*")


def _seconds(value: Any) -> Any:
    """A duration given as a number (or a numeric string) is seconds; ISO 8601 works too."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value)
    return value


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


DatabaseUrl = Annotated[str, AfterValidator(_normalise_db_url)]
DatabaseUrls = Annotated[tuple[DatabaseUrl, ...], BeforeValidator(_comma_list)]
BaseUrl = Annotated[str, AfterValidator(lambda url: url.rstrip("/"))]
Lowered = Annotated[str, AfterValidator(lambda value: value.strip().lower())]
Duration = Annotated[timedelta, BeforeValidator(_seconds)]
Count = Annotated[int, Ge(0)]
Positive = Annotated[float, Ge(0)]
IntList = Annotated[tuple[Count, ...], BeforeValidator(_comma_list)]
Networks = Annotated[
    tuple[Annotated[str, AfterValidator(lambda n: str(ip_network(n, strict=False)))], ...],
    BeforeValidator(_comma_list),
]
SlaPolicy = Annotated[dict[str, tuple[float, float]], BeforeValidator(_json)]


@dataclass
class Config:
    DATABASE_URL: DatabaseUrl = DEFAULT_DATABASE_URL
    # Set when ``DATABASE_URL`` is a transaction pooler (PgBouncer): migrations and other DDL
    # go here, and nothing is sent in the startup packet that a pooler refuses (docs/deployment.md).
    DATABASE_DIRECT_URL: DatabaseUrl | None = None
    # Streaming replicas for the heavy reads (sync pull, lists, reports): comma-separated.
    # One lagging more than REPLICA_MAX_LAG_S is skipped (backend/replicas.py).
    DATABASE_REPLICA_URLS: DatabaseUrls = ()
    REPLICA_MAX_LAG_S: Positive = 5.0
    REDIS_URL: str | None = None
    SECRET_KEY: str = DEV_SECRET_KEY
    MEDIA_ROOT: str = "./var/media"
    PUBLIC_BASE_URL: BaseUrl = "http://127.0.0.1:8000"
    FIREBASE_CREDENTIALS: str | None = None
    TESTING: bool = False
    # ``FIELDOPS_ENV``: "development" allows the dev SECRET_KEY; anything else is production.
    ENVIRONMENT: Lowered = "production"
    # Reverse proxies in front whose ``X-Forwarded-*`` headers are trusted (backend.trust_proxies).
    TRUSTED_PROXIES: Count = 0

    # Auth: engineers may be offline for days, so refresh tokens live long; they rotate on
    # every refresh and die with their session (docs/security.md).
    JWT_ACCESS_TOKEN_EXPIRES: Duration = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES: Duration = timedelta(days=30)
    # A rotated refresh token presented again within this many seconds is a lost answer being
    # retried (flaky mobile network), not theft: it rotates again instead of revoking.
    REFRESH_REUSE_GRACE_S: Count = 30
    # Failed logins slow down the (account, address) pair: a few free, then 2 s, 4 s, ... up to
    # 15 min. The per-account ceiling only stops an attack from many addresses at once.
    LOGIN_BACKOFF_FREE_FAILURES: Count = 3
    LOGIN_BACKOFF_BASE_S: Count = 2
    LOGIN_BACKOFF_MAX_S: Count = 900
    LOGIN_BACKOFF_WINDOW_S: Count = 24 * 3600
    LOGIN_LIMIT_PER_ACCOUNT: str = "200 per hour"
    LOGIN_LIMIT_PER_IP: str = "30 per 15 minutes"
    # Requests per API key (a key's own ``rate_limit_per_minute`` overrides it), and how often
    # at most a key's ``last_used_at`` is written (docs/api-keys.md).
    API_KEY_RATE_LIMIT: str = "600 per minute"
    # A password set-up link (imported engineers, docs/security.md) lives this long, and the
    # endpoint redeeming it is limited per client address.
    PASSWORD_SETUP_TTL_S: Annotated[int, Ge(60)] = 3 * 24 * 3600
    PASSWORD_SETUP_LIMIT_PER_IP: str = "10 per 15 minutes"
    API_KEY_LAST_USED_EVERY_S: Count = 60
    METRICS_TOKEN: str | None = None
    # Without REDIS_URL each API process counts its own limits; more than one process then
    # refuses to start unless this says per-process limits are acceptable.
    RATELIMIT_PER_PROCESS_OK: bool = False

    # Public (anonymous) endpoints.
    PUBLIC_REPORT_LIMIT_PER_IP: str = "10 per hour"
    PUBLIC_REPORT_LIMIT_PER_TOKEN: str = "20 per hour"
    PUBLIC_READ_LIMIT_PER_IP: str = "120 per minute"
    PUBLIC_REPORT_PRIORITY: str = "P3"
    PUBLIC_REPORT_DEDUPE_S: Count = 600
    PUBLIC_PWA_PAGE: str | None = None
    MAX_CONTENT_LENGTH: Count = 25 * 1024 * 1024
    MAX_JSON_BYTES: Count = 256 * 1024
    # The public forms carry a few kilobytes of text at most: refused (413) before parsing.
    PUBLIC_MAX_BODY_BYTES: Count = 16 * 1024

    SLA_POLICY: SlaPolicy = field(default_factory=lambda: dict(DEFAULT_SLA_POLICY))
    SLA_AT_RISK_FRACTION: Positive = 0.75
    SLA_SCAN_INTERVAL_S: Count = 60
    # How often maintenance plans' tickets are generated (docs/maintenance.md, Generation).
    MAINTENANCE_GENERATE_INTERVAL_S: Count = 600
    # Reports: how often the rollups catch up with the change log (docs/kpis.md, Rollups).
    REPORTS_ROLLUP_INTERVAL_S: Count = 30
    # First-time fix (docs/kpis.md): a new ticket on the same asset within this many days of a
    # completion makes that completion a repeat fault.
    FIRST_FIX_WINDOW_DAYS: Annotated[int, Ge(1)] = 30
    # Report and time-sheet exports run as jobs (docs/kpis.md, Exports): the rq timeout of one,
    # and how long its file stays downloadable.
    EXPORT_TIMEOUT_S: Count = 900
    EXPORT_TTL_S: Count = 86_400
    # Bulk imports (docs/imports.md): the largest file (413 above it), the most rows a file
    # may hold (its dry run runs in the request: ~100,000 XLSX rows fit well inside gunicorn's
    # 60 s), and the rq timeout of one apply.
    IMPORT_MAX_BYTES: Count = 20 * 1024 * 1024
    IMPORT_MAX_ROWS: Annotated[int, Ge(1)] = 120_000
    IMPORT_TIMEOUT_S: Count = 1800

    # Sign-off: JSON or a dict, parsed and checked by backend.signoff.rules at start-up.
    COMPLETION_RULES: str | dict[str, Any] | None = None
    REPORT_FONT_DIR: str | None = None

    # Media: S3-compatible bucket, else files under MEDIA_ROOT (backend.media.storage).
    S3_BUCKET: str | None = None
    S3_ENDPOINT_URL: str | None = None
    S3_ACCESS_KEY_ID: str | None = None
    S3_SECRET_ACCESS_KEY: str | None = None
    S3_REGION: str = "us-east-1"
    MEDIA_URL_TTL_S: Count = 300
    PHOTO_MAX_BYTES: Count = 20 * 1024 * 1024
    PHOTO_MAX_PIXELS: Count = 50_000_000  # a 50 MP phone sensor; 12 MP is the common case
    # Anonymous uploads (the customer report page): phones save 12 MP by default.
    PUBLIC_PHOTO_MAX_PIXELS: Count = 16_000_000
    # The one full-size image a rendition decodes may take at most this many bytes (Pillow
    # keeps 1 byte a pixel for 1/L/P, 2 for I;16, 4 for every other mode, RGB included; WebP's
    # decoder holds copies of its own, see media.processing.WEBP_COPIES). With everything else
    # the rendition holds (tiles of at most a few MB, the reduced image), a fresh process peaks
    # well under the 300 MB the media benchmark promises (tests/media/test_decode_budget.py
    # measures it). Checked by media.processing.check_decode_budget.
    PHOTO_DECODE_BUDGET_BYTES: Count = 128 * 2**20
    PUBLIC_PHOTOS_PER_TICKET: Count = 3
    PUBLIC_PHOTO_LIMIT: str = "10 per hour"

    # Booking on the tracking page (backend.booking.settings checks them; docs/planned-work.md).
    BOOKING_PRIORITIES: str = "P3,P4"
    BOOKING_TIMEZONE: str = "Europe/Berlin"
    BOOKING_SLOT_MIN: Annotated[int, Ge(15)] = 120
    BOOKING_DAY_START_H: Annotated[int, Ge(0)] = 8
    BOOKING_DAY_END_H: Annotated[int, Ge(1)] = 18
    BOOKING_DAYS_AHEAD: Annotated[int, Ge(1)] = 5
    BOOKING_LEAD_MIN: Count = 120
    BOOKING_SLOT_CAPACITY: Annotated[int, Ge(1)] = 2
    BOOKING_REBOOK_CUTOFF_H: Positive = 24.0
    PUBLIC_BOOKING_LIMIT_PER_IP: str = "20 per hour"

    # Dispatch (backend.dispatch.settings checks the regions and the weights version).
    AUTO_DISPATCH: bool = False
    AUTO_DISPATCH_REGIONS: str = ""
    DISPATCH_SPEED_KMH: Positive = 40.0
    DISPATCH_DETOUR: Positive = 1.3
    LOCATION_STALE_MIN: Positive = 30.0
    DISPATCH_MAX_TRAVEL_MIN: Positive = 180.0
    DISPATCH_SERVICE_MIN: Positive = 60.0
    DISPATCH_QUEUE_TRAVEL_MIN: Positive = 20.0
    DISPATCH_K: Count = 25
    DISPATCH_WEIGHTS_VERSION: str | None = None
    OPTIMIZE_BUDGET_S: Positive = 9.0
    OPTIMIZE_TIMEOUT_S: Count = 120
    OPTIMIZE_SYNC_MAX_TICKETS: Count = 60
    OPTIMIZE_MEMORY_MB: Positive = 1536.0

    # Sync change-log retention (0 or less: purge everything; tests use it).
    SYNC_RETENTION_DAYS: float = 30.0
    SYNC_PURGE_INTERVAL_S: Count = 86_400

    # Server-side limits on every database connection (milliseconds; 0 disables). A
    # transaction left open holds row locks and the cluster-wide sync pull horizon.
    DB_STATEMENT_TIMEOUT_MS: Count = 30_000
    DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: Count = 60_000
    # psycopg prepares a statement server-side after this many runs on one connection. Unset:
    # never, because behind a transaction pooler the next run lands on another server
    # connection (where the name is unknown, or another client's statement).
    DB_PREPARE_THRESHOLD: Count | None = None

    # Job queues; rq job timeout for ordinary jobs.
    JOB_TIMEOUT_S: Count = 300
    JOB_RELAY_SWEEP_S: Count = 15

    # Push notifications: seconds between send attempts; another FCM host (tests).
    PUSH_RETRY_INTERVALS: IntList = (10, 60, 300)
    FCM_ENDPOINT: str | None = None

    # Webhooks (docs/webhooks.md): networks a target may resolve into although private,
    # loopback, link-local or reserved (CIDRs, comma-separated; empty: none); bounded timeouts
    # of one attempt; the retry schedule (exponential from BASE, each wait at most MAX, with
    # jitter, for WINDOW after the first attempt); auto-disable once every attempt has failed
    # for DISABLE_AFTER_S and at least DISABLE_MIN_FAILURES attempts in a row failed.
    WEBHOOK_ALLOWED_NETWORKS: Networks = ()
    WEBHOOK_CONNECT_TIMEOUT_S: Annotated[float, Ge(0.1), Le(30)] = 3.0
    WEBHOOK_READ_TIMEOUT_S: Annotated[float, Ge(0.1), Le(60)] = 10.0
    WEBHOOK_RETRY_BASE_S: Annotated[float, Ge(0.1)] = 30.0
    WEBHOOK_RETRY_MAX_INTERVAL_S: Annotated[float, Ge(0.1)] = 3 * 3600.0
    WEBHOOK_RETRY_WINDOW_S: Positive = 24 * 3600.0
    WEBHOOK_DISABLE_AFTER_S: Positive = 24 * 3600.0
    WEBHOOK_DISABLE_MIN_FAILURES: Annotated[int, Ge(1)] = 10

    # Email (docs/email.md). Outbound: off while SMTP_HOST is unset (nothing is recorded);
    # SMTP_SECURITY is "starttls", "ssl" or "none"; EMAIL_FROM the sender of every message and
    # the domain of its Message-ID. Inbound: off while INBOUND_EMAIL_SECRET is unset.
    SMTP_HOST: str | None = None
    SMTP_PORT: Annotated[int, Ge(1), Le(65535)] = 587
    SMTP_SECURITY: Lowered = "starttls"
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TIMEOUT_S: Annotated[float, Ge(0.1), Le(120)] = 15.0
    EMAIL_FROM: str = "fieldops <no-reply@fieldops.invalid>"
    EMAIL_RETRY_INTERVALS: IntList = (30, 300, 1800)
    EMAIL_DEFAULT_LANGUAGE: str = "en"
    EMAIL_TIME_ZONE: str = "UTC"
    EMAIL_ARRIVAL_WINDOW_MIN: Count = 120
    INBOUND_EMAIL_SECRET: str | None = None
    INBOUND_EMAIL_MAX_BYTES: Count = 15 * 1024 * 1024
    INBOUND_EMAIL_LIMIT: str = "120 per minute"
    INBOUND_EMAIL_MAX_PHOTOS: Count = 5

    # Front end (served in /app/config.json by backend.api.pwa).
    PWA_DIST: str | None = None
    MAP_TILE_URL: str | None = None
    MAP_TILE_ATTRIBUTION: str | None = None
    FIREBASE_WEB_CONFIG: str | None = None
    FIREBASE_VAPID_KEY: str | None = None

    # Any other ``FIELDOPS_*`` variable, as a string (e.g. a feature's setting not yet listed).
    EXTRA: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in setting_names():
            for var in env_names(name):
                if var in env:
                    values[name] = coerce(name, env[var], var=var)
        known = {env_name(name) for name in setting_names()}
        extra = {
            key.removeprefix("FIELDOPS_"): value
            for key, value in env.items()
            if key.startswith("FIELDOPS_") and key not in known
        }
        return cls(**values, EXTRA=extra)

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> Config:
        """Typed settings from a plain mapping (a bare Flask app's config, a test's dict)."""
        values = {name: coerce(name, config[name]) for name in setting_names() if name in config}
        return cls(**values)

    def to_flask(self) -> dict[str, Any]:
        data = asdict(self)
        data["JWT_SECRET_KEY"] = self.SECRET_KEY
        data["RATELIMIT_STORAGE_URI"] = self.REDIS_URL or "memory://"
        # No X-RateLimit-* (nor Retry-After) on every limited answer: computing them is a
        # second Redis call per request. A refusal gets its Retry-After (backend.extensions).
        data["RATELIMIT_HEADERS_ENABLED"] = False
        # Redis down must degrade the limits to per-process ones, never fail a login or a
        # customer's report; and a Redis that hangs must be an error in a second, not a hang.
        data["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
        data["RATELIMIT_STORAGE_OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}
        data["API_TITLE"] = "fieldops"
        data["API_VERSION"] = "v1"
        data["OPENAPI_VERSION"] = "3.0.3"
        data["OPENAPI_URL_PREFIX"] = "/api"
        data["OPENAPI_JSON_PATH"] = "v1/openapi.json"
        data["OPENAPI_SWAGGER_UI_PATH"] = "docs"
        data["OPENAPI_SWAGGER_UI_URL"] = "/swagger-ui/"  # served from the PWA build (api/pwa.py)
        # Tags start folded: rendering all ~150 operations at once took Swagger UI over 15 s
        # on a busy machine; a reader opens the area they came for.
        data["OPENAPI_SWAGGER_UI_CONFIG"] = {"docExpansion": "none"}
        data.update({k: v for k, v in self.EXTRA.items()})
        return data


def _fields() -> dict[str, Field[Any]]:
    return {f.name: f for f in fields(Config) if f.name != "EXTRA"}


@cache
def setting_names() -> tuple[str, ...]:
    """Every typed setting (``EXTRA`` aside), in declaration order."""
    return tuple(_fields())


def env_name(name: str) -> str:
    """The environment variable that sets ``name`` (the one the docs list)."""
    if name in BARE_ENV_NAMES:
        return name
    return ENV_NAMES.get(name, f"FIELDOPS_{name}")


def env_names(name: str) -> tuple[str, ...]:
    """Every variable read for ``name``, the winner last."""
    if name in BARE_ENV_NAMES:
        return (name, f"FIELDOPS_{name}")
    return (env_name(name),)


def default_of(name: str) -> Any:
    f = _fields()[name]
    if f.default is not MISSING:
        return f.default
    assert f.default_factory is not MISSING
    return f.default_factory()


@cache
def _adapters() -> dict[str, TypeAdapter[Any]]:
    hints = get_type_hints(Config, include_extras=True)
    return {name: TypeAdapter(hints[name]) for name in setting_names()}


def coerce(name: str, value: Any, *, var: str | None = None) -> Any:
    """``value`` as setting ``name``'s type. ``None``, or an empty string where the setting is
    not a string, means "unset": the default. Raises ``SettingError`` naming the variable."""
    adapter = _adapters().get(name)
    if adapter is None:
        return value
    default = default_of(name)
    if value is None or (value == "" and not isinstance(default, str)):
        return default
    try:
        return adapter.validate_python(value)
    except (ValidationError, ValueError) as exc:
        reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise SettingError(f"{var or env_name(name)}={value!r} is not valid: {reason}") from None


class AppConfig(FlaskConfig):
    """The app's ``app.config``: every key that is a ``Config`` field is stored as its typed
    value, converted and checked when set (at start-up, or by a test changing a setting), and
    ``typed()`` gives them back as one ``Config``, rebuilt only after a change."""

    _typed: Config | None = None

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, coerce(key, value))
        self._typed = None

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._typed = None

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key: str, *default: Any) -> Any:
        self._typed = None
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._typed = None
        return super().popitem()

    def clear(self) -> None:
        self._typed = None
        super().clear()

    def typed(self) -> Config:
        if self._typed is None:
            values = {n: self[n] for n in setting_names() if self.get(n) is not None}
            self._typed = Config(**values, EXTRA=dict(self.get("EXTRA") or {}))
        return self._typed


class NoCookieSessions(SessionInterface):
    """No Flask session: every caller authenticates with a bearer token (staff, engineers) or
    a capability in the URL (customers), and nothing is kept in a cookie. Flask's default
    signed-cookie session built a signing serializer on every request to find no cookie
    (a tenth of a small request's framework time); here every request gets the read-only
    null session, and any attempt to write one fails loudly instead of setting a cookie."""

    def open_session(self, app: Flask, request: Request) -> NullSession:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


class FieldopsFlask(Flask):
    config_class = AppConfig
    session_interface = NoCookieSessions()

    # Functions whose ``ensure_sync`` answer is remembered: the app's hooks and views, and the
    # methods behind bound ones (a MethodView answers each request with a new instance, so its
    # bound methods are new objects every time). Bounded all the same.
    _SYNC_MEMO_MAX = 512

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's answer, remembered per function. Flask asks for every hook, view and
        handler of every request whether it is a coroutine function, and ``inspect`` unwraps
        the callable each time: ~2 % of the server's CPU under the load benchmark. Whether a
        function (or a method, whatever it is bound to) is a coroutine function does not
        change, so the first answer stands; coroutine functions are wrapped by Flask each
        time, as before."""
        memo: dict[Any, bool] = self.__dict__.setdefault("_fieldops_sync_memo", {})
        key = func.__func__ if isinstance(func, MethodType) else func
        try:
            plain = memo.get(key)
        except TypeError:  # unhashable: ask Flask every time
            return super().ensure_sync(func)
        if plain:
            return func
        made = super().ensure_sync(func)
        if plain is None and len(memo) < self._SYNC_MEMO_MAX:
            memo[key] = made is func
        return made


def settings(config: Config | Mapping[str, Any] | None = None) -> Config:
    """The typed settings of the running app, or of ``config`` (an app config or a mapping)."""
    cfg = current_app.config if config is None else config
    if isinstance(cfg, Config):
        return cfg
    if isinstance(cfg, AppConfig):
        return cfg.typed()
    return Config.from_mapping(cfg)


class InsecureConfig(RuntimeError):
    """Raised by ``create_app``: the settings would run production with a known secret."""


def check_secret_key(config: Mapping[str, Any]) -> None:
    """Refuse the dev default or a short ``SECRET_KEY`` unless testing or ``FIELDOPS_ENV=
    development``. The key signs every token: with the public default anyone could mint an
    admin token, so a forgotten setting must stop the start, not be discovered later."""
    if config.get("TESTING") or config.get("ENVIRONMENT") == DEVELOPMENT:
        return
    key = str(config.get("SECRET_KEY") or "")
    if key == DEV_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
        raise InsecureConfig(
            f"SECRET_KEY is {'the development default' if key == DEV_SECRET_KEY else 'too short'}"
            f": set SECRET_KEY to at least {MIN_SECRET_KEY_LENGTH} random characters (e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`), or set "
            "FIELDOPS_ENV=development on a development machine"
        )
