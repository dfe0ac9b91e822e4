"""Each access token is verified once per app, and the reuse never weakens a check: an
expired token, an ended session or another app's secret still answer 401."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt as pyjwt
from flask_jwt_extended import create_access_token, decode_token

from backend import create_app
from backend.jwt_cache import CACHE_KEY

PASSWORD = "correct horse battery"


def _login(client, email: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.json
    return r.json


def _me(client, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _count_verified_decodes(monkeypatch) -> list[str]:
    """Observe (not replace) PyJWT's verified decodes: each call still runs the library."""
    calls: list[str] = []
    real = pyjwt.decode

    def counting(token, key="", *args, **kwargs):
        if (kwargs.get("options") or {}).get("verify_signature", True):
            calls.append(token)
        return real(token, key, *args, **kwargs)

    monkeypatch.setattr(pyjwt, "decode", counting)
    return calls


def test_a_token_is_verified_once_then_reused(client, make_user, monkeypatch):
    token = _login(client, make_user("engineer").email)["access_token"]
    calls = _count_verified_decodes(monkeypatch)
    assert [_me(client, token) for _ in range(3)] == [200, 200, 200]
    assert calls == [token]


def test_an_expired_cached_token_is_refused(app, client, make_user):
    user = make_user("engineer")
    fam = decode_token(_login(client, user.email)["access_token"])["fam"]
    with app.app_context():
        short = create_access_token(
            str(user.id), expires_delta=timedelta(seconds=1), additional_claims={"fam": fam}
        )
    assert _me(client, short) == 200
    assert short in app.extensions[CACHE_KEY]
    time.sleep(1.2 + app.config.get("JWT_DECODE_LEEWAY", 0))
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"})
    assert r.status_code == 401 and "expired" in r.json["message"].lower()


def test_logout_ends_a_cached_token(client, make_user):
    tokens = _login(client, make_user("engineer").email)
    assert _me(client, tokens["access_token"]) == 200
    r = client.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert r.status_code in (200, 204), r.json
    assert _me(client, tokens["access_token"]) == 401


def test_another_apps_secret_does_not_trust_the_cache(app, client, make_user, test_config):
    token = _login(client, make_user("engineer").email)["access_token"]
    assert _me(client, token) == 200
    other = create_app(test_config, SECRET_KEY="another-secret-" + "x" * 40)
    assert _me(other.test_client(), token) == 401
