"""API keys end to end against the app, PostGIS and Redis: made once and never shown again,
scoped, refused at once when revoked, rate limited per key, last use written sparingly, and
the service account is the actor of what its keys do."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from sqlalchemy import select, text

from backend.accounts import apikeys
from backend.accounts.models import ApiKey, User
from backend.db import db
from tests.apikeys.conftest import key_headers

TICKET = {
    "title": "Chiller alarm",
    "priority": "P2",
    "location": {"type": "Point", "coordinates": [4.9, 52.37]},
}


def test_admin_creates_a_key_shown_once_and_stored_as_a_hash(api, admin):
    made = api(
        "post",
        "/api/v1/api-keys",
        admin,
        json={"name": "ERP sync", "scopes": ["tickets:read", "tickets:write"]},
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    plain = body["key"]
    assert plain.startswith("fo_") and len(plain) >= 40
    assert body["prefix"] == plain[:11]
    assert body["scopes"] == ["tickets:read", "tickets:write"]
    row = db.session.get(ApiKey, uuid.UUID(body["id"]))
    assert row is not None
    assert row.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    stored = db.session.execute(
        text("SELECT row_to_json(k)::text FROM api_keys k WHERE id = :id"), {"id": row.id}
    ).scalar_one()
    assert plain not in stored and plain[11:] not in stored
    account = db.session.get(User, row.service_account_id)
    assert account is not None and account.role == "service" and account.name == "ERP sync"

    listed = api("get", "/api/v1/api-keys", admin)
    assert listed.status_code == 200
    [item] = [k for k in listed.get_json() if k["id"] == body["id"]]
    assert "key" not in item and "key_hash" not in item
    assert plain not in listed.get_data(as_text=True)

    # The key works at once.
    assert api("get", "/api/v1/tickets", headers=key_headers(plain)).status_code == 200


def test_creating_keys_is_for_admins_and_validated(api, admin, staff, make_key, make_user):
    bad = api("post", "/api/v1/api-keys", admin, json={"name": "x", "scopes": ["tickets:admin"]})
    assert bad.status_code == 422
    assert api("post", "/api/v1/api-keys", admin, json={"name": "x", "scopes": []}).status_code == (
        422
    )
    refused = api("post", "/api/v1/api-keys", staff, json={"name": "x", "scopes": ["tickets:read"]})
    assert refused.status_code == 403
    person = make_user("engineer")
    not_service = api(
        "post",
        "/api/v1/api-keys",
        admin,
        json={"name": "x", "scopes": ["tickets:read"], "service_account_id": str(person.id)},
    )
    assert not_service.status_code == 404
    # A key cannot make keys, whatever its scopes.
    _, plain = make_key(list(apikeys.SCOPES))
    by_key = api(
        "post",
        "/api/v1/api-keys",
        headers=key_headers(plain),
        json={"name": "x", "scopes": ["tickets:read"]},
    )
    assert by_key.status_code == 401


def test_second_key_for_the_same_service_account(api, admin, make_key):
    old, _ = make_key(["tickets:read"])
    made = api(
        "post",
        "/api/v1/api-keys",
        admin,
        json={
            "name": "ERP sync (2027)",
            "scopes": ["tickets:read"],
            "service_account_id": str(old.service_account_id),
        },
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["service_account_id"] == str(old.service_account_id)


def test_scopes_decide_what_a_key_may_do(api, make_key, make_ticket):
    ticket = make_ticket()
    _, reader = make_key(["tickets:read"])
    h = key_headers(reader)
    assert api("get", "/api/v1/tickets", headers=h).status_code == 200
    assert api("get", f"/api/v1/tickets/{ticket.id}", headers=h).status_code == 200
    assert api("get", f"/api/v1/tickets/{ticket.id}/events", headers=h).status_code == 200
    # Writing needs tickets:write; another area needs its own scope. Refused before parsing:
    # an invalid body gets the 403, not a 422.
    assert api("post", "/api/v1/tickets", headers=h, json=TICKET).status_code == 403
    assert api("post", "/api/v1/tickets", headers=h, json={"x": 1}).status_code == 403
    assert api("get", "/api/v1/assets", headers=h).status_code == 403
    assert api("get", "/api/v1/reports/sla", headers=h).status_code == 403
    assert api("get", "/api/v1/webhooks", headers=h).status_code == 403

    _, writer = make_key(["tickets:write", "assets:read", "webhooks:admin"])
    w = key_headers(writer)
    assert api("get", "/api/v1/tickets", headers=w).status_code == 200  # write includes read
    assert api("get", "/api/v1/assets", headers=w).status_code == 200
    assert api("post", "/api/v1/customers", headers=w, json={"name": "X"}).status_code == 403
    assert api("get", "/api/v1/webhooks", headers=w).status_code == 200


def test_keys_are_no_credential_for_personal_or_account_operations(api, make_key):
    _, plain = make_key(list(apikeys.SCOPES))
    h = key_headers(plain)
    for method, path in [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/sync/pull"),
        ("post", "/api/v1/sync/push"),
        ("get", "/api/v1/reports/me/week"),
        ("get", "/api/v1/notifications"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/refresh"),
        ("get", "/api/v1/users"),
        ("get", "/api/v1/api-keys"),
    ]:
        got = api(method, path, headers=h, json={})
        assert got.status_code == 401, (method, path, got.get_json())


def test_the_service_account_is_the_actor(api, make_key):
    key, plain = make_key(["tickets:write"], name="Monitoring bridge")
    made = api("post", "/api/v1/tickets", headers=key_headers(plain), json=TICKET)
    assert made.status_code == 201, made.get_json()
    events = api(
        "get", f"/api/v1/tickets/{made.get_json()['id']}/events", headers=key_headers(plain)
    )
    assert events.status_code == 200
    actors = {e["actor_id"] for e in events.get_json()}
    assert actors == {str(key.service_account_id)}


def test_revoked_key_is_refused_on_its_next_request(api, admin, make_key):
    key, plain = make_key(["tickets:read"])
    h = key_headers(plain)
    assert api("get", "/api/v1/tickets", headers=h).status_code == 200
    revoked = api("post", f"/api/v1/api-keys/{key.id}/revoke", admin)
    assert revoked.status_code == 200
    assert revoked.get_json()["active"] is False and revoked.get_json()["revoked_at"]
    got = api("get", "/api/v1/tickets", headers=h)
    assert got.status_code == 401
    assert "revoked" in got.get_json()["message"]
    again = api("post", f"/api/v1/api-keys/{key.id}/revoke", admin)
    assert again.get_json()["revoked_at"] == revoked.get_json()["revoked_at"]
    assert api("post", f"/api/v1/api-keys/{uuid.uuid4()}/revoke", admin).status_code == 404


def test_a_disabled_service_account_is_refused(api, make_key):
    key, plain = make_key(["tickets:read"])
    db.session.get(User, key.service_account_id).is_active = False
    db.session.commit()
    assert api("get", "/api/v1/tickets", headers=key_headers(plain)).status_code == 401


def test_wrong_or_mixed_credentials_are_refused(api, make_key, admin, auth):
    _, plain = make_key(["tickets:read"])
    for bad in ["fo_" + "A" * 43, plain[:-1], "nonsense", plain + "x" * 300, ""]:
        assert api("get", "/api/v1/tickets", headers=key_headers(bad)).status_code == 401, bad
    both = api("get", "/api/v1/tickets", headers={**key_headers(plain), **auth(admin)})
    assert both.status_code == 401
    # A public operation ignores a key, good or bad.
    assert (
        api(
            "post",
            "/api/v1/auth/login",
            headers=key_headers("nonsense"),
            json={"email": "nobody@example.com", "password": "wrong password"},
        ).status_code
        == 401
    )


def test_nobody_logs_in_as_a_service_account(api, make_key):
    key, _ = make_key(["tickets:read"])
    account = db.session.get(User, key.service_account_id)
    for password in ["", apikeys.NO_PASSWORD, "correct horse battery"]:
        got = api("post", "/api/v1/auth/login", json={"email": account.email, "password": password})
        assert got.status_code in (401, 422), got.get_json()


def test_each_key_has_its_own_rate_limit(api, make_key):
    _, limited = make_key(["tickets:read"], rate_limit_per_minute=3)
    _, other = make_key(["tickets:read"], rate_limit_per_minute=3)
    statuses = [
        api("get", "/api/v1/tickets", headers=key_headers(limited)).status_code for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    refused = api("get", "/api/v1/tickets", headers=key_headers(limited))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert api("get", "/api/v1/tickets", headers=key_headers(other)).status_code == 200


def test_default_rate_limit_from_settings(api, app, make_key, monkeypatch):
    monkeypatch.setitem(app.config, "API_KEY_RATE_LIMIT", "2 per minute")
    _, plain = make_key(["tickets:read"])
    got = [api("get", "/api/v1/tickets", headers=key_headers(plain)).status_code for _ in range(3)]
    assert got == [200, 200, 429]


def test_last_use_is_written_at_most_once_a_minute(api, make_key):
    key, plain = make_key(["tickets:read"])
    assert key.last_used_at is None

    def last_used():
        return db.session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key.id))

    assert api("get", "/api/v1/tickets", headers=key_headers(plain)).status_code == 200
    first = last_used()
    assert first is not None
    assert api("get", "/api/v1/tickets", headers=key_headers(plain)).status_code == 200
    assert last_used() == first  # within the minute: no write
    db.session.execute(
        text("UPDATE api_keys SET last_used_at = :t WHERE id = :id"),
        {"t": first - timedelta(minutes=2), "id": key.id},
    )
    db.session.commit()
    assert api("get", "/api/v1/tickets", headers=key_headers(plain)).status_code == 200
    assert last_used() > first - timedelta(minutes=2)
    listed = api("get", "/api/v1/api-keys", headers=key_headers(plain))
    assert listed.status_code == 401


def test_the_limit_falls_back_to_memory_while_redis_is_down(
    api, make_key, monkeypatch, redis_client
):
    """A real Redis storage on a port nothing listens on, as when Redis is stopped: keys are
    still served, and limited, per process."""
    from limits.storage import RedisStorage

    from backend.extensions import limiter

    monkeypatch.setattr(
        limiter,
        "_storage",
        RedisStorage("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2),
    )
    key, plain = make_key(["tickets:read"], rate_limit_per_minute=2)
    got = [api("get", "/api/v1/tickets", headers=key_headers(plain)).status_code for _ in range(3)]
    assert got == [200, 200, 429]
    # Counted in this process's memory, not in the (healthy) test Redis.
    assert not [k for k in redis_client.keys("*") if str(key.id).encode() in k]
    monkeypatch.undo()
    assert api("get", "/api/v1/tickets", headers=key_headers(plain)).status_code == 200
    assert [k for k in redis_client.keys("*") if str(key.id).encode() in k]


def test_text_a_database_cannot_store_is_refused(api, admin):
    made = api(
        "post",
        "/api/v1/api-keys",
        admin,
        data='{"name": "ERP \\ud83d", "scopes": ["tickets:read"]}',
        content_type="application/json",
    )
    assert made.status_code == 422
    blank = api("post", "/api/v1/api-keys", admin, json={"name": "   ", "scopes": ["tickets:read"]})
    assert blank.status_code == 422
