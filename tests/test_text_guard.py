"""A NUL character in any JSON text is a clear 422, never a database error (500)."""

from __future__ import annotations


def test_nul_in_ticket_title_is_422(client, make_user, auth):
    dispatcher = make_user("dispatcher")
    res = client.post(
        "/api/v1/tickets",
        json={
            "title": "bad\u0000title",
            "priority": "P2",
            "location": {"type": "Point", "coordinates": [13.4, 52.52]},
        },
        headers=auth(dispatcher),
    )
    assert res.status_code == 422
    assert "NUL" in res.json["message"]


def test_nul_nested_in_lists_and_keys_is_422(client, make_user, auth):
    admin = make_user("admin")
    res = client.post(
        "/api/v1/customers", json={"name": "ok", "tags": [{"k\u0000": 1}]}, headers=auth(admin)
    )
    assert res.status_code == 422 and "NUL" in res.json["message"]


def test_text_without_nul_still_accepted(client, make_user, auth):
    admin = make_user("admin")
    res = client.post(
        "/api/v1/customers", json={"name": "Robert'); DROP TABLE--<b>"}, headers=auth(admin)
    )
    assert res.status_code == 201
    assert res.json["name"] == "Robert'); DROP TABLE--<b>"
