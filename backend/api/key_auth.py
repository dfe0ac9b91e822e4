"""API-key callers at the auth gate: who (the key), how often (its rate limit), and may it
(its scopes), before any parsing, like a token.

A key is sent as ``X-API-Key: fo_...`` (never together with ``Authorization``). Every
request looks the key up by its hash (one indexed query, on the primary; nothing is cached),
so a revoked key is refused with 401 on its next request. An operation whose document does
not list the ``apiKeyAuth`` scheme answers a key with 401 (it is no credential there); one
that does answers 403 when the key lacks the operation's ``x-api-key-scope``. The service
account is then the request's user: views and operations see it as ``current_user`` and
audit lines name it as the actor.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

from flask import g, request
from flask.typing import ResponseReturnValue
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, Storage
from limits.strategies import FixedWindowRateLimiter

from backend.accounts import apikeys
from backend.accounts.models import ApiKey
from backend.accounts.permissions import KEY_APPROVED
from backend.api import error_response
from backend.config import settings
from backend.db import utcnow
from backend.extensions import limiter

API_KEY_HEADER = "X-API-Key"
API_KEY_SCHEME = "apiKeyAuth"
SCOPE_DOC = "x-api-key-scope"
# While the limiter's storage (Redis) fails, keys are counted in this process's memory: an
# outage degrades the limit to per-process counts, it never fails the request.
_FALLBACK = MemoryStorage()


def sent_key() -> str | None:
    return request.headers.get(API_KEY_HEADER)


def _rate_limited(key: ApiKey) -> int:
    """0 if the key may make this request (and count it), else seconds to wait."""
    per_minute = key.rate_limit_per_minute
    limit = parse(
        f"{per_minute} per minute" if per_minute is not None else settings().API_KEY_RATE_LIMIT
    )
    where = f"apikey:{key.id}"
    try:
        return _wait(limiter.storage, limit, where)
    except Exception:
        return _wait(_FALLBACK, limit, where)


def _wait(storage: Storage, limit: RateLimitItem, where: str) -> int:
    """One call to the storage for a request within the limit; a second only to say how long
    a refused one must wait."""
    windows = FixedWindowRateLimiter(storage)
    if windows.hit(limit, where):
        return 0
    reset = windows.get_window_stats(limit, where).reset_time
    return max(1, math.ceil(reset - time.time()))


def authenticate_key(plain: str, *, kind: str, scope: str | None) -> ResponseReturnValue | None:
    """Answer a refusal (401, 403, 429), or None with the service account installed as the
    request's user."""
    if "Authorization" in request.headers:
        return error_response(401, f"send either a bearer token or {API_KEY_HEADER}, not both")
    found = apikeys.active_key(plain)
    if found is None:
        return error_response(401, "invalid or revoked API key")
    key, account = found
    wait = _rate_limited(key)
    if wait:
        response, status = error_response(
            429, f"this API key's rate limit is used up; try again in {wait} s"
        )
        response.headers["Retry-After"] = str(wait)
        return response, status
    if kind != "access" or scope is None:
        return error_response(401, "API keys are not accepted by this operation")
    if not apikeys.grants(key.scopes, scope):
        return error_response(403, f"this API key lacks the scope {scope}")
    g.fieldops_user = account
    g.fieldops_user_environ = request.environ
    g.fieldops_token_user = account  # replica routing's read-your-writes, per caller
    g.fieldops_api_key_id = key.id
    setattr(g, KEY_APPROVED, request.environ)
    every = timedelta(seconds=settings().API_KEY_LAST_USED_EVERY_S)
    apikeys.note_use(key, now=utcnow(), every=every)
    return None
