"""Accounts API: login, refresh, /me, users (admin), login throttling."""

from __future__ import annotations

from flask_jwt_extended import decode_token

from backend.api.auth import BAD_CREDENTIALS

PASSWORD = "correct horse battery"


def _login(api, email: str, password: str = PASSWORD, **kw):
    return api("post", "/api/v1/auth/login", json={"email": email, "password": password}, **kw)


def test_login_returns_tokens_and_user(api, make_user):
    user = make_user("engineer", email="Ada@Example.com")
    r = _login(api, "  ada@EXAMPLE.com ")
    assert r.status_code == 200, r.json
    assert r.json["user"] == {
        "id": str(user.id),
        "email": "ada@example.com",
        "name": user.name,
        "role": "engineer",
    }
    claims = {k: decode_token(r.json[k]) for k in ("access_token", "refresh_token")}
    assert claims["access_token"]["sub"] == str(user.id)
    assert claims["access_token"]["role"] == "engineer"
    access_life = claims["access_token"]["exp"] - claims["access_token"]["iat"]
    refresh_life = claims["refresh_token"]["exp"] - claims["refresh_token"]["iat"]
    assert access_life <= 3600 and refresh_life >= 7 * 86400  # engineers go offline for days
    me = api("get", "/api/v1/me", headers={"Authorization": f"Bearer {r.json['access_token']}"})
    assert me.status_code == 200 and me.json["id"] == str(user.id)
    assert "password_hash" not in me.json


def test_wrong_password_and_unknown_email_get_the_same_401(api, make_user):
    make_user("engineer", email="bob@example.com")
    wrong = _login(api, "bob@example.com", "not the password")
    unknown = _login(api, "nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["message"] == unknown.json["message"] == BAD_CREDENTIALS


def test_login_missing_fields_is_422(api):
    r = api("post", "/api/v1/auth/login", json={"email": "x@example.com"})
    assert r.status_code == 422
    assert r.json["errors"]["json"]["password"]
    assert "password" in r.json["message"]


def test_refresh_gives_access_token_and_refuses_access_token(api, auth, make_user):
    user = make_user("engineer")
    r = api("post", "/api/v1/auth/refresh", headers=auth(user, refresh=True))
    assert r.status_code == 200
    token = r.json["access_token"]
    me = api("get", "/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json["email"] == user.email
    # An access token is not a refresh token.
    assert api("post", "/api/v1/auth/refresh", user).status_code == 401


def test_refresh_refused_for_disabled_account(api, auth, make_user, session):
    user = make_user("engineer")
    headers = auth(user, refresh=True)
    # auth() pushes its own app context, whose teardown resets the session: reload.
    session.get(type(user), user.id).is_active = False
    session.commit()
    assert api("post", "/api/v1/auth/refresh", headers=headers).status_code == 401


def test_no_token_and_bad_token_are_401(api):
    assert api("get", "/api/v1/me").status_code == 401
    bad = api("get", "/api/v1/me", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401
    assert bad.json["code"] == 401 and bad.json["message"]


def test_admin_creates_and_lists_users(api, admin):
    body = {
        "email": "New@Example.com",
        "name": "New One",
        "role": "dispatcher",
        "password": "x" * 12,
    }
    r = api("post", "/api/v1/users", admin, json=body)
    assert r.status_code == 201, r.json
    assert r.json["email"] == "new@example.com" and "password" not in r.json
    dup = api("post", "/api/v1/users", admin, json={**body, "email": "new@EXAMPLE.com"})
    assert dup.status_code == 409
    listed = api("get", "/api/v1/users?role=dispatcher", admin)
    assert listed.status_code == 200
    assert "new@example.com" in [u["email"] for u in listed.json]
    assert "X-Pagination" in listed.headers
    # The new account can log in.
    assert _login(api, "new@example.com", "x" * 12).status_code == 200


def test_users_bad_input_and_wrong_role(api, admin, staff):
    ok = {"email": "a@example.com", "name": "A", "role": "engineer", "password": "x" * 12}
    for bad, field in (
        ({**ok, "role": "boss"}, "role"),
        ({**ok, "email": "not-an-email"}, "email"),
        ({**ok, "password": "short"}, "password"),
        ({k: v for k, v in ok.items() if k != "name"}, "name"),
    ):
        r = api("post", "/api/v1/users", admin, json=bad)
        assert r.status_code == 422, bad
        assert field in r.json["errors"]["json"]
    assert api("post", "/api/v1/users", staff, json=ok).status_code == 403
    assert api("get", "/api/v1/users", staff).status_code == 403


def test_login_throttled_per_account(api, app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "3 per minute")
    make_user("engineer", email="carol@example.com")
    for _ in range(3):
        assert _login(api, "carol@example.com", "wrong password").status_code == 401
    # Even the right password is refused now: that is the point of the throttle.
    blocked = _login(api, "CAROL@example.com")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.json["code"] == 429
    # Other accounts from the same address are not affected by this account's limit.
    make_user("engineer", email="dave@example.com")
    assert _login(api, "dave@example.com").status_code == 200


def test_login_throttled_per_ip(api, app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_IP", "4 per minute")
    make_user("engineer", email="erin@example.com")
    for i in range(4):
        assert _login(api, f"user{i}@example.com").status_code == 401
    assert _login(api, "erin@example.com").status_code == 429
    # Another address is still served.
    other = _login(api, "erin@example.com", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


def test_successful_logins_do_not_count(api, app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    make_user("engineer", email="frank@example.com")
    for _ in range(4):
        assert _login(api, "frank@example.com").status_code == 200
