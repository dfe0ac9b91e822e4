"""Configuration: the only module that reads environment variables.

Everything else receives a ``Config`` (or the Flask ``app.config`` built from it), so tests and
jobs can run with explicit settings and nothing touches the environment at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

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


def _normalise_db_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` spellings; pin the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass
class Config:
    DATABASE_URL: str = DEFAULT_DATABASE_URL
    REDIS_URL: str | None = None
    SECRET_KEY: str = DEV_SECRET_KEY
    MEDIA_ROOT: str = "./var/media"
    PUBLIC_BASE_URL: str = "http://127.0.0.1:8000"
    FIREBASE_CREDENTIALS: str | None = None
    TESTING: bool = False
    # ``FIELDOPS_ENV``: "development" allows the dev SECRET_KEY; anything else is production.
    ENVIRONMENT: str = "production"

    # Auth: engineers may be offline for days, so refresh tokens live long; they rotate on
    # every refresh and die with their session (docs/security.md).
    JWT_ACCESS_TOKEN_EXPIRES: timedelta = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES: timedelta = timedelta(days=30)
    # A rotated refresh token presented again within this many seconds is a lost answer being
    # retried (flaky mobile network), not theft: it rotates again instead of revoking.
    REFRESH_REUSE_GRACE_S: int = 30
    # Failed logins slow down the (account, address) pair: a few free, then 2 s, 4 s, ... up to
    # 15 min. The per-account ceiling only stops an attack from many addresses at once.
    LOGIN_BACKOFF_FREE_FAILURES: int = 3
    LOGIN_BACKOFF_BASE_S: int = 2
    LOGIN_BACKOFF_MAX_S: int = 900
    LOGIN_BACKOFF_WINDOW_S: int = 24 * 3600
    LOGIN_LIMIT_PER_ACCOUNT: str = "200 per hour"
    LOGIN_LIMIT_PER_IP: str = "30 per 15 minutes"

    # Public (anonymous) endpoints.
    PUBLIC_REPORT_LIMIT_PER_IP: str = "10 per hour"
    PUBLIC_REPORT_LIMIT_PER_TOKEN: str = "20 per hour"
    PUBLIC_READ_LIMIT_PER_IP: str = "120 per minute"
    MAX_CONTENT_LENGTH: int = 25 * 1024 * 1024
    MAX_JSON_BYTES: int = 256 * 1024

    SLA_POLICY: dict[str, tuple[float, float]] = field(
        default_factory=lambda: dict(DEFAULT_SLA_POLICY)
    )
    SLA_AT_RISK_FRACTION: float = 0.75
    SLA_SCAN_INTERVAL_S: int = 60

    # Server-side limits on every database connection (milliseconds; 0 disables). A
    # transaction left open holds row locks and the cluster-wide sync pull horizon.
    DB_STATEMENT_TIMEOUT_MS: int = 30_000
    DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: int = 60_000

    # Job queues; rq job timeout for ordinary jobs.
    JOB_TIMEOUT_S: int = 300

    # Extra settings features may read; kept as a dict so feature issues add keys freely.
    EXTRA: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ
        cfg = cls()
        cfg.DATABASE_URL = _normalise_db_url(env.get("DATABASE_URL", cfg.DATABASE_URL))
        cfg.REDIS_URL = env.get("REDIS_URL") or None
        cfg.SECRET_KEY = env.get("SECRET_KEY", cfg.SECRET_KEY)
        cfg.MEDIA_ROOT = env.get("MEDIA_ROOT", cfg.MEDIA_ROOT)
        cfg.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", cfg.PUBLIC_BASE_URL).rstrip("/")
        cfg.FIREBASE_CREDENTIALS = env.get("FIREBASE_CREDENTIALS") or None
        cfg.ENVIRONMENT = env.get("FIELDOPS_ENV", cfg.ENVIRONMENT).strip().lower()
        for name in ("DB_STATEMENT_TIMEOUT_MS", "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS"):
            raw = env.get(f"FIELDOPS_{name}")
            if raw not in (None, ""):
                try:
                    setattr(cfg, name, int(raw))
                except ValueError:
                    raise ValueError(
                        f"FIELDOPS_{name} must be whole milliseconds: {raw!r}"
                    ) from None
        # Any FIELDOPS_* variable lands in EXTRA (e.g. FIELDOPS_AUTO_DISPATCH=1, S3 settings).
        for key, value in env.items():
            if key.startswith("FIELDOPS_"):
                cfg.EXTRA[key.removeprefix("FIELDOPS_")] = value
        return cfg

    def to_flask(self) -> dict[str, Any]:
        data = asdict(self)
        data["JWT_SECRET_KEY"] = self.SECRET_KEY
        data["RATELIMIT_STORAGE_URI"] = self.REDIS_URL or "memory://"
        data["RATELIMIT_HEADERS_ENABLED"] = True
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
        data.update({k: v for k, v in self.EXTRA.items()})
        return data


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
