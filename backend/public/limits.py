"""Rate limits and body-size limits of the anonymous endpoints.

Limits are read from the app config at request time (``PUBLIC_REPORT_LIMIT_PER_IP``,
``PUBLIC_REPORT_LIMIT_PER_TOKEN``, ``PUBLIC_READ_LIMIT_PER_IP``), so tests and deployments
tune them without code. Scopes are shared between the JSON API and the HTML form, so using
both does not double anybody's allowance. Flask-Limiter answers 429 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request

from backend.config import settings
from backend.extensions import client_ip, limiter


# The public forms carry a few kilobytes of text at most; refuse anything bigger before
# parsing it (413), independent of the app-wide MAX_CONTENT_LENGTH meant for photo uploads.
# (``PUBLIC_MAX_BODY_BYTES``, 16 KiB by default).
def max_body_bytes() -> int:
    return settings().PUBLIC_MAX_BODY_BYTES


def apply_body_limit() -> None:
    """``before_request`` hook: a per-request size cap (Flask >= 3.1)."""
    request.max_content_length = max_body_bytes()


def _cfg(key: str) -> Callable[[], str]:
    return lambda: str(getattr(settings(), key))


def _qr_key() -> str:
    return "qr:" + str((request.view_args or {}).get("qr_token", ""))


def report_limits(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Reports: per client IP and per QR label (a label photographed and abused from many
    addresses still cannot flood the queue)."""
    fn = limiter.shared_limit(
        _cfg("PUBLIC_REPORT_LIMIT_PER_TOKEN"), scope="public-report-token", key_func=_qr_key
    )(fn)
    fn = limiter.shared_limit(
        _cfg("PUBLIC_REPORT_LIMIT_PER_IP"), scope="public-report-ip", key_func=client_ip
    )(fn)
    return fn


def read_limits(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Reads and token look-ups: per IP, which also bounds guessing of tokens."""
    return limiter.shared_limit(
        _cfg("PUBLIC_READ_LIMIT_PER_IP"), scope="public-read-ip", key_func=client_ip
    )(fn)


def rating_limits(fn: Callable[..., Any]) -> Callable[..., Any]:
    return limiter.shared_limit(
        _cfg("PUBLIC_REPORT_LIMIT_PER_IP"), scope="public-rating-ip", key_func=client_ip
    )(fn)


def booking_limits(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Bookings: per IP (``PUBLIC_BOOKING_LIMIT_PER_IP``); the JSON API and the form share it."""
    return limiter.shared_limit(
        _cfg("PUBLIC_BOOKING_LIMIT_PER_IP"), scope="public-booking-ip", key_func=client_ip
    )(fn)
