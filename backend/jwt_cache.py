"""A JWT manager that verifies each access token once per process, not once per request.

PyJWT parses a token four times per request under flask-jwt-extended (unverified claims,
unverified header, then the verified decode, each checking the base64 alphabet one character
at a time), which was a quarter of the CPU of a small authenticated request. A phone or a
console sends the same access token for its whole 15-minute life, so the verified claims are
kept per app, keyed by the exact token string, and reused while the token has not expired:

- only a token that passed full verification (signature, ``exp``, ``nbf``, ``iat``,
  audience, issuer) is kept, under the app that verified it (each app has its own secret);
- every hit checks ``exp`` again against the clock with the configured leeway, and an
  expired token goes through the full decode, which raises as before;
- revocation is unaffected: flask-jwt-extended asks the blocklist loader (the session check)
  after decoding, on every request, cached or not.

The cache is bounded (cleared when full) and holds copies, so a caller mutating its claims
cannot change the next request's.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from flask_jwt_extended import JWTManager

CACHE_KEY = "fieldops_verified_jwts"
MAX_ENTRIES = 4096


class CachingJWTManager(JWTManager):
    """``JWTManager`` whose decode reuses an earlier verification of the same token."""

    def _decode_jwt_from_config(
        self, encoded_token: str, csrf_value: Any = None, allow_expired: bool = False
    ) -> dict[str, Any]:
        if csrf_value is not None or allow_expired:
            return dict(super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired))
        cache: dict[str, dict[str, Any]] = current_app.extensions.setdefault(CACHE_KEY, {})
        claims = cache.get(encoded_token)
        if claims is not None and _unexpired(claims, current_app.config.get("JWT_DECODE_LEEWAY")):
            return dict(claims)
        # The decoded dict is ours alone: keep it, and hand out copies.
        claims = super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        if "exp" in claims:  # a token without expiry is refused later; never keep one
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[encoded_token] = claims
        return dict(claims)


def _unexpired(claims: dict[str, Any], leeway: Any) -> bool:
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        return False
    slack = leeway.total_seconds() if hasattr(leeway, "total_seconds") else float(leeway or 0)
    return time.time() <= exp + slack
