"""Extensions created unbound and attached in ``create_app`` (no I/O at import).

The flask-smorest ``Api`` is made per app in ``backend.api.init_api`` (it holds the spec)."""

from __future__ import annotations

import time

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from redis import Redis

from backend.config import Config, settings
from backend.db import db
from backend.jwt_cache import CachingJWTManager

jwt = CachingJWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def retry_after_on_refusal(response: Response) -> Response:
    """A 429 from the limiter says when to come back. Flask-Limiter's own headers would say
    it on every limited answer, at the price of a second Redis call each; here only a refusal
    asks when its window ends (the limit's whole window if the storage cannot tell)."""
    if response.status_code != 429 or "Retry-After" in response.headers:
        return response
    current = limiter.current_limit
    if current is None:
        return response
    try:
        wait = current.reset_at - time.time()
    except Exception:  # storage unreachable: the in-memory fallback took over
        wait = current.limit.get_expiry()
    response.headers["Retry-After"] = str(max(1, int(wait)))
    return response


class RedisHolder:
    """Lazily connects; ``None`` when REDIS_URL is unset (jobs then run inline)."""

    def __init__(self) -> None:
        self.url: str | None = None
        self._client: Redis | None = None

    def init_app(self, app: Flask) -> None:
        self.url = settings(app.config).REDIS_URL
        self._client = None
        app.extensions["fieldops_redis"] = self

    @property
    def client(self) -> Redis | None:
        if self.url is None:
            return None
        if self._client is None:
            # Bounded waits: a Redis that is down or hangs fails a relay or a probe in
            # seconds (the outbox keeps the job), never a request indefinitely.
            self._client = Redis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30
            )
        return self._client


redis_holder = RedisHolder()


def client_ip() -> str:
    return request.remote_addr or "unknown"


__all__ = ["client_ip", "db", "jwt", "limiter", "redis_holder", "retry_after_on_refusal"]


def refuse_unshared_limits(workers: int, cfg: Config) -> None:
    """Refuse to serve with several processes whose rate limits would each count alone (no
    ``REDIS_URL``: two processes let twice the logins and reports through before the first
    429), unless the operator accepts it (``FIELDOPS_RATELIMIT_PER_PROCESS_OK``). Raises
    ``SystemExit`` with the reason: a start-up that fails loudly beats limits that quietly
    multiply."""
    if workers > 1 and not cfg.REDIS_URL and not cfg.RATELIMIT_PER_PROCESS_OK:
        raise SystemExit(
            f"refusing to start {workers} workers without REDIS_URL: each would keep its own "
            "rate limits (login, public reports), multiplying them. Set REDIS_URL, run one "
            "worker, or set FIELDOPS_RATELIMIT_PER_PROCESS_OK=1 to accept per-process limits."
        )
