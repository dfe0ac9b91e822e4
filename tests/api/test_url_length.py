"""A URL too long to read is answered with the JSON error shape, never an HTML page (a
schemathesis run against gunicorn sent ``GET /api/v1/parts?q=`` with 10,000 characters and got
gunicorn's own "414 URI Too Long" page, written before the app ran).

The limit is the app's (``request_guards.MAX_URL_BYTES``); gunicorn as deployed
(infra/gunicorn.conf.py) lets the request line through so that the app's answer is the one a
client sees. Both are checked: in-process for the rule, and against real gunicorn for what a
phone actually gets."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from backend.api.request_guards import MAX_URL_BYTES
from tests.conftest import TEST_REDIS_URL
from tests.procs import GunicornServer, serve_gunicorn

PATH = "/api/v1/parts?q="


def _url(total_bytes: int) -> str:
    return PATH + "x" * (total_bytes - len(PATH))


def _assert_json_414(status: int, body: bytes, content_type: str) -> None:
    assert status == 414, body[:300]
    assert content_type.startswith("application/json"), (content_type, body[:300])
    answer = json.loads(body)
    assert answer["code"] == 414 and answer["kind"] == "uri_too_long", answer
    assert answer["limit_bytes"] == MAX_URL_BYTES and str(MAX_URL_BYTES) in answer["message"]


def test_url_over_the_limit_is_a_json_414_in_process(client):
    res = client.get(_url(MAX_URL_BYTES + 1))
    _assert_json_414(res.status_code, res.get_data(), res.content_type)
    # at the limit the URL is read: the next rule answers (no token: 401, in JSON)
    assert client.get(_url(MAX_URL_BYTES)).status_code == 401
    # a path of its own (no route) is measured too, before the 404
    res = client.get("/" + "p" * MAX_URL_BYTES)
    _assert_json_414(res.status_code, res.get_data(), res.content_type)


def test_414_is_documented_where_a_query_string_is_read(app):
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    parts = spec["paths"]["/api/v1/parts"]["get"]["responses"]
    assert "414" in parts and str(MAX_URL_BYTES) in parts["414"]["description"]


@pytest.fixture(scope="module")
def gunicorn(database_url, tmp_path_factory) -> Iterator[GunicornServer]:
    yield from serve_gunicorn(database_url, TEST_REDIS_URL, tmp_path_factory.mktemp("url"))


@pytest.mark.slow
@pytest.mark.parametrize("size", [MAX_URL_BYTES + 1, 10_000, 100_000])
def test_gunicorn_answers_a_long_url_with_the_json_414(gunicorn, size):
    """10,000 is schemathesis' finding (over gunicorn's default 4094), 100,000 is past the
    most gunicorn's own limit can be set to (8190)."""
    status, body, headers = gunicorn.get(_url(size))
    _assert_json_414(status, body, headers.get("Content-Type", ""))


@pytest.mark.slow
def test_gunicorn_reads_a_url_at_the_limit(gunicorn):
    status, body, headers = gunicorn.get(_url(MAX_URL_BYTES))
    assert status == 401 and headers["Content-Type"].startswith("application/json"), body[:300]
