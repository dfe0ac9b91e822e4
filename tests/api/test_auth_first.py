"""Authenticate before parsing: every non-public operation answers an anonymous request with
401, whatever its body or query, before webargs parses (422) or size limits apply (413).

The operations are enumerated from the app's URL map and classified by the OpenAPI document
(``security: []`` marks the public ones), so a new endpoint is covered without editing this."""

from __future__ import annotations

import re
import uuid

from werkzeug.routing import Rule

ARG = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def _url(rule: Rule) -> str:
    def value(m: re.Match[str]) -> str:
        converter, options, _name = m.groups()
        if converter == "uuid":
            return str(uuid.uuid4())
        if converter == "any":
            return options.split(",")[0].strip().strip("'\"")
        return "x"

    return ARG.sub(value, rule.rule)


def _openapi_path(rule: Rule) -> str:
    return ARG.sub(lambda m: "{" + m.group(3) + "}", rule.rule)


def _operations(app, client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for rule in app.url_map.iter_rules():
        doc = paths.get(_openapi_path(rule))
        if doc is None:
            # Not an API operation (static files, health, the spec itself): nothing may hide
            # under the API prefix without being documented, and so without being checked here.
            assert not rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1/openapi.json", (
                rule.rule
            )
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, doc[method.lower()]


def test_every_non_public_operation_is_401_before_parsing(app, client):
    checked = public = 0
    for rule, method, op in _operations(app, client):
        if op.get("security") == []:
            public += 1
            continue
        url = _url(rule) + "?page=-5&page_size=zzz&bbox=garbage&role=boss"
        for headers in ({}, {"Authorization": "Bearer not.a.jwt"}):
            r = client.open(
                url,
                method=method,
                data=b'{"garbage": [1, 2,',
                headers={**headers, "Content-Type": "application/json"},
            )
            assert r.status_code == 401, (method, rule.rule, r.status_code, r.json)
            assert r.json["code"] == 401 and r.json["message"]
        checked += 1
    assert checked > 50 and public >= 10, (checked, public)


def test_anonymous_upload_is_refused_before_the_body_is_read(client):
    big = b"\xff\xd8" + b"0" * (3 * 1024 * 1024)
    r = client.post(
        f"/api/v1/tickets/{uuid.uuid4()}/photos",
        data={"file": (__import__("io").BytesIO(big), "p.jpg", "image/jpeg"), "id": "nope"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 401, r.json


def test_anonymous_engineer_create_and_patch_are_401_not_422(client):
    assert client.post("/api/v1/engineers", json={"bad": 1}).status_code == 401
    r = client.patch(f"/api/v1/engineers/{uuid.uuid4()}", json={"status": 12})
    assert r.status_code == 401


def test_public_operations_still_answer_anonymously(client):
    # A public operation parses and answers without a token (404: no such label).
    assert client.get("/api/v1/public/assets/nope").status_code == 404
    login = client.post("/api/v1/auth/login", json={"email": "x@example.com"})
    assert login.status_code == 422
