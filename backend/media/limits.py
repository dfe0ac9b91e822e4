"""Rate limits of the customer's photo endpoints (no login), read from the app config at
request time: uploads per client IP and per tracking link (``PUBLIC_PHOTO_LIMIT``), reads per
IP (``PUBLIC_READ_LIMIT_PER_IP``, one scope for listing and fetching). Flask-Limiter answers 429
with ``Retry-After``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from backend.config import settings
from backend.extensions import limiter
from backend.media.storage import MediaSettings


def _upload_limit() -> str:
    return MediaSettings.from_config().public_photo_limit


def _read_limit() -> str:
    return settings().PUBLIC_READ_LIMIT_PER_IP


def _token_key() -> str:
    return "photo-token:" + str((request.view_args or {}).get("tracking_token", ""))


def public_upload_limits(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Uploads: per client IP and per tracking link (a leaked link cannot fill the storage)."""
    fn = limiter.limit(_upload_limit, key_func=_token_key)(fn)
    return limiter.limit(_upload_limit)(fn)


def public_read_limits(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Listing and fetching the report's photos: per client IP, one shared allowance."""
    return limiter.limit(_read_limit, scope="public-photo-read")(fn)
