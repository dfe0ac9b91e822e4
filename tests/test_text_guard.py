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


# Lone UTF-16 surrogates (half an emoji, as JSON.stringify sends it) cannot be stored either.
LONE = "\\ud83d"  # as it appears in the JSON text


def _post_raw(client, path, body, headers):
    return client.post(path, data=body, content_type="application/json", headers=headers)


def test_lone_surrogate_in_a_ticket_note_is_422_with_a_clear_message(
    client, make_user, make_ticket, auth
):
    dispatcher = make_user("dispatcher")
    ticket = make_ticket()
    res = _post_raw(
        client,
        f"/api/v1/tickets/{ticket.id}/notes",
        '{"body": "half an emoji ' + LONE + ' here"}',
        auth(dispatcher),
    )
    assert res.status_code == 422, res.json
    assert "surrogate" in res.json["message"] and "body" in res.json["message"]
    good = _post_raw(
        client,
        f"/api/v1/tickets/{ticket.id}/notes",
        '{"body": "a whole emoji \\ud83d\\ude00"}',
        auth(dispatcher),
    )
    assert good.status_code == 201 and good.json["body"] == "a whole emoji 😀"


def test_lone_surrogate_in_keys_and_nested_lists_is_422(client, make_user, auth):
    admin = make_user("admin")
    for body in (
        '{"name": "ok", "tags": [{"k' + LONE + '": 1}]}',
        '{"name": "ok", "tags": [["a", "\\udc00"]]}',
        '{"name": "x\\udfff"}',
    ):
        res = _post_raw(client, "/api/v1/customers", body, auth(admin))
        assert res.status_code == 422, (body, res.json)
        assert "surrogate" in res.json["message"]


def test_nul_in_a_query_string_is_422_not_a_database_error(client, make_user, auth):
    dispatcher = make_user("dispatcher")
    res = client.get("/api/v1/parts?q=filter%00x", headers=auth(dispatcher))
    assert res.status_code == 422, res.json
    assert "NUL" in res.json["message"]


def test_nul_in_a_path_parameter_is_422_on_every_blueprint(client):
    for url in (
        "/api/v1/public/assets/a%00b",
        "/api/v1/public/tracking/a%00b",
        "/r/a%00b",
        "/t/a%00b",
        "/api/v1/public/tracking/a%00b/report.pdf",
    ):
        res = client.get(url)
        assert res.status_code == 422, (url, res.status_code)
        assert "NUL" in res.json["message"]
