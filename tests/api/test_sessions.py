"""Sessions: ``exp`` is mandatory, refresh tokens rotate and are stored by family (hashes
only), reuse of a rotated token revokes the family, logout / logout everywhere / admin revoke."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask_jwt_extended import create_access_token, decode_token
from sqlalchemy import select

PASSWORD = "correct horse battery"


def _login(client, email: str, **kw):
    r = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}, **kw)
    assert r.status_code == 200, r.json
    return r.json


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me(client, token: str) -> int:
    return client.get("/api/v1/me", headers=_bearer(token)).status_code


def _refresh(client, token: str):
    return client.post("/api/v1/auth/refresh", headers=_bearer(token))


def test_token_without_exp_is_refused(app, client, make_user):
    user = make_user("engineer")
    tokens = _login(client, user.email)
    fam = decode_token(tokens["access_token"])["fam"]
    with app.app_context():
        forever = create_access_token(
            identity=str(user.id), expires_delta=False, additional_claims={"fam": fam}
        )
    assert "exp" not in decode_token(forever, allow_expired=True)
    r = client.get("/api/v1/me", headers=_bearer(forever))
    assert r.status_code == 401 and "expir" in r.json["message"]


def test_token_without_session_is_refused(app, client, make_user):
    user = make_user("engineer")
    with app.app_context():
        orphan = create_access_token(identity=str(user.id), expires_delta=timedelta(minutes=5))
    assert client.get("/api/v1/me", headers=_bearer(orphan)).status_code == 401


def test_refresh_rotates_and_reuse_revokes_the_family(client, make_user, session):
    from backend.accounts.models import RefreshFamily

    user = make_user("engineer")
    first = _login(client, user.email, headers={"User-Agent": "phone/1.0"})
    r = _refresh(client, first["refresh_token"])
    assert r.status_code == 200, r.json
    second = r.json
    assert second["refresh_token"] != first["refresh_token"]
    assert _me(client, second["access_token"]) == 200
    fam = decode_token(second["refresh_token"])["fam"]
    assert decode_token(first["refresh_token"])["fam"] == fam

    row = session.get(RefreshFamily, fam)
    jti = decode_token(second["refresh_token"])["jti"]
    assert row.current_jti_hash == hashlib.sha256(jti.encode()).hexdigest()
    assert row.user_id == user.id and row.user_agent == "phone/1.0" and row.revoked_at is None
    stored = " ".join(str(v) for v in row.__dict__.values())
    assert jti not in stored and first["refresh_token"] not in stored

    # The thief replays the old token after the grace window: the whole family dies.
    row.rotated_at = row.rotated_at - timedelta(minutes=5)
    session.commit()
    reuse = _refresh(client, first["refresh_token"])
    assert reuse.status_code == 401 and "reuse" in reuse.json["message"]
    assert _refresh(client, second["refresh_token"]).status_code == 401
    assert _me(client, second["access_token"]) == 401
    session.expire_all()
    assert session.get(RefreshFamily, fam).revoked_at is not None


def test_a_retry_right_after_rotation_is_not_theft(client, make_user):
    """A phone whose refresh answer got lost resends the same token seconds later."""
    user = make_user("engineer")
    first = _login(client, user.email)
    assert _refresh(client, first["refresh_token"]).status_code == 200
    again = _refresh(client, first["refresh_token"])
    assert again.status_code == 200, again.json
    assert _refresh(client, again.json["refresh_token"]).status_code == 200


def test_two_refreshes_racing_both_get_a_current_token(client, make_user):
    """The page and the service worker come online together and both refresh with the same
    token: whichever answer is stored last must still refresh later (no false theft)."""
    user = make_user("engineer")
    first = _login(client, user.email)
    page = _refresh(client, first["refresh_token"])
    worker = _refresh(client, first["refresh_token"])
    assert page.status_code == worker.status_code == 200
    later = _refresh(client, page.json["refresh_token"])
    assert later.status_code == 200, later.json
    assert _me(client, later.json["access_token"]) == 200


def test_logout_revokes_this_session_only(client, make_user):
    user = make_user("engineer")
    phone = _login(client, user.email)
    laptop = _login(client, user.email)
    out = client.post("/api/v1/auth/logout", headers=_bearer(phone["access_token"]))
    assert out.status_code == 204
    assert _me(client, phone["access_token"]) == 401
    assert _refresh(client, phone["refresh_token"]).status_code == 401
    assert _me(client, laptop["access_token"]) == 200
    # The refresh token logs out too (the phone's access token may have expired offline).
    assert (
        client.post("/api/v1/auth/logout", headers=_bearer(laptop["refresh_token"])).status_code
        == 204
    )
    assert _me(client, laptop["access_token"]) == 401


def test_logout_everywhere(client, make_user):
    user = make_user("engineer")
    other = make_user("engineer")
    a, b, c = _login(client, user.email), _login(client, user.email), _login(client, other.email)
    r = client.post("/api/v1/auth/logout-all", headers=_bearer(a["access_token"]))
    assert r.status_code == 200 and r.json == {"revoked": 2}
    assert _me(client, a["access_token"]) == _me(client, b["access_token"]) == 401
    assert _refresh(client, b["refresh_token"]).status_code == 401
    assert _me(client, c["access_token"]) == 200


def test_admin_revokes_a_users_sessions(api, client, make_user, admin, staff, session):
    from backend.accounts.models import RefreshFamily

    user = make_user("engineer")
    tokens = _login(client, user.email)
    path = f"/api/v1/users/{user.id}/sessions/revoke"
    assert api("post", path, staff).status_code == 403
    assert _me(client, tokens["access_token"]) == 200
    r = api("post", path, admin)
    assert r.status_code == 200 and r.json == {"revoked": 1}
    assert _me(client, tokens["access_token"]) == 401
    assert _refresh(client, tokens["refresh_token"]).status_code == 401
    rows = session.scalars(select(RefreshFamily).where(RefreshFamily.user_id == user.id)).all()
    assert [r.revoked_reason for r in rows] == ["admin"]
    assert (
        api(
            "post", "/api/v1/users/00000000-0000-0000-0000-000000000000/sessions/revoke", admin
        ).status_code
        == 404
    )
    # The user logs in again normally.
    assert _me(client, _login(client, user.email)["access_token"]) == 200


def test_openapi_documents_session_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/auth/logout",
        "/api/v1/auth/logout-all",
        "/api/v1/users/{user_id}/sessions/revoke",
    ):
        assert "post" in paths[path], path
        assert "401" in paths[path]["post"]["responses"]
    ref = paths["/api/v1/auth/refresh"]["post"]["responses"]["200"]["content"]["application/json"]
    name = ref["schema"]["$ref"].rsplit("/", 1)[-1]
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert {"access_token", "refresh_token"} <= set(schemas[name]["properties"])
